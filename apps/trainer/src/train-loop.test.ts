import type { TrainingProgress } from '@inkling/protocol';
import { buildModel, initBackend } from '@inkling/recognizer';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_AUGMENT } from './augment.js';
import { evaluateModel } from './evaluate.js';
import { loadMnist, type Mnist } from './mnist.js';
import { learningRateAt, trainLoop } from './train-loop.js';

const small = { filters: [8, 16, 16] as [number, number, number], denseUnits: 32, dropout: 0.1, seed: 3 };

describe('trainLoop', () => {
  let mnist: Mnist;
  beforeAll(async () => {
    await initBackend('wasm');
    mnist = await loadMnist();
  });

  it('learns: a small model on 2,560 images beats chance by far, with progress and no leaked tensors', async () => {
    const model = buildModel(small);
    const before = tf.memory().numTensors;
    const events: TrainingProgress[] = [];
    const n = 2560;
    const result = await trainLoop(
      model,
      { images: mnist.train.images.subarray(0, n * 784), labels: mnist.train.labels.subarray(0, n), count: n },
      { epochs: 2, batchSize: 64, learningRate: 0.005, seed: 1, augment: DEFAULT_AUGMENT, onProgress: (p) => events.push(p) },
    );
    expect(result.epochsRun).toBe(2);
    expect(result.imagesSeen).toBe(2 * n);
    expect(tf.memory().numTensors).toBe(before);
    const batches = events.filter((e) => e.type === 'batch');
    const epochs = events.filter((e) => e.type === 'epoch');
    expect(batches).toHaveLength(80);
    expect(epochs.map((e) => e.epoch)).toEqual([1, 2]);
    expect(batches.at(-1)?.loss).toBeLessThan(batches[0]?.loss ?? 0);
    const test = { images: mnist.test.images.subarray(0, 2000 * 784), labels: mnist.test.labels.subarray(0, 2000), count: 2000 };
    expect(evaluateModel(model, test).accuracy).toBeGreaterThan(0.7);
    model.dispose();
  });

  it('stops at the next batch when cancelled and says so', async () => {
    const model = buildModel(small);
    const controller = new AbortController();
    let batches = 0;
    const result = await trainLoop(
      model,
      { images: mnist.train.images, labels: mnist.train.labels, count: mnist.train.count },
      {
        epochs: 3,
        batchSize: 32,
        learningRate: 0.001,
        seed: 1,
        augment: null,
        signal: controller.signal,
        onProgress: (p) => {
          if (p.type === 'batch' && ++batches === 5) controller.abort();
        },
      },
    );
    expect(result.cancelled).toBe(true);
    expect(result.epochsRun).toBe(0);
    expect(result.imagesSeen).toBe(5 * 32);
    model.dispose();
  });

  it('distils only the digits of a teacher that has "not a digit": MNIST rows are never taught that answer', async () => {
    // A teacher that answers "not a digit" for everything (its output bias for that class is huge).
    const teacher = buildModel({ ...small, classes: 11 });
    const output = teacher.getLayer('probabilities');
    const [kernel, bias] = output.getWeights() as [tf.Tensor2D, tf.Tensor1D];
    const loud = tf.tidy(() => bias.add(tf.oneHot(10, 11).toFloat().mul(30)));
    output.setWeights([kernel, loud]);
    loud.dispose();
    const n = 1280;
    const images = mnist.train.images.subarray(0, n * 784);
    const student = buildModel({ ...small, classes: 11 });
    await trainLoop(
      student,
      { images, labels: mnist.train.labels.subarray(0, n), count: n },
      { epochs: 2, batchSize: 64, learningRate: 0.005, seed: 1, augment: null, classes: 11, teacher: { model: teacher, weight: 0.9 } },
    );
    const test = { images: mnist.test.images.subarray(0, 1000 * 784), labels: mnist.test.labels.subarray(0, 1000), count: 1000 };
    const evaluation = evaluateModel(student, test);
    expect(evaluation.rejected).toBeLessThan(20);
    expect(evaluation.digitAccuracy).toBeGreaterThan(0.5);
    teacher.dispose();
    student.dispose();
  });
});

describe('learningRateAt', () => {
  it('warms up, peaks, then decays to 1% of the peak', () => {
    expect(learningRateAt(0, 1000, 1)).toBeLessThan(0.2);
    expect(learningRateAt(49, 1000, 1)).toBeCloseTo(1, 5);
    expect(learningRateAt(999, 1000, 1)).toBeCloseTo(0.01, 2);
    expect(learningRateAt(500, 1000, 1)).toBeLessThan(learningRateAt(100, 1000, 1));
  });
});
