/**
 * Weight-space blending of a fine-tuned model with the model it was fine-tuned from (as in WiSE-FT, Wortsman
 * et al. 2022): every weight becomes `weight × fine-tuned + (1 − weight) × base`. A pen fine-tune pays for pen
 * shapes with MNIST accuracy; a blend takes part of that back, trading pen accuracy and the "not a digit"
 * answers for it (README "Training recipe"). The output layer may have one more class in the fine-tuned model
 * (the "not a digit" column, added by `--from`): that column is the fine-tuned model's own.
 */
import * as tf from '@tensorflow/tfjs';

export class BlendError extends Error {
  readonly code = 'BLEND_MISMATCH';
  constructor(message: string) {
    super(message);
    this.name = 'BlendError';
  }
}

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/** Whether `fine` has `base`'s shape with one more entry along the last axis (an added output class). */
const oneMoreClass = (fine: readonly number[], base: readonly number[]) =>
  fine.length === base.length && fine.every((d, i) => (i === fine.length - 1 ? d === (base[i] ?? 0) + 1 : d === base[i]));

/**
 * Sets every weight of `fineTuned` (in place) to its blend with `base`'s weight of the same layer (matched by
 * name) and index. Throws BlendError, changing nothing, when the two models are not the same network.
 */
export function blendWeights(fineTuned: tf.LayersModel, base: tf.LayersModel, weight: number): void {
  if (!(weight >= 0 && weight <= 1)) throw new BlendError(`the blend weight must be from 0 to 1, got ${weight}`);
  const plan = fineTuned.layers.map((layer) => {
    const own = layer.getWeights();
    if (own.length === 0) return { layer, own, other: [] as tf.Tensor[] };
    let other: tf.Tensor[];
    try {
      other = base.getLayer(layer.name).getWeights();
    } catch {
      throw new BlendError(`the base model has no layer "${layer.name}": not the network this model was fine-tuned from`);
    }
    if (other.length !== own.length)
      throw new BlendError(`layer "${layer.name}" has ${own.length} weights in one model, ${other.length} in the other`);
    own.forEach((t, i) => {
      const b = other[i] as tf.Tensor;
      if (!sameShape(t.shape, b.shape) && !oneMoreClass(t.shape, b.shape))
        throw new BlendError(`layer "${layer.name}" weight ${i}: shape [${t.shape}] cannot blend with [${b.shape}]`);
    });
    return { layer, own, other };
  });
  for (const { layer, own, other } of plan) {
    if (own.length === 0) continue;
    const blended = own.map((t, i) =>
      tf.tidy(() => {
        const b = other[i] as tf.Tensor;
        if (sameShape(t.shape, b.shape)) return t.mul(weight).add(b.mul(1 - weight));
        const last = t.shape.length - 1;
        const [shared, added] = tf.split(t, [b.shape[last] as number, 1], last) as [tf.Tensor, tf.Tensor];
        return tf.concat([shared.mul(weight).add(b.mul(1 - weight)), added], last);
      }),
    );
    layer.setWeights(blended);
    tf.dispose(blended);
  }
}
