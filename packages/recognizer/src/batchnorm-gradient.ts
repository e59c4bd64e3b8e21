/**
 * Gradient of `FusedBatchNorm` without `tile`. tfjs-core's version materialises the per-channel factor at
 * the full input size with `tile` before multiplying; broadcasting gives the same values, and on the wasm
 * backend the tile alone cost more than every convolution of a training step.
 */
import * as tf from '@tensorflow/tfjs';

type SavedInputs = [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor | undefined];

function reductionAxes(x: tf.Tensor, mean: tf.Tensor): number[] {
  return mean.rank === 1 ? Array.from({ length: x.rank - 1 }, (_, i) => i) : [];
}

let registered = false;

export function registerBatchNormGradient(): void {
  if (registered) return;
  registered = true;
  tf.registerGradient({
    kernelName: 'FusedBatchNorm',
    inputsToSave: ['x', 'mean', 'variance', 'scale'],
    gradFunc: (dy, saved, attrs) => {
      const [x, mean, variance, scale] = saved as SavedInputs;
      const dyT = dy as tf.Tensor;
      const epsilon = (attrs as unknown as { varianceEpsilon: number }).varianceEpsilon;
      const axes = reductionAxes(x, mean);
      const reduce = (t: tf.Tensor) => (axes.length > 0 ? tf.sum(t, axes) : t).reshape(mean.shape);
      const scaleValue = scale ?? tf.scalar(1);
      const rstd = tf.rsqrt(tf.add(variance, epsilon));
      const xMinusMean = tf.sub(x, mean);
      const dyScaled = tf.mul(dyT, scaleValue);
      return {
        x: () => tf.mul(dyScaled, rstd).reshape(x.shape),
        mean: () => reduce(tf.mul(dyScaled, tf.neg(rstd))),
        variance: () => reduce(tf.mul(tf.mul(xMinusMean, dyScaled), tf.mul(tf.pow(rstd, 3), -0.5))),
        scale: () => reduce(tf.mul(dyT, tf.mul(xMinusMean, rstd))),
        offset: () => reduce(dyT),
      };
    },
  });
}
