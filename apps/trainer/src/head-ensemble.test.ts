import { IMAGE_PIXELS } from '@inkling/protocol';
import { type ArchitectureOptions, buildModel, initBackend } from '@inkling/recognizer';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from './augment.js';
import { ensembleHeads } from './head-ensemble.js';
import { BlendError } from './weight-blend.js';

const architecture = (seed: number, classes: 10 | 11): ArchitectureOptions => ({
  filters: [4, 8, 8],
  denseUnits: 16,
  dropout: 0,
  seed,
  classes,
});

/** A base model, and a "fine-tune" of it: the same conv blocks (their moving statistics changed), another head. */
function baseAndFineTune(): { base: tf.LayersModel; fine: tf.LayersModel } {
  const base = buildModel(architecture(1, 10));
  const fine = buildModel(architecture(2, 11));
  for (const name of ['conv1', 'bn1', 'conv2', 'bn2', 'conv3', 'bn3']) {
    const weights = base.getLayer(name).getWeights();
    // BatchNorm: gamma, beta as the base's; moving mean and variance moved, as a frozen block's do in fine-tuning.
    const moved = tf.tidy(() => weights.map((w, i) => (name.startsWith('bn') && i >= 2 ? w.mul(1.1).add(0.01) : w.clone())));
    fine.getLayer(name).setWeights(moved);
    tf.dispose(moved);
  }
  return { base, fine };
}

const logits = (model: tf.LayersModel, x: tf.Tensor) => tf.tidy(() => tf.log(model.predict(x) as tf.Tensor).arraySync() as number[][]);

describe('ensembleHeads', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('is one network whose digit logits are weight × fine-tuned + (1 − weight) × base, "not a digit" the fine-tune’s own', () => {
    const { base, fine } = baseAndFineTune();
    // The base's head as it reads the fine-tune's conv statistics (those the ensemble keeps).
    const baseOnFineStats = buildModel(architecture(1, 10));
    for (const layer of baseOnFineStats.layers) {
      const source = layer.name.startsWith('conv') || layer.name.startsWith('bn') ? (layer.name === 'bn_dense' ? base : fine) : base;
      if (layer.getWeights().length > 0) layer.setWeights(source.getLayer(layer.name).getWeights());
    }
    const { model, architecture: merged } = ensembleHeads(fine, architecture(2, 11), base, architecture(1, 10), 0.7);
    expect(merged.denseUnits).toBe(32);
    expect(model.outputs[0]?.shape).toEqual([null, 11]);
    const random = seededRandom(4);
    const x = tf.tensor4d(
      Float32Array.from({ length: 3 * IMAGE_PIXELS }, () => random()),
      [3, 28, 28, 1],
    );
    const [f, b, e] = [logits(fine, x), logits(baseOnFineStats, x), logits(model, x)];
    for (let row = 0; row < 3; row++) {
      // Log-probabilities differ from logits by a per-row constant: compare differences against class 0.
      const fineRow = f[row] as number[];
      const baseRow = b[row] as number[];
      const mixedRow = e[row] as number[];
      for (let c = 1; c < 10; c++) {
        const expected = 0.7 * ((fineRow[c] ?? 0) - (fineRow[0] ?? 0)) + 0.3 * ((baseRow[c] ?? 0) - (baseRow[0] ?? 0));
        expect((mixedRow[c] ?? 0) - (mixedRow[0] ?? 0)).toBeCloseTo(expected, 3);
      }
    }
    // The "not a digit" column: the fine-tune's weights on the fine-tune's units, nothing on the base's.
    const [kernel] = model.getLayer('probabilities').getWeights() as [tf.Tensor2D];
    const [fineKernel] = fine.getLayer('probabilities').getWeights() as [tf.Tensor2D];
    const column = (t: tf.Tensor2D) => tf.tidy(() => Array.from(tf.slice(t, [0, 10], [-1, 1]).dataSync()));
    expect(column(kernel).slice(0, 16)).toEqual(column(fineKernel));
    expect(column(kernel).slice(16)).toEqual(new Array(16).fill(0));
    tf.dispose([x]);
    for (const m of [base, fine, baseOnFineStats, model]) m.dispose();
  });

  it('refuses a fine-tune whose conv blocks learned (not --freeze 3), another network, or a weight outside 0–1', () => {
    const { base, fine } = baseAndFineTune();
    const bad = tf.tidy(() =>
      fine
        .getLayer('conv2')
        .getWeights()
        .map((w) => w.add(0.001)),
    );
    const other = buildModel(architecture(3, 11));
    other.getLayer('conv2').setWeights(bad);
    expect(() => ensembleHeads(other, architecture(3, 11), base, architecture(1, 10), 0.5)).toThrow(
      /layer "conv1" differs|layer "conv2" differs/,
    );
    expect(() => ensembleHeads(fine, architecture(2, 11), base, { ...architecture(1, 10), filters: [4, 8, 16] }, 0.5)).toThrow(BlendError);
    expect(() => ensembleHeads(fine, architecture(2, 11), base, architecture(1, 10), 1.5)).toThrow(/from 0 to 1/);
    expect(() => ensembleHeads(base, architecture(1, 10), fine, architecture(2, 11), 0.5)).toThrow(/base has 11 classes/);
    tf.dispose(bad);
    for (const m of [base, fine, other]) m.dispose();
  });
});
