/**
 * Re-fits only the "not a digit" column of an 11-class model's output layer on the features the model has now,
 * the ten digit columns and every other weight left as they are. A weight-space blend (weight-blend.ts) keeps the
 * fine-tune's "not a digit" column, which was trained on the fine-tune's features, not the blend's; with the rest
 * fixed, the best column for the blend's own features is a convex problem: softmax cross-entropy over the eleven
 * logits, where only the last one moves (logistic regression of "not a digit" against the fixed digit logits).
 */
import { IMAGE_PIXELS } from '@inkling/protocol';
import { NOT_DIGIT_CLASS } from '@inkling/recognizer';
import * as tf from '@tensorflow/tfjs';
import { predictProbabilities } from './class-predictions.js';

export class RefitError extends Error {
  readonly code = 'REFIT_MODEL';
  constructor(message: string) {
    super(message);
    this.name = 'RefitError';
  }
}

export interface RefitOptions {
  /** Full-batch Adam steps. */
  steps: number;
  learningRate: number;
  /** L2 penalty on the column's weights (not its bias). */
  l2: number;
}

export const DEFAULT_REFIT: RefitOptions = { steps: 400, learningRate: 0.02, l2: 1e-4 };

/** The rows a column is fitted on: `count` images (count × 28 × 28 floats), their labels (0–9 digits, 10 "not a digit"), and optionally a weight per row (default 1 each). */
export interface RefitRows {
  images: Float32Array;
  labels: Int32Array;
  count: number;
  weights?: Float32Array;
}

export interface RefitResult {
  /** Mean cross-entropy over the given images with the column the model had, and with the re-fitted one. */
  lossBefore: number;
  lossAfter: number;
}

/** Name of the layer whose output feeds the classifier, and of the classifier, in `buildModel`'s network. */
const FEATURE_LAYER = 'relu_dense';
const OUTPUT_LAYER = 'probabilities';

function featureModel(model: tf.LayersModel): { features: tf.LayersModel; output: tf.layers.Layer } {
  let output: tf.layers.Layer;
  let feature: tf.layers.Layer;
  try {
    output = model.getLayer(OUTPUT_LAYER);
    feature = model.getLayer(FEATURE_LAYER);
  } catch {
    throw new RefitError(`the model has no "${FEATURE_LAYER}" and "${OUTPUT_LAYER}" layers: not an Inkling network`);
  }
  const classes = (output.getWeights()[1]?.shape[0] ?? 0) as number;
  if (classes !== NOT_DIGIT_CLASS + 1) throw new RefitError(`the model has ${classes} classes: no "not a digit" column to re-fit`);
  return { features: tf.model({ inputs: model.inputs, outputs: feature.output as tf.SymbolicTensor }), output };
}

/**
 * Sets the model's "not a digit" column (in place) to the one minimizing the weighted mean cross-entropy of the
 * rows' labels, plus `l2` × the squared weights. `onStep` reports progress every 50 steps. Throws RefitError,
 * changing nothing, for a model without that column.
 */
