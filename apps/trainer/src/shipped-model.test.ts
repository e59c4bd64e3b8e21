import { join } from 'node:path';
import { initBackend, loadModelFolder } from '@inkling/recognizer';
import { describe, expect, it } from 'vitest';
import { evaluateModel } from './evaluate.js';
import { loadMnist } from './mnist.js';

const shipped = join(import.meta.dirname, '../../../models/default');

describe('the model shipped in models/default', () => {
  it('reaches at least 99.4% on the full 10,000-image MNIST test set, as its metadata says', async () => {
    await initBackend('wasm');
    const { model, metadata } = await loadModelFolder(shipped);
    const mnist = await loadMnist();
    const evaluation = evaluateModel(model, mnist.test);
    expect(mnist.test.count).toBe(10000);
    expect(evaluation.accuracy).toBeGreaterThanOrEqual(0.994);
    expect(evaluation.accuracy).toBeCloseTo(metadata.metrics.mnistTestAccuracy, 6);
    expect(metadata.training.command).toMatch(/^npm run train -- /);
    expect(metadata.dataset.fingerprint).toBe(mnist.fingerprint);
    model.dispose();
  }, 120_000);
});
