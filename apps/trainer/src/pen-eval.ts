/**
 * What users get, measured on the held-out pen writers through exactly the live path (`Recognizer`: segmentation,
 * the shared preprocessing, the served folded inference graph): single digits, numbers of several digits side by
 * side, generated non-digits, calibration of the confidence, and segmentation of close pairs.
 */
import { type PreprocessOptions, type Recognition, type Stroke, segmentDigits } from '@inkling/protocol';
import type { Recognizer } from '@inkling/recognizer';
import { type Random, seededRandom } from './augment.js';
import { expectedCalibrationError } from './calibration.js';
import { nonDigitStrokes } from './mixed-batches.js';
import { nonDigit } from './non-digits.js';
import { type PenDigit, toStrokes } from './pendigits.js';

/** Columns of the pen confusion matrix beyond the digits: "not a digit" and "read as several digits". */
export const NOT_DIGIT_COLUMN = 10;
export const SPLIT_COLUMN = 11;

/** Seed of the test non-digits and test numbers (training uses its own seeds; validation uses 7001). */
export const TEST_SEED = 9001;

export interface SingleDigitReport {
  count: number;
  accuracy: number;
  /** confusion[actual][predicted], predicted 0–9, 10 = "not a digit", 11 = split into several digits. */
  confusion: number[][];
  perWriter: { writer: number; count: number; accuracy: number }[];
  worst: { actual: number; predicted: string; count: number }[];
  /** Share answered "not a digit". */
  rejected: number;
  /** ECE (15 bins) of the reported confidence of the read digit. */
  expectedCalibrationError: number;
  /** Share of digits with confidence below LOW_CONFIDENCE ("not sure"), and the accuracy of the rest. */
  notSure: number;
  sureAccuracy: number;
}

