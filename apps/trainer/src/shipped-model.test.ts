import { join } from 'node:path';
import { digitDrawing, numberDrawing } from '@inkling/protocol';
import { initBackend, loadModelFolder, Recognizer } from '@inkling/recognizer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateModel } from './evaluate.js';
import { loadMnist } from './mnist.js';
import { evaluateNonDigits, evaluateNumbers, evaluateSingleDigits } from './pen-eval.js';
import { loadPendigits, type PendigitsSets } from './pendigits.js';

const models = join(import.meta.dirname, '../../../models');

describe('the model shipped in models/default', () => {
  it('reaches at least 99.4% on the full 10,000-image MNIST test set, as its metadata says', async () => {
    await initBackend('wasm');
    const { model, metadata } = await loadModelFolder(join(models, 'default'));
    const mnist = await loadMnist();
    const evaluation = evaluateModel(model, mnist.test, 1000, metadata.calibration?.notDigitThreshold);
    expect(mnist.test.count).toBe(10000);
    expect(evaluation.accuracy).toBeGreaterThanOrEqual(0.994);
    expect(evaluation.accuracy).toBeCloseTo(metadata.metrics.mnistTestAccuracy, 6);
    expect(metadata.training.command).toMatch(/^npm run train -- /);
    expect(metadata.dataset.fingerprint).toBe(mnist.fingerprint);
    model.dispose();
  }, 120_000);
});

/**
 * The pen-trained candidate (models/pen-candidate, README "The recognizer"): not shipped as the default because it
 * loses MNIST accuracy. These floors are its measured figures, so a change that makes it worse is caught; the
 * issue 11 target it misses is MNIST ≥ 99.5 % (it reads the held-out pen writers at 98.74 %, served with the 2.2 px
 * pen its calibration chose).
 */
const CANDIDATE_FLOORS = {
  mnist: 0.989,
  mnistDigitsAlone: 0.993,
  pen: 0.985,
  numbers: 0.95,
  nonDigitsRejected: 0.95,
  digitsRejected: 0.005,
  expectedCalibrationError: 0.02,
};

describe('the pen-trained candidate in models/pen-candidate', () => {
  const folder = join(models, 'pen-candidate');
  let recognizer: Recognizer;
  let pen: PendigitsSets;
  beforeAll(async () => {
    await initBackend('wasm');
    recognizer = await Recognizer.load(folder);
    pen = await loadPendigits();
  });
  afterAll(() => recognizer?.dispose());

  it('keeps its MNIST test figures (with "not a digit" answers counted as errors, and digits alone)', async () => {
    const { model, metadata } = await loadModelFolder(folder);
    const mnist = await loadMnist();
    const evaluation = evaluateModel(model, mnist.test, 1000, metadata.calibration?.notDigitThreshold);
    expect(evaluation.accuracy).toBeGreaterThanOrEqual(CANDIDATE_FLOORS.mnist);
    expect(evaluation.digitAccuracy).toBeGreaterThanOrEqual(CANDIDATE_FLOORS.mnistDigitsAlone);
    expect(evaluation.accuracy).toBeCloseTo(metadata.metrics.mnistTestAccuracy, 6);
    expect(metadata.dataset.fingerprint).toBe(mnist.fingerprint);
    model.dispose();
  }, 120_000);

  it('reads the held-out pen writers through the live path as its metadata says, rejecting at most 0.5 %, calibrated', () => {
    const report = evaluateSingleDigits(recognizer, pen.test);
    expect(report.count).toBe(1749);
    expect(report.accuracy).toBeGreaterThanOrEqual(CANDIDATE_FLOORS.pen);
    expect(report.accuracy).toBeCloseTo(recognizer.metadata.metrics.pen?.accuracy ?? 0, 6);
    expect(report.rejected).toBeLessThanOrEqual(CANDIDATE_FLOORS.digitsRejected);
    expect(report.expectedCalibrationError).toBeLessThanOrEqual(CANDIDATE_FLOORS.expectedCalibrationError);
    expect(recognizer.metadata.calibration?.temperature).toBeGreaterThan(0);
    // Served with the pen width its calibration chose on the validation writers.
    expect(recognizer.metadata.input.penWidthPx).toBe(2.2);
    expect(recognizer.preprocess.penWidthPx).toBe(2.2);
  }, 120_000);

  it('reads numbers of 2–4 held-out digits side by side as whole numbers', () => {
    expect(evaluateNumbers(recognizer, pen.test, 400).accuracy).toBeGreaterThanOrEqual(CANDIDATE_FLOORS.numbers);
  }, 120_000);

  it('answers "not a digit" for at least 95 % of generated dots, lines, scribbles and letters', () => {
    expect(evaluateNonDigits(recognizer, 1000).rejected).toBeGreaterThanOrEqual(CANDIDATE_FLOORS.nonDigitsRejected);
    expect(recognizer.recognize([{ id: 'dot', points: [[0.5, 0.5, 0]] }])).toMatchObject({ notDigit: true, text: '' });
  }, 120_000);

  it('reads the hand-made test drawings used across the repository', () => {
    for (let digit = 0; digit <= 9; digit++) expect(recognizer.recognize(digitDrawing(digit)).text, `digit ${digit}`).toBe(String(digit));
    for (const text of ['2026', '101', '42', '31415926']) expect(recognizer.recognize(numberDrawing(text)).text).toBe(text);
  });
});
