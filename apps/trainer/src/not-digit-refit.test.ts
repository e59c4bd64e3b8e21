import { IMAGE_PIXELS } from '@inkling/protocol';
import { buildModel, initBackend } from '@inkling/recognizer';
import type * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from './augment.js';
import { argMax, predictProbabilities } from './class-predictions.js';
import { hardestDigits, RefitError, refitNotDigitColumn } from './not-digit-refit.js';

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
    const result = refitNotDigitColumn(model, { images, labels, count: 200 }, { steps: 300, learningRate: 0.05, l2: 1e-4 });
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

  it('weighs rows: with the non-digits weighted 0 the column learns to answer none of them', () => {
    const { images, labels } = toyImages(200);
    const rejectedWith = (nonDigitWeight: number) => {
      const model = small(11);
      const weights = Float32Array.from(labels, (l) => (l === 10 ? nonDigitWeight : 1));
      refitNotDigitColumn(model, { images, labels, count: 200, weights }, { steps: 300, learningRate: 0.05, l2: 1e-4 });
      const rejected = predictProbabilities(model, images, 200).filter((p, i) => labels[i] === 10 && argMax(p) === 10).length;
      model.dispose();
      return rejected;
    };
    expect(rejectedWith(1)).toBeGreaterThan(90);
    expect(rejectedWith(0)).toBe(0);
  });

  it('finds the images the model takes most for "not a digit", most first', () => {
    const model = small(11);
    const { images, labels } = toyImages(200);
    refitNotDigitColumn(model, { images, labels, count: 200 }, { steps: 300, learningRate: 0.05, l2: 1e-4 });
    const notDigit = predictProbabilities(model, images, 200).map((p) => p[10] ?? 0);
    const hardest = hardestDigits(model, images, 200, 20);
    expect(hardest).toHaveLength(20);
    expect(hardest.filter((i) => labels[i] === 10).length).toBeGreaterThanOrEqual(19);
    for (let k = 1; k < hardest.length; k++) expect(notDigit[hardest[k] ?? 0]).toBeLessThanOrEqual(notDigit[hardest[k - 1] ?? 0] ?? 0);
    const top = Math.max(...notDigit);
    expect(notDigit[hardest[0] ?? 0]).toBe(top);
    model.dispose();
  });

  it('refuses, changing nothing, a model without the "not a digit" class or images that do not match', () => {
    const model = small(10);
    const { images, labels } = toyImages(20);
    const before = byLayer(model);
    expect(() => refitNotDigitColumn(model, { images, labels, count: 20 })).toThrow(RefitError);
    expect(() => refitNotDigitColumn(model, { images, labels, count: 20 })).toThrow(/10 classes/);
    expect(() => refitNotDigitColumn(model, { images, labels, count: 21 })).toThrow(RangeError);
    const model11 = small(11);
    const before11 = byLayer(model11);
    expect(() => refitNotDigitColumn(model11, { images, labels, count: 20, weights: new Float32Array(19) })).toThrow(RangeError);
    expect(() => refitNotDigitColumn(model11, { images, labels, count: 20, weights: new Float32Array(20).fill(-1) })).toThrow(
      /non-negative/,
    );
    expect(byLayer(model11)).toEqual(before11);
    model11.dispose();
    expect(byLayer(model)).toEqual(before);
    model.dispose();
  });
});