export function refitNotDigitColumn(
  model: tf.LayersModel,
  rows: RefitRows,
  o: RefitOptions = DEFAULT_REFIT,
  onStep?: (step: number, loss: number) => void,
): RefitResult {
  const { images, labels, count } = rows;
  if (images.length !== count * IMAGE_PIXELS || labels.length !== count) throw new RangeError('images and labels must hold `count` rows');
  if (rows.weights !== undefined && (rows.weights.length !== count || rows.weights.some((w) => !(w >= 0)))) {
    throw new RangeError('weights must hold `count` non-negative numbers');
  }
  const { features, output } = featureModel(model);
  // The layer's own variables (getWeights reads them): split, never disposed here.
  const [kernel, bias] = output.getWeights() as [tf.Tensor2D, tf.Tensor1D];
  const hidden = kernel.shape[0];
  const batches: tf.Tensor2D[] = [];
  for (let start = 0; start < count; start += 1000) {
    const n = Math.min(1000, count - start);
    batches.push(
      tf.tidy(
        () =>
          features.predict(tf.tensor4d(images.subarray(start * IMAGE_PIXELS, (start + n) * IMAGE_PIXELS), [n, 28, 28, 1])) as tf.Tensor2D,
      ),
    );
  }
  const x = tf.concat(batches, 0);
  tf.dispose(batches);
  const [digitKernel, columnKernel] = tf.split(kernel, [NOT_DIGIT_CLASS, 1], 1) as [tf.Tensor2D, tf.Tensor2D];
  const [digitBias, columnBias] = tf.split(bias, [NOT_DIGIT_CLASS, 1], 0) as [tf.Tensor1D, tf.Tensor1D];
  const digitLogits = tf.tidy(() => x.matMul(digitKernel).add(digitBias));
  const isNotDigit = tf.tensor1d(
    Array.from(labels, (l) => (l === NOT_DIGIT_CLASS ? 1 : 0)),
    'float32',
  );
  // The digit logit of each digit row's label (0 for "not a digit" rows, where the column's own logit counts).
  const labelLogit = tf.tidy(() =>
    digitLogits
      .mul(
        tf.oneHot(
          tf.tensor1d(
            Array.from(labels, (l) => Math.min(l, NOT_DIGIT_CLASS - 1)),
            'int32',
          ),
          NOT_DIGIT_CLASS,
        ),
      )
      .sum(1)
      .mul(tf.scalar(1).sub(isNotDigit)),
  );
  // Row weights normalized to sum 1: the loss is their weighted mean.
  const rowWeights = tf.tidy(() => {
    const given = rows.weights === undefined ? tf.ones([count]) : tf.tensor1d(rows.weights, 'float32');
    return given.div(given.sum());
  });
  const w = tf.variable(columnKernel.reshape([hidden, 1]), true);
  const b = tf.variable(columnBias.reshape([1]), true);
  const crossEntropy = (): tf.Scalar =>
    tf.tidy(() => {
      const column = x.matMul(w).add(b); // [count, 1]
      const all = tf.concat([digitLogits, column], 1);
      const target = labelLogit.add(column.squeeze([1]).mul(isNotDigit));
      return tf.logSumExp(all, 1).sub(target).mul(rowWeights).sum() as tf.Scalar;
    });
  const lossBefore = tf.tidy(() => crossEntropy().dataSync()[0] as number);
  const optimizer = tf.train.adam(o.learningRate);
  for (let step = 1; step <= o.steps; step++) {
    const loss = optimizer.minimize(() => crossEntropy().add(w.square().sum().mul(o.l2)) as tf.Scalar, true, [w, b]);
    if (onStep && (step % 50 === 0 || step === o.steps)) onStep(step, loss?.dataSync()[0] ?? Number.NaN);
    loss?.dispose();
  }
  const lossAfter = tf.tidy(() => crossEntropy().dataSync()[0] as number);
  const refitted = tf.tidy(() => [tf.concat([digitKernel, w], 1), tf.concat([digitBias, b], 0)]);
  output.setWeights(refitted);
  tf.dispose([refitted, x, digitKernel, columnKernel, digitBias, columnBias, digitLogits, isNotDigit, labelLogit, rowWeights, w, b]);
  optimizer.dispose();
  return { lossBefore, lossAfter };
}

/**
 * Indices of the `n` images (count × 28 × 28 floats, all digits) the model gives the highest probability of "not
 * a digit", highest first: the digits a re-fitted column has to learn to leave alone.
 */
export function hardestDigits(model: tf.LayersModel, images: Float32Array, count: number, n: number): number[] {
  const notDigit = predictProbabilities(model, images, count).map((p) => p[NOT_DIGIT_CLASS] ?? 0);
  return Array.from(notDigit.keys())
    .sort((a, b) => (notDigit[b] ?? 0) - (notDigit[a] ?? 0))
    .slice(0, n);
}
