/**
 * The training loop: shuffled mini-batches, augmentation, Adam with warm-up then cosine decay, progress
 * events, cancellation. Runs on whatever backend is active; never builds the model itself.
 */

import type { TrainingProgress } from '@inkling/protocol';
import { compileTrainingGraph, createAdam } from '@inkling/recognizer';
import * as tf from '@tensorflow/tfjs';
import { type AugmentOptions, augmentImage, type Random, seededRandom } from './augment.js';
import { evaluateModelAsync, type ImageSet } from './evaluate.js';
import { IMAGE_PIXELS } from './mnist.js';

export interface TrainLoopOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
  /** null disables augmentation. */
  augment: AugmentOptions | null;
  /** Evaluated at the end of every epoch when given. */
  validation?: ImageSet;
  signal?: AbortSignal;
  onProgress?: (progress: TrainingProgress) => void;
  /** Called after each epoch; returning true stops training (e.g. a target accuracy was reached). */
  stopAfterEpoch?: (progress: Extract<TrainingProgress, { type: 'epoch' }>) => boolean;
  /** Output classes (10 digits, or 11 with "not a digit"); default 10. */
  classes?: number;
  /**
   * Fills each batch instead of taking shuffled images of `data` (whose `count` is then the images per epoch):
   * mixed batches of MNIST, pen drawings and non-digits.
   */
  fillBatch?: (xs: Float32Array, ys: Int32Array, n: number, mnistRows: Uint8Array) => void;
  /**
   * Learning without forgetting: on MNIST rows (all rows without `fillBatch`, else those `fillBatch` marks) the
   * target blends the label with a teacher model's probabilities (its 10 digits, renormalized if it has "not a
   * digit"; 0 for "not a digit"), so
   * fine-tuning on new shapes keeps what the teacher knew about MNIST.
   */
  teacher?: { model: tf.LayersModel; weight: number };
  /** Awaited after each epoch's progress event (checkpoints, extra validation). */
  afterEpoch?: (epoch: number) => Promise<void>;
}

export interface TrainLoopResult {
  epochsRun: number;
  imagesSeen: number;
  trainingTimeMs: number;
  imagesPerSec: number;
  cancelled: boolean;
}

function shuffle(indices: Uint32Array, random: Random): void {
  for (let i = indices.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = indices[i] ?? 0;
    indices[i] = indices[j] ?? 0;
    indices[j] = t;
  }
}

export function learningRateAt(step: number, totalSteps: number, peak: number): number {
  const warmup = Math.min(Math.max(1, Math.floor(totalSteps * 0.05)), totalSteps);
  if (step < warmup) return peak * (0.1 + (0.9 * (step + 1)) / warmup);
  const progress = (step - warmup) / Math.max(1, totalSteps - warmup);
  return peak * (0.01 + 0.99 * 0.5 * (1 + Math.cos(Math.PI * progress)));
}

