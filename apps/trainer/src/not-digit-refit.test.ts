import { IMAGE_PIXELS } from '@inkling/protocol';
import { buildModel, initBackend } from '@inkling/recognizer';
import type * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from './augment.js';
import { argMax, predictProbabilities } from './class-predictions.js';
import { RefitError, refitNotDigitColumn } from './not-digit-refit.js';

const small = (classes: 10 | 11) => buildModel({ filters: [4, 8, 8], denseUnits: 16, dropout: 0, seed: 3, classes });
const byLayer = (m: tf.LayersModel) => m.layers.map((l) => l.getWeights().map((w) => Array.from(w.dataSync())));

/** `count` images: even rows a bar (a "digit" of class row/2 % 10), odd rows speckle noise ("not a digit"). */
function toyImages(count: number): { images: Float32Array; labels: Int32Array } {
  const random = seededRandom(5);
  const images = new Float32Array(count * IMAGE_PIXELS);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const image = images.subarray(i * IMAGE_PIXELS, (i + 1) * IMAGE_PIXELS);
    if (i % 2 === 0) {
      const column = 6 + ((i / 2) % 16);
      for (let y = 4; y < 24; y++) image[y * 28 + column] = 1;
      labels[i] = (i / 2) % 10;
    } else {
      for (let p = 0; p < IMAGE_PIXELS; p++) image[p] = random() < 0.15 ? 1 : 0;
      labels[i] = 10;
    }
  }
  return { images, labels };
}

describe('refitNotDigitColumn', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('moves only the "not a digit" column, and makes it answer the non-digits it was fitted on', () => {
    const model = small(11);
    const { images, labels } = toyImages(200);
    const before = byLayer(model);
    const rejected = () => predictProbabilities(model, images, 200).filter((p, i) => labels[i] === 10 && argMax(p) === 10).length;
    const rejectedBefore = rejected();
    const result = refitNotDigitColumn(model, images, labels, 200, { steps: 300, learningRate: 0.05, l2: 1e-4 });
    expect(result.lossAfter).toBeLessThan(result.lossBefore);
    expect(rejected()).toBeGreaterThan(Math.max(rejectedBefore, 90));
    const after = byLayer(model);
    const last = after.length - 1;
    for (let l = 0; l < last; l++) expect(after[l]).toEqual(before[l]);
    const [kernel, bias] = after[last] as number[][];
    const [kernelBefore, biasBefore] = before[last] as number[][];
    let columnMoved = 0;
    for (let row = 0; row < 16; row++) {
      for (let c = 0; c < 10; c++) expect(kernel?.[row * 11 + c]).toBe(kernelBefore?.[row * 11 + c]);
      columnMoved += Math.abs((kernel?.[row * 11 + 10] ?? 0) - (kernelBefore?.[row * 11 + 10] ?? 0));
    }
    expect(columnMoved).toBeGreaterThan(0);
    expect(bias?.slice(0, 10)).toEqual(biasBefore?.slice(0, 10));
    model.dispose();
  });

  it('refuses, changing nothing, a model without the "not a digit" class or images that do not match', () => {
    const model = small(10);
    const { images, labels } = toyImages(20);
    const before = byLayer(model);
    expect(() => refitNotDigitColumn(model, images, labels, 20)).toThrow(RefitError);
    expect(() => refitNotDigitColumn(model, images, labels, 20)).toThrow(/10 classes/);
    expect(() => refitNotDigitColumn(model, images, labels, 21)).toThrow(RangeError);
    expect(byLayer(model)).toEqual(before);
    model.dispose();
  });
});
