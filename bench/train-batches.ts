/**
 * The training step both training benchmarks measure: `batches` batches of 128 of the first MNIST training
 * images, with the usual augmentation, Adam at 0.003, seed 1. `onBatch(n)` runs after batch n (1-based).
 */
import type * as tf from '@tensorflow/tfjs';
import { DEFAULT_AUGMENT } from '../apps/trainer/src/augment.js';
import type { Mnist } from '../apps/trainer/src/mnist.js';
import { trainLoop } from '../apps/trainer/src/train-loop.js';

export const BENCH_BATCH_SIZE = 128;

export async function trainBenchBatches(
  model: tf.LayersModel,
  mnist: Mnist,
  batches: number,
  onBatch: (batch: number) => void,
): Promise<void> {
  const n = BENCH_BATCH_SIZE * batches;
  const sub = { images: mnist.train.images.subarray(0, n * 784), labels: mnist.train.labels.subarray(0, n), count: n };
  await trainLoop(model, sub, {
    epochs: 1,
    batchSize: BENCH_BATCH_SIZE,
    learningRate: 0.003,
    seed: 1,
    augment: DEFAULT_AUGMENT,
    onProgress: (p) => {
      if (p.type === 'batch') onBatch(p.batch);
    },
  });
}
