/**
 * User-labelled drawings as training images: each drawing is segmented into digits exactly like live
 * recognition, each digit preprocessed the shared way; a multi-digit label is kept only when segmentation
 * finds as many digits as the label has. The held-out share is fixed: labels whose id is a multiple of 5.
 */
import { DEFAULT_PREPROCESS, type PreprocessOptions, preprocessDrawing, segmentDigits } from '@inkling/protocol';
import type { LabelledDrawing } from '@inkling/store';
import type { ImageSet } from './evaluate.js';
import { IMAGE_PIXELS } from './mnist.js';

export const USER_TEST_RULE = 'label id % 5 = 0 → held-out test set; the rest train';
export const isHeldOut = (labelId: number): boolean => labelId % 5 === 0;

export interface UserSets {
  train: ImageSet & { images: Uint8Array };
  test: ImageSet & { images: Uint8Array };
  /** Labels whose digit count did not match the segmentation (not used). */
  skipped: number;
  testLabelIds: number[];
}

function toSet(images: Float32Array[], labels: number[]): ImageSet & { images: Uint8Array } {
  const bytes = new Uint8Array(images.length * IMAGE_PIXELS);
  images.forEach((img, i) => {
    for (let k = 0; k < IMAGE_PIXELS; k++) bytes[i * IMAGE_PIXELS + k] = Math.round((img[k] ?? 0) * 255);
  });
  return { images: bytes, labels: Uint8Array.from(labels), count: labels.length };
}

/** Each labelled drawing's digits as images drawn with `preprocess` (the served model's). */
export function buildUserSets(drawings: readonly LabelledDrawing[], preprocess: PreprocessOptions = DEFAULT_PREPROCESS): UserSets {
  const train: { images: Float32Array[]; labels: number[] } = { images: [], labels: [] };
  const test: { images: Float32Array[]; labels: number[] } = { images: [], labels: [] };
  const testLabelIds: number[] = [];
  let skipped = 0;
  for (const d of drawings) {
    const groups = segmentDigits(d.strokes);
    if (groups.length !== d.text.length || groups.length === 0) {
      skipped++;
      continue;
    }
    const target = isHeldOut(d.labelId) ? test : train;
    if (target === test) testLabelIds.push(d.labelId);
    groups.forEach((g, i) => {
      target.images.push(preprocessDrawing(g.strokes, preprocess));
      target.labels.push(Number(d.text[i]));
    });
  }
  return { train: toSet(train.images, train.labels), test: toSet(test.images, test.labels), skipped, testLabelIds };
}

/**
 * MNIST (first `mnistCount` images) plus user images drawn with replacement so they make up `userShare`
 * of the result (none when there are no user images).
 */
export function mixTrainingSet(
  mnist: ImageSet & { images: Uint8Array },
  mnistCount: number,
  user: ImageSet & { images: Uint8Array },
  userShare: number,
  random: () => number,
): ImageSet & { images: Uint8Array; userCount: number } {
  const userCount = user.count === 0 || userShare === 0 ? 0 : Math.round((userShare / (1 - userShare)) * mnistCount);
  const count = mnistCount + userCount;
  const images = new Uint8Array(count * IMAGE_PIXELS);
  const labels = new Uint8Array(count);
  images.set(mnist.images.subarray(0, mnistCount * IMAGE_PIXELS));
  labels.set(mnist.labels.subarray(0, mnistCount));
  for (let i = 0; i < userCount; i++) {
    const k = Math.floor(random() * user.count);
    images.set(user.images.subarray(k * IMAGE_PIXELS, (k + 1) * IMAGE_PIXELS), (mnistCount + i) * IMAGE_PIXELS);
    labels[mnistCount + i] = user.labels[k] ?? 0;
  }
  return { images, labels, count, userCount };
}
