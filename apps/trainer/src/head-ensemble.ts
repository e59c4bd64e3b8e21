/**
 * Output-space ensemble of a fine-tune with the model it started from, as one network of the same architecture.
 * A fine-tune with every conv block frozen (`--freeze 3`) shares all of them with its base, so the two models
 * differ only in their dense head: one network whose dense layer holds both heads' units side by side (the dense
 * units add up: 128 + 128 costs ~110 k more multiply-adds on the 24/48/96 network's 4.3 M) computes both at once,
 * and its output layer mixes their logits: `weight × fine-tuned + (1 − weight) × base` for every class both
 * have; a class only the fine-tune has (the "not a digit" column added by `--from`) reads the fine-tune's units
 * alone, as it was trained. Unlike a weight-space blend (weight-blend.ts), each head keeps the dense features it
 * was trained with (the conv blocks' BatchNorm statistics are the fine-tune's: the base's head reads features
 * normalized for the fine-tune's data mixture).
 */
import { type ArchitectureOptions, buildModel } from '@inkling/recognizer';
import * as tf from '@tensorflow/tfjs';
import { BlendError } from './weight-blend.js';

const CONV_LAYERS = ['conv1', 'bn1', 'conv2', 'bn2', 'conv3', 'bn3'] as const;

function layerWeights(model: tf.LayersModel, name: string): tf.Tensor[] {
  try {
    return model.getLayer(name).getWeights();
  } catch {
    throw new BlendError(`the model has no layer "${name}": not an Inkling network`);
  }
}

/**
 * The ensemble of `fine` and `base` (architectures `fineArchitecture`, `baseArchitecture`) as a new model, and its
 * architecture. Throws BlendError when the conv blocks differ (not a `--freeze 3` fine-tune of `base`), when
 * `base` has classes `fine` lacks, or for a weight outside 0–1.
 */
export function ensembleHeads(
  fine: tf.LayersModel,
  fineArchitecture: ArchitectureOptions,
  base: tf.LayersModel,
  baseArchitecture: ArchitectureOptions,
  weight: number,
): { model: tf.LayersModel; architecture: ArchitectureOptions } {
  if (!(weight >= 0 && weight <= 1)) throw new BlendError(`the blend weight must be from 0 to 1, got ${weight}`);
  if (fineArchitecture.filters.join() !== baseArchitecture.filters.join())
    throw new BlendError(`conv filters ${fineArchitecture.filters} and ${baseArchitecture.filters} differ: not the same network`);
  // The learned weights must be the same; BatchNorm's moving statistics are not learned and a frozen block's still
  // follow the fine-tune's data mixture: the ensemble keeps the fine-tune's (its head was trained on them).
  for (const name of CONV_LAYERS) {
    const own = layerWeights(fine, name);
    const other = layerWeights(base, name);
    const learned = fine.getLayer(name).weights.map((w) => !/moving_(mean|variance)/.test(w.name));
    const differs = own.some((t, i) => learned[i] && tf.tidy(() => tf.any(tf.notEqual(t, other[i] as tf.Tensor)).dataSync()[0] === 1));
    if (differs) throw new BlendError(`layer "${name}" differs: an output ensemble needs a fine-tune of the base with --freeze 3`);
  }
  const fineClasses = fineArchitecture.classes ?? 10;
  const baseClasses = baseArchitecture.classes ?? 10;
  if (baseClasses > fineClasses) throw new BlendError(`the base has ${baseClasses} classes, the fine-tuned model ${fineClasses}`);
  const architecture: ArchitectureOptions = {
    ...fineArchitecture,
    denseUnits: fineArchitecture.denseUnits + baseArchitecture.denseUnits,
  };
  const model = buildModel(architecture);
  for (const name of CONV_LAYERS) model.getLayer(name).setWeights(layerWeights(fine, name));
  const side = (name: string, axis: number) =>
    tf.tidy(() => layerWeights(fine, name).map((t, i) => tf.concat([t, layerWeights(base, name)[i] as tf.Tensor], axis)));
  const dense = side('dense1', 1);
  const batchNorm = side('bn_dense', 0);
  const [fineKernel, fineBias] = layerWeights(fine, 'probabilities') as [tf.Tensor2D, tf.Tensor1D];
  const [baseKernel, baseBias] = layerWeights(base, 'probabilities') as [tf.Tensor2D, tf.Tensor1D];
  const output = tf.tidy(() => {
    const extra = fineClasses - baseClasses;
    const shared = (t: tf.Tensor, axis: number) => (extra === 0 ? t : tf.slice(t, 0, axis === 0 ? [baseClasses] : [-1, baseClasses]));
    const own = (t: tf.Tensor, axis: number) =>
      tf.slice(t, axis === 0 ? [baseClasses] : [0, baseClasses], axis === 0 ? [extra] : [-1, extra]);
    const fineRows = extra === 0 ? fineKernel.mul(weight) : tf.concat([shared(fineKernel, 1).mul(weight), own(fineKernel, 1)], 1);
    const baseRows =
      extra === 0 ? baseKernel.mul(1 - weight) : tf.concat([baseKernel.mul(1 - weight), tf.zeros([baseKernel.shape[0], extra])], 1);
    const mixedBias = shared(fineBias, 0)
      .mul(weight)
      .add(baseBias.mul(1 - weight));
    return [tf.concat([fineRows, baseRows], 0), extra === 0 ? mixedBias : tf.concat([mixedBias, own(fineBias, 0)], 0)];
  });
  model.getLayer('dense1').setWeights(dense);
  model.getLayer('bn_dense').setWeights(batchNorm);
  model.getLayer('probabilities').setWeights(output);
  tf.dispose([...dense, ...batchNorm, ...output]);
  return { model, architecture };
}
