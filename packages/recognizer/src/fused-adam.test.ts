/**
 * The fused Adam against tf.train.adam: the same variables after several steps of the same gradients (with a
 * learning rate changed between steps, as the train loop does), and the fallback off wasm.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from './backend.js';
import { createAdam, FusedAdamOptimizer } from './fused-adam.js';
import { seededValues } from './test-random.js';

const SHAPES = [[3, 3, 1, 4], [7], [12, 5], [1]];

/** The variables' values before and after six steps. */
function run(optimizer: tf.Optimizer & { learningRate: number }, seed: number): { start: Float32Array[]; end: Float32Array[] } {
  const next = seededValues(seed);
  const random = (shape: number[]) =>
    tf.tensor(
      Float32Array.from({ length: shape.reduce((p, d) => p * d, 1) }, () => next() * 2 - 1),
      shape,
    );
  const vars = SHAPES.map((s) => tf.tidy(() => tf.variable(random(s))));
  const targets = SHAPES.map((s) => random(s));
  const start = vars.map((v) => v.dataSync() as Float32Array);
  for (let step = 0; step < 6; step++) {
    optimizer.learningRate = 0.05 / (step + 1);
    // Σ (v − target)² · (step + 1), so gradients change from step to step.
    const loss = optimizer.minimize(
      () => tf.addN(vars.map((v, i) => tf.sum(tf.mul(tf.square(tf.sub(v, targets[i] as tf.Tensor)), step + 1)))) as tf.Scalar,
      true,
    );
    loss?.dispose();
  }
  const end = vars.map((v) => v.dataSync() as Float32Array);
  tf.dispose([...vars, ...targets]);
  optimizer.dispose();
  return { start, end };
}

describe('FusedAdamOptimizer', () => {
  beforeAll(async () => {
    expect(await initBackend('wasm')).toBe('wasm');
  });
  afterAll(async () => {
    await tf.setBackend('wasm');
  });

  it('follows tf.train.adam step for step', () => {
    const before = tf.memory().numTensors;
    const fused = createAdam(0.05);
    expect(fused.constructor).toBe(FusedAdamOptimizer);
    const got = run(fused, 4);
    const expected = run(tf.train.adam(0.05) as unknown as tf.Optimizer & { learningRate: number }, 4);
    let moved = 0;
    let worst = 0;
    expected.end.forEach((e, i) => {
      const g = got.end[i] as Float32Array;
      const s = expected.start[i] as Float32Array;
      for (let j = 0; j < e.length; j++) {
        worst = Math.max(worst, Math.abs((g[j] as number) - (e[j] as number)));
        moved = Math.max(moved, Math.abs((e[j] as number) - (s[j] as number)));
      }
    });
    expect(moved).toBeGreaterThan(0.05);
    expect(worst).toBeLessThan(1e-6);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('is tf.train.adam on a backend without the kernel', async () => {
    await tf.setBackend('cpu');
    const optimizer = createAdam(0.01);
    // (instanceof would not tell: tfjs answers it for any object with the optimizer methods.)
    expect(optimizer.constructor).toBe(tf.AdamOptimizer);
    optimizer.dispose();
    await tf.setBackend('wasm');
  });
});