const batches = <T>(items: readonly T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

/**
 * Reads drawings through the live recognizer; with `preprocess`, the same path with those preprocessing options
 * (an inference pen width being measured) instead of the model's own.
 */
function recognizeAll(recognizer: Recognizer, drawings: readonly Stroke[][], preprocess?: PreprocessOptions): Recognition[] {
  return batches(drawings, 64).flatMap((b) => recognizer.recognizeMany(b, [], preprocess));
}

export function evaluateSingleDigits(
  recognizer: Recognizer,
  digits: readonly PenDigit[],
  preprocess?: PreprocessOptions,
): SingleDigitReport {
  const results = recognizeAll(
    recognizer,
    digits.map((d) => toStrokes(d.strokes)),
    preprocess,
  );
  const confusion = Array.from({ length: 10 }, () => new Array<number>(12).fill(0));
  const writers = new Map<number, { count: number; correct: number }>();
  const confidences: number[] = [];
  const correct: boolean[] = [];
  let rejected = 0;
  let notSure = 0;
  let sureCorrect = 0;
  results.forEach((r, i) => {
    const d = digits[i] as PenDigit;
    const predicted = r.notDigit ? NOT_DIGIT_COLUMN : r.digits.length === 1 ? (r.digits[0]?.digit ?? 0) : SPLIT_COLUMN;
    const row = confusion[d.label] as number[];
    row[predicted] = (row[predicted] ?? 0) + 1;
    const ok = predicted === d.label;
    const w = writers.get(d.writer) ?? { count: 0, correct: 0 };
    w.count++;
    if (ok) w.correct++;
    writers.set(d.writer, w);
    if (r.notDigit) rejected++;
    confidences.push(r.confidence);
    correct.push(ok);
    if (r.lowConfidence) notSure++;
    else if (ok) sureCorrect++;
  });
  const worst: SingleDigitReport['worst'] = [];
  confusion.forEach((row, actual) => {
    row.forEach((count, p) => {
      if (p !== actual && count > 0)
        worst.push({ actual, predicted: p === NOT_DIGIT_COLUMN ? 'not a digit' : p === SPLIT_COLUMN ? 'split' : String(p), count });
    });
  });
  worst.sort((a, b) => b.count - a.count);
  const total = digits.length;
  return {
    count: total,
    accuracy: correct.filter(Boolean).length / Math.max(1, total),
    confusion,
    perWriter: [...writers].sort(([a], [b]) => a - b).map(([writer, w]) => ({ writer, count: w.count, accuracy: w.correct / w.count })),
    worst: worst.slice(0, 10),
    rejected: rejected / Math.max(1, total),
    expectedCalibrationError: expectedCalibrationError(confidences, correct),
    notSure: notSure / Math.max(1, total),
    sureAccuracy: sureCorrect / Math.max(1, total - notSure),
  };
}

/** Digit strokes (tablet units, y up) placed with their box's left edge at `left`, `height` high, centred on `cy`. */
function place(d: PenDigit, left: number, cy: number, height: number, idPrefix: string): { strokes: Stroke[]; width: number } {
  let minX = Number.POSITIVE_INFINITY;
  let maxX = Number.NEGATIVE_INFINITY;
  let minY = Number.POSITIVE_INFINITY;
  let maxY = Number.NEGATIVE_INFINITY;
  for (const s of d.strokes)
    for (const [x, y] of s) {
      minX = Math.min(minX, x);
      maxX = Math.max(maxX, x);
      minY = Math.min(minY, y);
      maxY = Math.max(maxY, y);
    }
  const scale = height / Math.max(maxY - minY, 1e-9);
  const width = (maxX - minX) * scale;
  // toStrokes scales the longer side to `size`; give it the size that yields this height.
  const size = Math.max(width, height);
  return { strokes: toStrokes(d.strokes, { cx: left + width / 2, cy, size }, idPrefix), width };
}

/** Digits side by side, left to right, with gaps (board units) between their boxes, scaled to fit the board. */
export function layoutDigits(
  digits: readonly PenDigit[],
  gaps: readonly number[],
  heights: readonly number[],
  yOffsets: readonly number[],
): Stroke[] {
  // Lay out in units where the first digit is 1 high, then scale the whole row into the board.
  let x = 0;
  const placed: { d: PenDigit; left: number; cy: number; height: number; width: number }[] = [];
  digits.forEach((d, i) => {
    const height = heights[i] ?? 1;
    const { width } = place(d, 0, 0.5, height, 'm');
    placed.push({ d, left: x, cy: yOffsets[i] ?? 0, height, width });
    x += width + (gaps[i] ?? 0);
  });
  const last = placed[placed.length - 1];
  const totalWidth = last ? last.left + last.width : 1;
  const tallest = Math.max(...placed.map((p) => p.height + 2 * Math.abs(p.cy)));
  const scale = Math.min(0.9 / totalWidth, 0.6 / tallest);
  const x0 = (1 - totalWidth * scale) / 2;
  return placed.flatMap((p, i) => place(p.d, x0 + p.left * scale, 0.5 + p.cy * scale, p.height * scale, `n${i}_`).strokes);
}

export interface NumberReport {
  count: number;
  accuracy: number;
  /** Share of numbers whose digit count came out wrong (segmentation). */
  wrongLength: number;
  examples: { text: string; read: string }[];
}

/** Numbers of 2–4 held-out digits of one writer side by side, random gaps (0.15–0.6 × height) and sizes (±20 %). */
export function evaluateNumbers(
  recognizer: Recognizer,
  digits: readonly PenDigit[],
  count: number,
  seed = TEST_SEED,
  preprocess?: PreprocessOptions,
): NumberReport {
  const random = seededRandom(seed);
  const byWriter = new Map<number, PenDigit[]>();
  for (const d of digits) byWriter.set(d.writer, [...(byWriter.get(d.writer) ?? []), d]);
  const writers = [...byWriter.values()];
  const cases = Array.from({ length: count }, () => {
    const own = writers[Math.floor(random() * writers.length)] as PenDigit[];
    const n = 2 + Math.floor(random() * 3);
    const chosen = Array.from({ length: n }, () => own[Math.floor(random() * own.length)] as PenDigit);
    const heights = chosen.map(() => 0.8 + random() * 0.4);
    const gaps = chosen.map(() => 0.15 + random() * 0.45);
    const yOffsets = chosen.map(() => (random() - 0.5) * 0.2);
    return { text: chosen.map((d) => d.label).join(''), strokes: layoutDigits(chosen, gaps, heights, yOffsets) };
  });
  const results = recognizeAll(
    recognizer,
    cases.map((c) => c.strokes),
    preprocess,
  );
  let correct = 0;
  let wrongLength = 0;
  const examples: NumberReport['examples'] = [];
  results.forEach((r, i) => {
    const text = cases[i]?.text ?? '';
    if (r.text === text) correct++;
    else if (examples.length < 8) examples.push({ text, read: r.notDigit ? '(not a digit)' : r.text });
    if (r.digits.length !== text.length) wrongLength++;
  });
  return { count, accuracy: correct / count, wrongLength: wrongLength / count, examples };
}

export interface NonDigitReport {
  count: number;
  rejected: number;
  perKind: { kind: string; count: number; rejected: number }[];
}

/** Generated non-digits (test seed) through the live path: the share answered "not a digit", per kind. */
export function evaluateNonDigits(recognizer: Recognizer, count: number, seed = TEST_SEED, preprocess?: PreprocessOptions): NonDigitReport {
  const random: Random = seededRandom(seed + 1);
  const cases = Array.from({ length: count }, (_, i) => {
    const { kind, strokes } = nonDigit(random);
    return { kind, strokes: nonDigitStrokes(strokes).map((s, k) => ({ id: `x${i}_${k}`, points: s.points })) };
  });
  const results = recognizeAll(
    recognizer,
    cases.map((c) => c.strokes),
    preprocess,
  );
  const kinds = new Map<string, { count: number; rejected: number }>();
  let rejected = 0;
  results.forEach((r, i) => {
    const kind = cases[i]?.kind ?? '?';
    const k = kinds.get(kind) ?? { count: 0, rejected: 0 };
    k.count++;
    if (r.notDigit) {
      k.rejected++;
      rejected++;
    }
    kinds.set(kind, k);
  });
  return {
    count,
    rejected: rejected / count,
    perKind: [...kinds]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([kind, k]) => ({ kind, count: k.count, rejected: k.rejected / k.count })),
  };
}

