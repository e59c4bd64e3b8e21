/**
 * The fused BatchNorm → ReLU (→ 2×2 max-pool) op against the same computation from tfjs ops (moments,
 * batchNorm, relu, maxPool), on random shapes including odd spatial sizes: outputs, batch statistics and
 * the gradients for x, gamma and beta.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from './backend.js';
import { batchNormReluPool, FusedKernelError } from './batchnorm-relu-pool.js';
import { seededValues } from './test-random.js';

const EPSILON = 1e-3;

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  expect(a.shape).toEqual(b.shape);
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] as number);
}

function reference(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, pool: boolean) {
  const axes = Array.from({ length: x.rank - 1 }, (_, i) => i);
  const { mean, variance } = tf.moments(x, axes);
  const z = tf.relu(tf.batchNorm(x, mean, variance, beta, gamma, EPSILON));
  return { y: pool ? tf.maxPool(z as tf.Tensor4D, 2, 2, 'valid') : z, mean, variance };
}

function fused(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, pool: boolean) {
  return batchNormReluPool(x, gamma, beta, { epsilon: EPSILON, pool });
}

/** Gradients of Σ y·w (w fixed random weights, so every output position matters) for x, gamma, beta. */
function gradients(f: typeof reference, x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, pool: boolean, w: tf.Tensor) {
  return tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
    const out = f(a, g as tf.Tensor1D, b as tf.Tensor1D, pool);
    return tf.sum(tf.mul(out.y, w));
  })([x, gamma, beta]);
}

describe('batchNormReluPool (fused training-mode BatchNorm → ReLU → max-pool on wasm)', () => {
  beforeAll(async () => {
    expect(await initBackend('wasm')).toBe('wasm');
  });

  const next = seededValues(11);
  const random = (shape: number[], scale = 1, offset = 0) =>
    tf.tensor(
      Float32Array.from({ length: shape.reduce((p, d) => p * d, 1) }, () => (next() * 2 - 1) * scale + offset),
      shape,
    );
  const cases: { shape: number[]; pool: boolean }[] = [
    { shape: [4, 8, 8, 3], pool: true },
    { shape: [3, 7, 5, 6], pool: true },
    { shape: [2, 6, 9, 1], pool: true },
    { shape: [5, 4, 4, 8], pool: false },
    { shape: [16, 12], pool: false },
    { shape: [7, 5], pool: false },
  ];

  it.each(cases)('matches the unfused ops: %o', ({ shape, pool }) => {
    const c = shape[shape.length - 1] as number;
    // An offset mean and spread per run, so normalisation matters; gamma of both signs.
    const x = random(shape, 2, 0.7);
    const gamma = random([c], 1.5) as tf.Tensor1D;
    const beta = random([c], 0.5) as tf.Tensor1D;
    const ref = tf.tidy(() => reference(x, gamma, beta, pool));
    const got = fused(x, gamma, beta, pool);
    expect(maxAbsDiff(got.y, ref.y)).toBeLessThan(1e-4);
    expect(maxAbsDiff(got.mean, ref.mean)).toBeLessThan(1e-5);
    expect(maxAbsDiff(got.variance, ref.variance)).toBeLessThan(1e-4);
    // The ReLU must have cut something and let something through, or the test proves little.
    const positives = tf.tidy(() => tf.sum(tf.cast(tf.greater(got.y, 0), 'float32')).dataSync()[0] as number);
    expect(positives).toBeGreaterThan(0);
    expect(positives).toBeLessThan(got.y.size);

    const w = random(got.y.shape);
    const refGrads = gradients(reference, x, gamma, beta, pool, w);
    const gotGrads = gradients(fused as typeof reference, x, gamma, beta, pool, w);
    for (let i = 0; i < 3; i++) {
      const scale = tf.tidy(() => tf.max(tf.abs(refGrads[i] as tf.Tensor)).dataSync()[0] as number);
      expect(scale).toBeGreaterThan(0);
      expect(maxAbsDiff(gotGrads[i] as tf.Tensor, refGrads[i] as tf.Tensor) / scale).toBeLessThan(1e-4);
    }
    tf.dispose([x, gamma, beta, w, got.y, got.mean, got.variance, ref.y, ref.mean, ref.variance, ...refGrads, ...gotGrads]);
  });

  it('leaks no tensors across gradient steps', () => {
    const x = random([2, 6, 6, 4]);
    const gamma = random([4]) as tf.Tensor1D;
    const beta = random([4]) as tf.Tensor1D;
    const before = tf.memory().numTensors;
    const step = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
      const out = fused(a, g as tf.Tensor1D, b as tf.Tensor1D, true);
      out.mean.dispose();
      out.variance.dispose();
      return tf.sum(out.y);
    });
    for (let i = 0; i < 5; i++) tf.dispose(step([x, gamma, beta]));
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, gamma, beta]);
  });

  it('refuses a pooled input that is not NHWC, with a stable code', () => {
    const x = tf.zeros([4, 3]);
    const g = tf.ones([3]) as tf.Tensor1D;
    expect(() => fused(x, g, g, true)).toThrow(FusedKernelError);
    try {
      fused(x, g, g, true);
    } catch (err) {
      expect((err as FusedKernelError).code).toBe('FUSED_KERNEL_SHAPE');
    }
    tf.dispose([x, g]);
  });
});
