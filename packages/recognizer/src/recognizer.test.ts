import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_PREPROCESS, digitDrawing, numberDrawing, preprocessDrawing, type Stroke, testModelMetadata } from '@inkling/protocol';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildModel } from './architecture.js';
import { initBackend } from './backend.js';
import { ModelFolderError, saveModelFolder } from './model-folder.js';
import { Recognizer } from './recognizer.js';

/** Runtime mechanics with real (small, untrained) models of the shipped architecture. */
describe('Recognizer runtime', () => {
  let dir: string;
  beforeAll(async () => {
    await initBackend('wasm');
    dir = await mkdtemp(join(tmpdir(), 'recognizer-'));
    for (const [name, seed] of [
      ['one', 1],
      ['two', 2],
    ] as const) {
      const model = buildModel({ filters: [4, 8, 8], denseUnits: 16, dropout: 0, seed });
      await saveModelFolder(model, join(dir, name), testModelMetadata(`v-${name}`));
      model.dispose();
    }
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('returns 10 probabilities per digit and keeps tf.memory().numTensors stable over 1,000 predictions', async () => {
    const recognizer = await Recognizer.load(join(dir, 'one'));
    const drawing = digitDrawing(3);
    recognizer.recognize(drawing);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 1000; i++) {
      const r = recognizer.recognize(drawing);
      expect(r.digits).toHaveLength(1);
      expect(r.digits[0]?.probabilities).toHaveLength(10);
    }
    for (let i = 0; i < 50; i++) recognizer.recognizeMany([drawing, numberDrawing('2026'), []]);
    expect(tf.memory().numTensors).toBe(before);
    const sum = recognizer.recognize(drawing).digits[0]?.probabilities.reduce((a, b) => a + b, 0) ?? 0;
    expect(sum).toBeCloseTo(1, 4);
  });

  it('recognizes an empty board as empty text without calling the model', async () => {
    const recognizer = await Recognizer.load(join(dir, 'one'));
    expect(recognizer.recognize([])).toMatchObject({ text: '', digits: [], lowConfidence: false });
  });

  it('segments a number into one prediction per digit, left to right', async () => {
    const recognizer = await Recognizer.load(join(dir, 'one'));
    const r = recognizer.recognize(numberDrawing('2026'));
    expect(r.digits).toHaveLength(4);
    const lefts = r.digits.map((d) => d.box.x);
    expect([...lefts].sort((a, b) => a - b)).toEqual(lefts);
  });

  it('hot-swaps to another folder while predictions keep running, none failing, and frees the old model', async () => {
    const recognizer = await Recognizer.load(join(dir, 'one'));
    const drawing = digitDrawing(5);
    const baseline = tf.memory().numTensors;
    const versions: string[] = [];
    let swapped = false;
    const swap = recognizer.swap(join(dir, 'two')).then(() => {
      swapped = true;
    });
    // Predictions interleave with the asynchronous load of the new folder.
    while (!swapped) {
      versions.push(recognizer.recognize(drawing).modelVersion);
      await new Promise((r) => setImmediate(r));
    }
    await swap;
    for (let i = 0; i < 5; i++) versions.push(recognizer.recognize(drawing).modelVersion);
    expect(versions[0]).toBe('v-one');
    expect(versions.at(-1)).toBe('v-two');
    // Switch happens once: never back to the old version after the new one answered.
    expect(versions.indexOf('v-one', versions.indexOf('v-two'))).toBe(-1);
    expect(recognizer.modelVersion).toBe('v-two');
    // Same architecture, so the same number of weight tensors is alive after the old model is disposed.
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('re-runs the model only for digits whose strokes changed in the same drawing, and never across drawings or models', async () => {
    const recognizer = await Recognizer.load(join(dir, 'one'));
    const runs: number[] = [];
    const predictImages = recognizer.predictImages.bind(recognizer);
    recognizer.predictImages = (images) => {
      runs.push(images.length);
      return predictImages(images);
    };
    const number = numberDrawing('204');
    const firstTwo = number.filter((s) => !s.id.startsWith('n2_'));
    const before = recognizer.recognize(firstTwo, 'room-a/1');
    const after = recognizer.recognize(number, 'room-a/1');
    expect(runs).toEqual([2, 1]);
    expect(after.digits.slice(0, 2)).toEqual(before.digits);
    // Without the cache the answer is the same.
    expect(recognizer.recognize(number)).toEqual(after);
    expect(runs.at(-1)).toBe(3);
    // Same stroke ids in another drawing are other strokes: no reuse.
    recognizer.recognize(number, 'room-a/2');
    expect(runs.at(-1)).toBe(3);
    // The same stroke id drawn by another author in the same drawing is another stroke: no reuse either.
    const bobs = [{ ...(digitDrawing(0)[0] as Stroke), id: 'same', authorId: 'bob' }];
    const alices = [{ ...(digitDrawing(1)[0] as Stroke), id: 'same', authorId: 'alice' }];
    const bob = recognizer.recognize(bobs, 'room-a/3');
    runs.length = 0;
    const alice = recognizer.recognize(alices, 'room-a/3');
    expect(runs).toEqual([1]);
    expect(alice.digits[0]?.probabilities).not.toEqual(bob.digits[0]?.probabilities);
    await recognizer.swap(join(dir, 'two'));
    runs.length = 0;
    expect(recognizer.recognize(number, 'room-a/1').modelVersion).toBe('v-two');
    expect(runs).toEqual([3]);
  });

  it('with an 11-class model, answers "not a digit" at the calibrated threshold: flag set, text empty, probabilities kept', async () => {
    /** A model whose output ignores the input: digit 3 and "not a digit" with the given probabilities. */
    const fixed = async (name: string, notDigit: number, threshold: number | null) => {
      const model = buildModel({ filters: [4, 8, 8], denseUnits: 16, dropout: 0, seed: 3, classes: 11 });
      const out = model.getLayer('probabilities');
      const [kernel] = out.getWeights();
      const logits = new Array(11).fill(-30);
      logits[3] = Math.log(1 - notDigit);
      logits[10] = Math.log(notDigit);
      out.setWeights([tf.zerosLike(kernel as tf.Tensor), tf.tensor1d(logits)]);
      const calibration =
        threshold === null
          ? null
          : {
              temperature: 1,
              notDigitThreshold: threshold,
              validationDigitsRejected: 0,
              validationNonDigitsRejected: 1,
              eceBefore: 0,
              eceAfter: 0,
              validationCount: 1,
            };
      await saveModelFolder(model, join(dir, name), { ...testModelMetadata(`v-${name}`), calibration });
      model.dispose();
      return Recognizer.load(join(dir, name));
    };
    const sure = await fixed('nd-sure', 0.4, 0.3);
    const r = sure.recognize(numberDrawing('12'));
    expect(r).toMatchObject({ text: '', notDigit: true });
    expect(r.digits.map((d) => [d.digit, d.notDigit])).toEqual([
      [3, true],
      [3, true],
    ]);
    expect(r.digits[0]?.notDigitProbability).toBeCloseTo(0.4, 5);
    expect(r.digits[0]?.confidence).toBeCloseTo(0.6, 5);
    expect(r.digits[0]?.probabilities).toHaveLength(10);
    // Below the threshold the digits are read, with P(not a digit) still reported.
    const unsure = await fixed('nd-below', 0.25, 0.3);
    expect(unsure.recognize(digitDrawing(7))).toMatchObject({
      text: '3',
      notDigit: false,
      digits: [{ notDigitProbability: expect.closeTo(0.25, 5) }],
    });
    // Without calibration, "not a digit" must hold at least half the probability.
    const uncalibrated = await fixed('nd-none', 0.45, null);
    expect(uncalibrated.recognize(digitDrawing(7))).toMatchObject({ text: '3', notDigit: false });
    expect((await fixed('nd-none-2', 0.55, null)).recognize(digitDrawing(7))).toMatchObject({ text: '', notDigit: true });
    // A 10-class model never says "not a digit" of a digit-sized drawing.
    const tenClass = await Recognizer.load(join(dir, 'one'));
    expect(tenClass.recognize(digitDrawing(7)).digits[0]).toMatchObject({ notDigit: false, notDigitProbability: 0 });
  });

  it('answers "not a digit" for a speck (a tap, a dot) whatever the model reads in it, reads it drawn larger, and leaves specks beside a digit out', async () => {
    const recognizer = await Recognizer.load(join(dir, 'one'));
    // A 0.02-wide "7" (a few pixels on screen), then the same 7 drawn 10 times as large.
    const seven = digitDrawing(7);
    const scaled = (k: number) =>
      seven.map((s) => ({
        ...s,
        points: s.points.map(([x, y, t]): [number, number, number] => [0.5 + (x - 0.5) * k, 0.5 + (y - 0.5) * k, t]),
      }));
    const extent = (strokes: Stroke[]) => {
      const xs = strokes.flatMap((s) => s.points.map((p) => p[0]));
      const ys = strokes.flatMap((s) => s.points.map((p) => p[1]));
      return Math.max(Math.max(...xs) - Math.min(...xs), Math.max(...ys) - Math.min(...ys));
    };
    const k = 0.02 / extent(seven);
    const tiny = recognizer.recognize(scaled(k));
    expect(tiny).toMatchObject({ text: '', notDigit: true });
    expect(tiny.digits[0]?.notDigit).toBe(true);
    const large = recognizer.recognize(scaled(k * 10));
    expect(large).toMatchObject({ notDigit: false });
    expect(large.text).toHaveLength(1);
    // The model sees the same picture either way: only the size differs.
    expect(large.digits[0]?.probabilities).toEqual(tiny.digits[0]?.probabilities);
    // A lone tap (one point): not a digit. A speck beside a digit is left out of the reading.
    expect(recognizer.recognize([{ id: 'tap', points: [[0.5, 0.5, 0]] }])).toMatchObject({ text: '', notDigit: true });
    const withSpeck = recognizer.recognize([
      ...seven,
      {
        id: 'dot',
        points: [
          [0.97, 0.9, 0],
          [0.975, 0.905, 8],
        ],
      },
    ]);
    expect(withSpeck.digits.map((d) => d.notDigit)).toEqual([false, true]);
    const alone = recognizer.recognize(seven);
    expect(withSpeck).toMatchObject({ text: alone.text, notDigit: false, confidence: alone.confidence });
    // Two specks and nothing else: not a digit.
    const twoTaps = recognizer.recognize([
      { id: 'a', points: [[0.2, 0.5, 0]] },
      { id: 'b', points: [[0.8, 0.5, 0]] },
    ]);
    expect(twoTaps.digits).toHaveLength(2);
    expect(twoTaps).toMatchObject({ text: '', notDigit: true });
  });

  it("draws each model's input with the pen width its metadata names (3.2 px without one); an explicit one overrides it, uncached", async () => {
    const model = buildModel({ filters: [4, 8, 8], denseUnits: 16, dropout: 0, seed: 1 });
    const base = testModelMetadata('v-thin');
    await saveModelFolder(model, join(dir, 'thin'), { ...base, input: { ...base.input, penWidthPx: 1.2 } });
    model.dispose();
    const thin = await Recognizer.load(join(dir, 'thin'));
    const usual = await Recognizer.load(join(dir, 'one'));
    expect(thin.preprocess).toEqual({ ...DEFAULT_PREPROCESS, penWidthPx: 1.2 });
    expect(usual.preprocess).toEqual(DEFAULT_PREPROCESS);
    const seven = digitDrawing(7);
    const at = (r: Recognizer, penWidthPx: number) =>
      Array.from(
        (r.predictImages([preprocessDrawing(seven, { ...DEFAULT_PREPROCESS, penWidthPx })]).probabilities[0] as Float32Array).subarray(
          0,
          10,
        ),
      );
    const close = (a: number[], b: number[]) => a.every((v, i) => Math.abs(v - (b[i] ?? Number.NaN)) < 1e-6);
    const served = thin.recognize(seven, 'room/1').digits[0]?.probabilities ?? [];
    expect(close(served, at(thin, 1.2))).toBe(true);
    // Same weights, drawn differently: the 3.2 px image gives other probabilities (the width really is used).
    expect(close(at(thin, 1.2), at(thin, 3.2))).toBe(false);
    // An explicit width overrides the model's for one call and does not take or leave cached digits.
    const wide = thin.recognizeMany([seven], ['room/1'], { ...DEFAULT_PREPROCESS, penWidthPx: 3.2 })[0]?.digits[0]?.probabilities ?? [];
    expect(close(wide, at(thin, 3.2))).toBe(true);
    expect(close(thin.recognize(seven, 'room/1').digits[0]?.probabilities ?? [], at(thin, 1.2))).toBe(true);
    expect(close(usual.recognize(seven).digits[0]?.probabilities ?? [], at(usual, 3.2))).toBe(true);
  });

  it('refuses a broken folder and keeps serving the current model', async () => {
    const recognizer = await Recognizer.load(join(dir, 'one'));
    const broken = join(dir, 'broken');
    await rm(broken, { recursive: true, force: true });
    await mkdir(broken);
    await writeFile(join(broken, 'metadata.json'), '{"format":"something-else"}');
    await expect(recognizer.swap(broken)).rejects.toBeInstanceOf(ModelFolderError);
    await expect(recognizer.swap(join(dir, 'missing'))).rejects.toBeInstanceOf(ModelFolderError);
    expect(recognizer.modelVersion).toBe('v-one');
    expect(recognizer.recognize(digitDrawing(1)).digits).toHaveLength(1);
  });
});
