import type { DigitPrediction, Prediction } from '@inkling/protocol';
import { describe, expect, it } from 'vitest';
import { announcement, headline, isNotDigit, notDigitProbability } from './prediction-summary.js';

const digit = (d: number, confidence: number, extra: object = {}): DigitPrediction => ({
  digit: d,
  confidence,
  probabilities: Array.from({ length: 10 }, (_, k) => (k === d ? confidence : (1 - confidence) / 9)),
  box: { x: 0, y: 0, width: 0.1, height: 0.2 },
  strokeIds: ['a'],
  notDigit: false,
  notDigitProbability: 0,
  ...extra,
});

const prediction = (text: string, digits: DigitPrediction[], extra: object = {}): Prediction => ({
  roomId: 'r1',
  drawingId: 1,
  revision: 3,
  latencyMs: 20,
  inferenceMs: 1,
  text,
  digits,
  confidence: digits.reduce((a, d) => a * d.confidence, 1),
  lowConfidence: false,
  notDigit: false,
  modelVersion: 'v1',
  ...extra,
});

describe('prediction summary', () => {
  it('says the number and its confidence in one short sentence', () => {
    expect(announcement(headline(prediction('7', [digit(7, 0.98)]), true))).toBe('Recognized 7, 98%.');
    const p = prediction('42', [digit(4, 0.9), digit(2, 0.5)], { lowConfidence: true });
    expect(announcement(headline(p, true))).toBe('Recognized 42, 45%, not sure.');
  });

  it('says nothing for an empty board or while the first answer is on its way', () => {
    expect(announcement(headline(null, false))).toBe('');
    expect(headline(null, true)).toEqual({ kind: 'recognizing' });
    expect(announcement(headline(prediction('7', [digit(7, 0.98)]), false))).toBe('');
  });

  it('shows "not a digit" as such when the model says so', () => {
    const p = prediction('', [digit(1, 0.3, { notDigit: true, notDigitProbability: 0.93 })], { notDigit: true });
    expect(headline(p, true)).toEqual({ kind: 'not-digit', groups: 1, of: 1 });
    expect(announcement(headline(p, true))).toBe('Not a digit.');
    expect(notDigitProbability(p.digits[0] as DigitPrediction)).toBe(0.93);
    const two = prediction('', [digit(4, 0.99, { notDigit: false }), digit(1, 0.3, { notDigit: true })], { notDigit: true });
    expect(announcement(headline(two, true))).toBe('Not a number: 1 of 2 shapes are not digits.');
  });

  it('treats a prediction without the notDigit fields (an older model or server) as digits', () => {
    const { notDigit: _n, notDigitProbability: _p, ...older } = digit(5, 0.8);
    const p = prediction('5', [older as DigitPrediction]);
    expect(isNotDigit(p)).toBe(false);
    expect(isNotDigit(p.digits[0] as DigitPrediction)).toBe(false);
    expect(notDigitProbability(p.digits[0] as DigitPrediction)).toBeNull();
    expect(headline(p, true)).toEqual({ kind: 'number', text: '5', confidence: 0.8, unsure: false });
  });
});