export interface SegmentationReport {
  /** Per gap (× digit height): pairs measured and the share wrongly merged into one digit. */
  pairs: { gap: number; count: number; falseMerges: number }[];
  singles: number;
  /** Share of single held-out digits split into several groups. */
  falseSplits: number;
}

export const SEGMENTATION_GAPS = [0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5];

/** Pairs of held-out digits at fixed gaps (× the digits' height, same height), and every single digit. */
export function measureSegmentation(digits: readonly PenDigit[], pairsPerGap: number, seed = TEST_SEED): SegmentationReport {
  const random = seededRandom(seed + 2);
  const pairs = SEGMENTATION_GAPS.map((gap) => {
    let merges = 0;
    for (let i = 0; i < pairsPerGap; i++) {
      const a = digits[Math.floor(random() * digits.length)] as PenDigit;
      const b = digits[Math.floor(random() * digits.length)] as PenDigit;
      const groups = segmentDigits(layoutDigits([a, b], [gap, 0], [1, 1], [0, 0]));
      if (groups.length < 2) merges++;
    }
    return { gap, count: pairsPerGap, falseMerges: merges / pairsPerGap };
  });
  const splits = digits.filter((d) => segmentDigits(toStrokes(d.strokes)).length > 1).length;
  return { pairs, singles: digits.length, falseSplits: splits / Math.max(1, digits.length) };
}
