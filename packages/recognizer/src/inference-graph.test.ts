import { join } from 'node:path';
import { digitDrawing, numberDrawing, preprocessDrawing } from '@inkling/protocol';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildModel } from './architecture.js';
import { initBackend } from './backend.js';
import { compileInferenceGraph } from './inference-graph.js';
import { loadModelFolder } from './model-folder.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');

function images(n: number): tf.Tensor4D {
  const flat = new Float32Array(n * 784);
  for (let i = 0; i < n; i++) {
    const strokes = i % 3 === 0 ? numberDrawing(String(i % 10)) : digitDrawing(i % 10, { x: 0.1 + (i % 4) / 10, y: 0.2, size: 0.5 });
    flat.set(preprocessDrawing(strokes), i * 784);
  }
  return tf.tensor4d(flat, [n, 28, 28, 1]);
}

function maxAbsDifference(model: tf.LayersModel, x: tf.Tensor4D): number {
  const graph = compileInferenceGraph(model);
  if (!graph) throw new Error('expected a foldable model');
  try {
    return tf.tidy(() => (model.predict(x) as tf.Tensor).sub(graph.predict(x)).abs().max().dataSync()[0] as number);
  } finally {
    graph.dispose();
  }
}

describe('compileInferenceGraph (BatchNorm folded into fused conv/dense kernels)', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('gives the shipped model’s probabilities to within 1e-5', async () => {
    const { model } = await loadModelFolder(join(ROOT, 'models', 'default'));
    const x = images(24);
    expect(maxAbsDifference(model, x)).toBeLessThan(1e-5);
    x.dispose();
    model.dispose();
  });

  it('folds non-trivial BatchNorm statistics (random gamma, beta, mean, variance) exactly', () => {
    const model = buildModel({ filters: [4, 8, 8], denseUnits: 16, dropout: 0.2, seed: 3 });
    let seed = 10;
    for (const layer of model.layers) {
      if (layer.getClassName() !== 'BatchNormalization') continue;
      const [gamma, beta, mean, variance] = layer.getWeights().map((w) => w.shape);
      layer.setWeights([
        tf.randomUniform(gamma as number[], 0.5, 2, 'float32', seed++),
        tf.randomNormal(beta as number[], 0, 0.5, 'float32', seed++),
        tf.randomNormal(mean as number[], 0, 0.5, 'float32', seed++),
        tf.randomUniform(variance as number[], 0.2, 3, 'float32', seed++),
      ]);
    }
    const x = images(8);
    expect(maxAbsDifference(model, x)).toBeLessThan(1e-5);
    x.dispose();
    model.dispose();
  });

  it('leaves the model intact when disposed, and frees every tensor it made', () => {
    const model = buildModel({ filters: [4, 8, 8], denseUnits: 16, dropout: 0, seed: 1 });
    const x = images(2);
    const before = tf.memory().numTensors;
    const graph = compileInferenceGraph(model);
    expect(graph).not.toBeNull();
    tf.tidy(() => {
      graph?.predict(x);
    });
    graph?.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(() => tf.tidy(() => (model.predict(x) as tf.Tensor).dataSync())).not.toThrow();
    x.dispose();
    model.dispose();
  });

  it('declines a model with a layer it cannot fold, so the caller falls back to model.predict', () => {
    const input = tf.input({ shape: [28, 28, 1] });
    const flat = tf.layers.flatten().apply(input) as tf.SymbolicTensor;
    const hidden = tf.layers.dense({ units: 8, activation: 'tanh' }).apply(flat) as tf.SymbolicTensor;
    const output = tf.layers.dense({ units: 10, activation: 'softmax' }).apply(hidden) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: output });
    const before = tf.memory().numTensors;
    expect(compileInferenceGraph(model)).toBeNull();
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});
