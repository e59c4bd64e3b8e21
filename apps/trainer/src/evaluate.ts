/** Accuracy, per-class accuracy and confusion matrix of a model on a labelled image set. */

import type { ModelMetrics } from '@inkling/protocol';
import { DEFAULT_NOT_DIGIT_THRESHOLD } from '@inkling/recognizer';
import * as tf from '@tensorflow/tfjs';
import { IMAGE_PIXELS } from './mnist.js';

export interface ImageSet {
  /** `count` images of 784 values: bytes 0–255 or floats in [0, 1] (white ink on black). */
  images: Uint8Array | Float32Array;
  labels: Uint8Array;
  count: number;
}

export interface Evaluation {
  accuracy: number;
  perClassAccuracy: number[];
  confusionMatrix: number[][];
  /** Images an 11-class model answered "not a digit" (errors in `accuracy`; not in the matrix). */
  rejected: number;
  /** Accuracy of the most likely digit alone, as if "not a digit" were never answered. */
  digitAccuracy: number;
}

interface Rejections {
  rejected: number;
  /** Rejected images whose most likely digit was right. */
  rejectedRight: number;
}

export function toFloatImages(images: Uint8Array | Float32Array, start: number, count: number): Float32Array {
  const out = new Float32Array(count * IMAGE_PIXELS);
  const offset = start * IMAGE_PIXELS;
  const scale = images instanceof Uint8Array ? 1 / 255 : 1;
  for (let i = 0; i < out.length; i++) out[i] = (images[offset + i] ?? 0) * scale;
  return out;
}

function emptyConfusion(): number[][] {
  return Array.from({ length: 10 }, () => new Array<number>(10).fill(0));
}

/**
 * Predicts images [start, start + n) and counts them into the confusion matrix. An 11-class model answers "not a
 * digit" (an error, outside the digits' matrix) as the recognizer does: when that class's probability reaches
 * `notDigitThreshold`; otherwise its most likely digit counts.
 */
function accumulate(
  model: tf.LayersModel,
  set: ImageSet,
  start: number,
  n: number,
  confusion: number[][],
  rejections: Rejections,
  notDigitThreshold: number,
): void {
  const probabilities = tf.tidy(() => {
    const x = tf.tensor4d(toFloatImages(set.images, start, n), [n, 28, 28, 1]);
    return (model.predict(x) as tf.Tensor).dataSync();
  });
  const classes = probabilities.length / n;
  for (let i = 0; i < n; i++) {
    const row = confusion[set.labels[start + i] ?? 0];
    const base = i * classes;
    let best = 0;
    for (let d = 1; d < 10; d++) if ((probabilities[base + d] ?? 0) > (probabilities[base + best] ?? 0)) best = d;
    if (classes > 10 && (probabilities[base + 10] ?? 0) >= notDigitThreshold) {
      rejections.rejected++;
      if (best === set.labels[start + i]) rejections.rejectedRight++;
      continue;
    }
    if (row) row[best] = (row[best] ?? 0) + 1;
  }
}

function summarize(confusion: number[][], count: number, rejections: Rejections): Evaluation {
  let correct = 0;
  const perClassAccuracy = confusion.map((row, c) => {
    const total = row.reduce((a, b) => a + b, 0);
    correct += row[c] ?? 0;
    return total === 0 ? 0 : (row[c] ?? 0) / total;
  });
  return {
    accuracy: count === 0 ? 0 : correct / count,
    perClassAccuracy,
    confusionMatrix: confusion,
    rejected: rejections.rejected,
    digitAccuracy: count === 0 ? 0 : (correct + rejections.rejectedRight) / count,
  };
}

export function evaluateModel(
  model: tf.LayersModel,
  set: ImageSet,
  batchSize = 1000,
  notDigitThreshold = DEFAULT_NOT_DIGIT_THRESHOLD,
): Evaluation {
  const confusion = emptyConfusion();
  const rejections = { rejected: 0, rejectedRight: 0 };
  for (let start = 0; start < set.count; start += batchSize)
    accumulate(model, set, start, Math.min(batchSize, set.count - start), confusion, rejections, notDigitThreshold);
  return summarize(confusion, set.count, rejections);
}

/**
 * The same, yielding to the event loop between batches: for services, where a long synchronous evaluation
 * would stop lock renewals and heartbeats (a BullMQ job would look stalled).
 */
export async function evaluateModelAsync(
  model: tf.LayersModel,
  set: ImageSet,
  batchSize = 500,
  notDigitThreshold = DEFAULT_NOT_DIGIT_THRESHOLD,
): Promise<Evaluation> {
  const confusion = emptyConfusion();
  const rejections = { rejected: 0, rejectedRight: 0 };
  for (let start = 0; start < set.count; start += batchSize) {
    accumulate(model, set, start, Math.min(batchSize, set.count - start), confusion, rejections, notDigitThreshold);
    await new Promise((resolve) => setImmediate(resolve));
  }
  return summarize(confusion, set.count, rejections);
}

export function toMetrics(mnist: Evaluation, user: Evaluation | null, userCount: number): ModelMetrics {
  return {
    mnistTestAccuracy: mnist.accuracy,
    userTestAccuracy: user ? user.accuracy : null,
    userTestCount: userCount,
    perClassAccuracy: mnist.perClassAccuracy,
    confusionMatrix: mnist.confusionMatrix,
  };
}
