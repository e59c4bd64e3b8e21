/**
 * The fused training pass against `model.apply(x, {training: true})` on two identically initialised models:
 * the output, the loss gradient of every trainable weight, and the BatchNorm moving averages after the step.
 * Also: which models and backends fall back to the Layers API.
 */
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ArchitectureOptions, buildModel } from './architecture.js';
import { initBackend } from './backend.js';
import { loadModelFolder } from './model-folder.js';
import { seededValues } from './test-random.js';
import { compileTrainingGraph } from './training-graph.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const ARCH: ArchitectureOptions = { filters: [4, 8, 8], denseUnits: 16, dropout: 0, seed: 3 };

function batch(n: number, seed: number): { x: tf.Tensor4D; labels: tf.Tensor2D } {
  const next = seededValues(seed);
  const x = tf.tensor4d(
    Float32Array.from({ length: n * 784 }, () => (next() < 0.3 ? next() : 0)),
    [n, 28, 28, 1],
  );
  const labels = tf
    .oneHot(
      tf.tensor1d(
        Int32Array.from({ length: n }, () => Math.floor(next() * 10)),
        'int32',
      ),
      10,
    )
    .toFloat() as tf.Tensor2D;
  return { x, labels };
}

/** Output, gradient per trainable weight (by name), and every weight's value after the step. */
function step(model: tf.LayersModel, forward: (x: tf.Tensor) => tf.Tensor, x: tf.Tensor, labels: tf.Tensor) {
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  let probs: tf.Tensor | undefined;
  const { grads } = tf.variableGrads(() => {
    const p = forward(x);
    probs = tf.keep(p);
    return tf.losses.softmaxCrossEntropy(labels, tf.log(tf.clipByValue(p, 1e-7, 1))) as tf.Scalar;
  }, vars);
  const weights = new Map(model.weights.map((w) => [w.originalName, w.read()]));
  return {
    probs: probs as tf.Tensor,
    grads: new Map(model.trainableWeights.map((w, i) => [w.originalName, grads[vars[i]?.name ?? ''] as tf.Tensor])),
    weights,
  };
}

function relativeError(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => {
    const scale = Math.max(tf.max(tf.abs(b)).dataSync()[0] as number, 1e-6);
    return (tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] as number) / scale;
  });
}

describe('compileTrainingGraph (fused training pass)', () => {
  beforeAll(async () => {
    expect(await initBackend('wasm')).toBe('wasm');
  });
  afterAll(async () => {
    await tf.setBackend('wasm');
  });

  it('computes the same output, gradients and moving averages as the Layers API', () => {
    const reference = buildModel(ARCH);
    const fused = buildModel(ARCH);
    const graph = compileTrainingGraph(fused);
    if (!graph) throw new Error('expected the default architecture to compile');
    const { x, labels } = batch(24, 5);
    const ref = step(reference, (input) => reference.apply(input, { training: true }) as tf.Tensor, x, labels);
    const got = step(fused, (input) => graph.apply(input), x, labels);

    expect(relativeError(got.probs, ref.probs)).toBeLessThan(1e-4);
    expect(ref.grads.size).toBe(14);
    for (const [name, g] of ref.grads) {
      const mine = got.grads.get(name);
      if (!mine) throw new Error(`no gradient for ${name}`);
      expect(
        tf.tidy(() => tf.max(tf.abs(g)).dataSync()[0] as number),
        name,
      ).toBeGreaterThan(0);
      expect(relativeError(mine, g), name).toBeLessThan(1e-3);
    }
    // Moving means and variances moved, and moved the same way.
    let moving = 0;
    for (const [name, w] of ref.weights) {
      if (!name.includes('moving')) continue;
      moving++;
      const initial = name.includes('variance') ? 1 : 0;
      expect(
        tf.tidy(() => tf.max(tf.abs(tf.sub(w, initial))).dataSync()[0] as number),
        name,
      ).toBeGreaterThan(0);
      expect(relativeError(got.weights.get(name) as tf.Tensor, w), name).toBeLessThan(1e-4);
    }
    expect(moving).toBe(8);
    tf.dispose([x, labels, ref.probs, got.probs, ...ref.grads.values(), ...got.grads.values()]);
    reference.dispose();
    fused.dispose();
  });

  it('compiles the shipped model as loaded from its folder, with the same training output', async () => {
    const { model } = await loadModelFolder(join(ROOT, 'models', 'default'));
    // Dropout off (both paths read the rate), so the two training outputs must agree exactly.
    (model.getLayer('dropout') as unknown as { rate: number }).rate = 0;
    const graph = compileTrainingGraph(model);
    if (!graph) throw new Error('expected the shipped model to compile');
    const { x, labels } = batch(16, 13);
    const viaLayers = model.apply(x, { training: true }) as tf.Tensor;
    const viaGraph = graph.apply(x);
    expect(relativeError(viaGraph, viaLayers)).toBeLessThan(1e-4);
    tf.dispose([x, labels, viaLayers, viaGraph]);
    model.dispose();
  });

  it('runs dropout in training mode (some activations dropped)', () => {
    const model = buildModel({ ...ARCH, dropout: 0.5 });
    const graph = compileTrainingGraph(model);
    if (!graph) throw new Error('expected a model with dropout to compile');
    const { x, labels } = batch(8, 9);
    const a = graph.apply(x);
    const b = graph.apply(x);
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] as number)).toBeGreaterThan(0);
    tf.dispose([x, labels, a, b]);
    model.dispose();
  });

  it('falls back (null) for a model it does not know and on backends without the fused kernels', async () => {
    const noRelu = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [8, 8, 1], filters: 2, kernelSize: 3, useBias: false }),
        tf.layers.batchNormalization(),
        tf.layers.flatten(),
        tf.layers.dense({ units: 2, activation: 'softmax' }),
      ],
    });
    expect(compileTrainingGraph(noRelu)).toBeNull();
    noRelu.dispose();
    const model = buildModel(ARCH);
    await tf.setBackend('cpu');
    expect(compileTrainingGraph(model)).toBeNull();
    await tf.setBackend('wasm');
    expect(compileTrainingGraph(model)).not.toBeNull();
    model.dispose();
  });
});
