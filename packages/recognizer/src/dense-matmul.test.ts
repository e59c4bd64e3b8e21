/** denseMatMul against tf.matMul: the product and both gradients, on random matrices. */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from './backend.js';
import { denseMatMul } from './dense-matmul.js';
import { seededValues } from './test-random.js';

describe('denseMatMul', () => {
  beforeAll(async () => {
    expect(await initBackend('wasm')).toBe('wasm');
  });

  it('matches tf.matMul and its gradients', () => {
    const next = seededValues(7);
    const random = (r: number, c: number) =>
      tf.tensor2d(
        Float32Array.from({ length: r * c }, () => next() * 2 - 1),
        [r, c],
      );
    const a = random(9, 13);
    const b = random(13, 5);
    const w = random(9, 5);
    const loss = (f: (x: tf.Tensor2D, y: tf.Tensor2D) => tf.Tensor2D) =>
      tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(f(x as tf.Tensor2D, y as tf.Tensor2D), w)));
    const ref = loss((x, y) => tf.matMul(x, y))([a, b]);
    const got = loss(denseMatMul)([a, b]);
    const diff = (p: tf.Tensor, q: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(p, q))).dataSync()[0] as number);
    const product = denseMatMul(a, b);
    const expected = tf.matMul(a, b);
    expect(product.shape).toEqual([9, 5]);
    expect(diff(product, expected)).toBeLessThan(1e-5);
    for (let i = 0; i < 2; i++) {
      expect((got[i] as tf.Tensor).shape).toEqual((ref[i] as tf.Tensor).shape);
      expect(diff(got[i] as tf.Tensor, ref[i] as tf.Tensor)).toBeLessThan(1e-5);
    }
    tf.dispose([a, b, w, product, expected, ...ref, ...got]);
  });
});
