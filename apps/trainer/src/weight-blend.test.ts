import { buildModel, initBackend } from '@inkling/recognizer';
import type * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { BlendError, blendWeights } from './weight-blend.js';

const small = (seed: number, classes: 10 | 11 = 10, dense = 16) =>
  buildModel({ filters: [4, 8, 8], denseUnits: dense, dropout: 0, seed, classes });
const values = (m: tf.LayersModel) => m.getWeights().map((w) => Array.from(w.dataSync()));

describe('blendWeights', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('mixes every weight as weight × fine-tuned + (1 − weight) × base, the added "not a digit" column kept', () => {
    const base = small(1);
    const fine = small(2, 11);
    const byLayer = (m: tf.LayersModel) => m.layers.map((l) => l.getWeights().map((w) => Array.from(w.dataSync())));
    const [b, f] = [byLayer(base), byLayer(fine)];
    blendWeights(fine, base, 0.75);
    const blended = byLayer(fine);
    const last = blended.length - 1;
    // Every layer but the output: the blend, element by element (BatchNorm's moving statistics too).
    for (let l = 0; l < last; l++)
      for (const [i, w] of (blended[l] ?? []).entries())
        for (const [k, v] of w.entries()) expect(v).toBeCloseTo(0.75 * (f[l]?.[i]?.[k] ?? 0) + 0.25 * (b[l]?.[i]?.[k] ?? 0), 5);
    // The output kernel [16, 11] against [16, 10]: digit columns blended, column 10 the fine-tuned one's.
    const [kernel, bias] = blended[last] as number[][];
    const [fineKernel, fineBias] = f[last] as number[][];
    const [baseKernel, baseBias] = b[last] as number[][];
    for (let row = 0; row < 16; row++) {
      for (let c = 0; c < 10; c++)
        expect(kernel?.[row * 11 + c]).toBeCloseTo(0.75 * (fineKernel?.[row * 11 + c] ?? 0) + 0.25 * (baseKernel?.[row * 10 + c] ?? 0), 5);
      expect(kernel?.[row * 11 + 10]).toBeCloseTo(fineKernel?.[row * 11 + 10] ?? 0, 6);
    }
    for (let c = 0; c < 10; c++) expect(bias?.[c]).toBeCloseTo(0.75 * (fineBias?.[c] ?? 0) + 0.25 * (baseBias?.[c] ?? 0), 5);
    expect(bias?.[10]).toBeCloseTo(fineBias?.[10] ?? 0, 6);
    base.dispose();
    fine.dispose();
  });

  it('at weight 1 leaves the fine-tuned model as it was; at 0 its digits are the base model', () => {
    const base = small(3);
    const fine = small(4);
    const before = values(fine);
    blendWeights(fine, base, 1);
    expect(values(fine)).toEqual(before);
    blendWeights(fine, base, 0);
    const baseValues = values(base);
    for (const [i, w] of values(fine).entries()) for (const [k, v] of w.entries()) expect(v).toBeCloseTo(baseValues[i]?.[k] ?? 0, 6);
    base.dispose();
    fine.dispose();
  });

  it('refuses, changing nothing, another network or a weight outside 0–1', () => {
    const fine = small(5, 11);
    const before = values(fine);
    const other = small(6, 10, 32);
    expect(() => blendWeights(fine, other, 0.5)).toThrow(BlendError);
    expect(() => blendWeights(fine, small(7), 1.5)).toThrow(/from 0 to 1/);
    expect(() => blendWeights(small(8), fine, 0.5)).toThrow(/cannot blend/);
    expect(values(fine)).toEqual(before);
  });
});