export async function trainLoop(model: tf.LayersModel, data: ImageSet, o: TrainLoopOptions): Promise<TrainLoopResult> {
  const random = seededRandom(o.seed);
  const optimizer = createAdam(o.learningRate);
  // The fused BatchNorm/ReLU/pool pass where the backend has it (wasm); the Layers API otherwise.
  const graph = compileTrainingGraph(model);
  const batches = Math.ceil(data.count / o.batchSize);
  const totalSteps = batches * o.epochs;
  const order = new Uint32Array(data.count).map((_, i) => i);
  const source = new Float32Array(IMAGE_PIXELS);
  const scratch = new Float32Array(IMAGE_PIXELS);
  const started = performance.now();
  let imagesSeen = 0;
  let epochsRun = 0;
  let cancelled = false;
  const scale = data.images instanceof Uint8Array ? 1 / 255 : 1;

  try {
    for (let epoch = 1; epoch <= o.epochs && !cancelled; epoch++) {
      shuffle(order, random);
      let lossSum = 0;
      let correct = 0;
      let seenThisEpoch = 0;
      for (let b = 0; b < batches; b++) {
        if (o.signal?.aborted) {
          cancelled = true;
          break;
        }
        const n = Math.min(o.batchSize, data.count - b * o.batchSize);
        const xs = new Float32Array(n * IMAGE_PIXELS);
        const ys = new Int32Array(n);
        const mnistRows = new Uint8Array(n).fill(o.fillBatch ? 0 : 1);
        if (o.fillBatch) o.fillBatch(xs, ys, n, mnistRows);
        else
          for (let i = 0; i < n; i++) {
            const index = order[b * o.batchSize + i] ?? 0;
            const base = index * IMAGE_PIXELS;
            for (let p = 0; p < IMAGE_PIXELS; p++) source[p] = (data.images[base + p] ?? 0) * scale;
            const target = xs.subarray(i * IMAGE_PIXELS, (i + 1) * IMAGE_PIXELS);
            if (o.augment) augmentImage(source, target, scratch, random, o.augment);
            else target.set(source);
            ys[i] = data.labels[index] ?? 0;
          }
        optimizer.learningRate = learningRateAt((epoch - 1) * batches + b, totalSteps, o.learningRate);
        const [loss, hits] = tf.tidy(() => {
          const x = tf.tensor4d(xs, [n, 28, 28, 1]);
          const classes = o.classes ?? 10;
          const labels = tf.oneHot(tf.tensor1d(ys, 'int32'), classes).toFloat();
          let y: tf.Tensor = labels;
          if (o.teacher) {
            const all = o.teacher.model.predict(x) as tf.Tensor2D;
            // An MNIST image is a digit whatever the teacher thinks: a teacher with "not a digit" gives its ten
            // digits' probabilities, renormalized (its "not a digit" answers must not be taught back).
            const taught =
              (all.shape[1] as number) > 10
                ? tf.tidy(() => {
                    const digits = all.slice([0, 0], [-1, 10]);
                    return digits.div(digits.sum(1, true).add(1e-7)) as tf.Tensor2D;
                  })
                : all;
            const padded =
              taught.shape[1] < classes
                ? tf.pad(taught, [
                    [0, 0],
                    [0, classes - (taught.shape[1] as number)],
                  ])
                : taught;
            const w = tf.tensor2d(
              Float32Array.from(mnistRows, (m) => m * (o.teacher?.weight ?? 0)),
              [n, 1],
            );
            y = labels.mul(tf.sub(1, w)).add(padded.mul(w));
          }
          let hitCount: tf.Scalar | undefined;
          const lossValue = optimizer.minimize(() => {
            const probs = graph ? graph.apply(x) : (model.apply(x, { training: true }) as tf.Tensor);
            hitCount = tf.keep(probs.argMax(-1).equal(labels.argMax(-1)).sum()) as tf.Scalar;
            // softmax(log p) = p, so this is the cross-entropy of the model's own probabilities.
            return tf.losses.softmaxCrossEntropy(y, tf.log(tf.clipByValue(probs, 1e-7, 1))) as tf.Scalar;
          }, true);
          return [lossValue as tf.Scalar, hitCount as tf.Scalar];
        });
        lossSum += (await loss.data())[0] ?? 0;
        correct += (await hits.data())[0] ?? 0;
        loss.dispose();
        hits.dispose();
        seenThisEpoch += n;
        imagesSeen += n;
        const elapsedSec = (performance.now() - started) / 1000;
        const imagesPerSec = imagesSeen / elapsedSec;
        const remaining = (o.epochs - epoch) * data.count + (data.count - seenThisEpoch);
        o.onProgress?.({
          type: 'batch',
          epoch,
          epochs: o.epochs,
          batch: b + 1,
          batches,
          loss: lossSum / (b + 1),
          accuracy: correct / seenThisEpoch,
          imagesPerSec,
          etaSec: remaining / Math.max(imagesPerSec, 1e-9),
        });
        await new Promise((resolve) => setImmediate(resolve));
      }
      if (cancelled) break;
      epochsRun = epoch;
      const elapsedSec = (performance.now() - started) / 1000;
      const imagesPerSec = imagesSeen / elapsedSec;
      const event: Extract<TrainingProgress, { type: 'epoch' }> = {
        type: 'epoch',
        epoch,
        epochs: o.epochs,
        loss: lossSum / batches,
        accuracy: correct / Math.max(1, seenThisEpoch),
        imagesPerSec,
        etaSec: ((o.epochs - epoch) * data.count) / Math.max(imagesPerSec, 1e-9),
        validationAccuracy: o.validation ? (await evaluateModelAsync(model, o.validation)).accuracy : null,
      };
      o.onProgress?.(event);
      await o.afterEpoch?.(epoch);
      if (o.stopAfterEpoch?.(event)) break;
    }
  } finally {
    optimizer.dispose();
  }
  const trainingTimeMs = performance.now() - started;
  return { epochsRun, imagesSeen, trainingTimeMs, imagesPerSec: imagesSeen / (trainingTimeMs / 1000), cancelled };
}
