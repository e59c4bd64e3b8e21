/**
 * A 2-D matrix product whose gradient uses only untransposed products. The stock gradient multiplies with
 * `transposeA` / `transposeB` set, which the wasm backend runs in a scalar loop (≈8× slower than its XNNPACK
 * path for the dense layer's 128×576×128 products); transposing the operand explicitly first is cheap and
 * keeps both gradient products on the fast path. Same values as `tf.matMul`.
 */
import * as tf from '@tensorflow/tfjs';

export function denseMatMul(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, w, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
    save([x, w]);
    return {
      value: tf.matMul(x, w),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, ws] = saved as [tf.Tensor2D, tf.Tensor2D];
        return [tf.matMul(dy as tf.Tensor2D, tf.transpose(ws)), tf.matMul(tf.transpose(xs), dy as tf.Tensor2D)];
      },
    };
  });
  return op(a, b) as tf.Tensor2D;
}
