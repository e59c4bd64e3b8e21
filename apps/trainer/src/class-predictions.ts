/** Predicted classes and probabilities of a model for a set of 28×28 float images, in batches, inside tf.tidy. */
import { IMAGE_PIXELS } from '@inkling/protocol';
import * as tf from '@tensorflow/tfjs';

/** Probabilities (count × classes, row-major) of `model` for `count` images. */
export function predictProbabilities(model: tf.LayersModel, images: Float32Array, count: number, batchSize = 500): Float32Array[] {
  const out: Float32Array[] = [];
  for (let start = 0; start < count; start += batchSize) {
    const n = Math.min(batchSize, count - start);
    const probs = tf.tidy(() => {
      const x = tf.tensor4d(images.subarray(start * IMAGE_PIXELS, (start + n) * IMAGE_PIXELS), [n, 28, 28, 1]);
      return (model.predict(x) as tf.Tensor).dataSync() as Float32Array;
    });
    const classes = probs.length / n;
    for (let i = 0; i < n; i++) out.push(probs.slice(i * classes, (i + 1) * classes));
  }
  return out;
}

export function argMax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if ((values[i] ?? 0) > (values[best] ?? 0)) best = i;
  return best;
}
