import { join } from 'node:path';
import { DEFAULT_PREPROCESS } from '@inkling/protocol';
import { initBackend, Recognizer } from '@inkling/recognizer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { layoutDigits } from './pen-eval.js';
import { loadPendigits, type PenDigit, toStrokes } from './pendigits.js';
import { recognizeWithPreprocess } from './reading-with-preprocess.js';

const models = join(import.meta.dirname, '../../../models');

describe('reading with explicit preprocessing options', () => {
  let recognizer: Recognizer;
  let digits: PenDigit[];
  beforeAll(async () => {
    await initBackend('wasm');
    recognizer = await Recognizer.load(join(models, 'pen-candidate'));
    digits = (await loadPendigits()).test.slice(0, 60);
  });
  afterAll(() => recognizer?.dispose());

  const drawings = () => [
    ...digits.map((d) => toStrokes(d.strokes)),
    ...[0, 10, 20, 30].map((i) => layoutDigits(digits.slice(i, i + 3), [0.3, 0.3, 0], [1, 1, 1], [0, 0, 0])),
    [],
  ];

  it('reads exactly like the live recognizer with the shipped preprocessing', () => {
    expect(recognizeWithPreprocess(recognizer, drawings(), DEFAULT_PREPROCESS)).toEqual(recognizer.recognizeMany(drawings()));
  });

  it('uses the pen width it is given', () => {
    const thin = recognizeWithPreprocess(recognizer, drawings(), { ...DEFAULT_PREPROCESS, penWidthPx: 2 });
    const live = recognizer.recognizeMany(drawings());
    expect(thin.map((r) => r.digits.map((d) => d.probabilities))).not.toEqual(live.map((r) => r.digits.map((d) => d.probabilities)));
    expect(thin.map((r) => r.digits.length)).toEqual(live.map((r) => r.digits.length));
  });
});
