/**
 * Training batches that mix MNIST (with its usual light image augmentation) with pen-drawn digits of the
 * training writers and synthetic non-digits, both augmented on their points and rendered through the shared
 * `preprocessDrawing` with a pen width drawn from a range. Each batch holds the same shares, so BatchNorm sees
 * the same mixture in every step.
 */
import { type DrawnStroke, IMAGE_PIXELS, preprocessDrawing } from '@inkling/protocol';
import { type AugmentOptions, augmentImage, type Random } from './augment.js';
import type { DigitSet } from './mnist.js';
import { NON_DIGIT_KINDS, type NonDigitKind, nonDigit } from './non-digits.js';
import { type PenDigit, toStrokes } from './pendigits.js';
import { augmentStrokes, DEFAULT_STROKE_AUGMENT, type StrokeAugmentOptions, type XY } from './stroke-augment.js';

/** Label of the "not a digit" class. */
export const NOT_DIGIT_LABEL = 10;

export interface MixOptions {
  /** Shares of a batch; MNIST takes the rest. */
  penShare: number;
  nonDigitShare: number;
  /** Pen widths (px of the 28×28 image) drawn uniformly for rendered drawings. */
  penWidthRange: [number, number];
  /** null: pen drawings rendered as they are (still at a random width). */
  strokeAugment: StrokeAugmentOptions | null;
  mnistAugment: AugmentOptions | null;
  /** Kinds of non-digits drawn (default: all). */
  nonDigitKinds?: readonly NonDigitKind[];
}

/** Non-digits get milder geometry changes: their shapes are already random. */
const NON_DIGIT_AUGMENT: StrokeAugmentOptions = { ...DEFAULT_STROKE_AUGMENT, maxRotationDeg: 15, maxStrokeShift: 0.03 };

/** Renders a pen digit (tablet units) the way the live path would see it, after optional augmentation. */
export function renderPenDigit(digit: PenDigit, random: Random, penWidthPx: number, o: StrokeAugmentOptions | null): Float32Array {
  const points = o ? augmentStrokes(digit.strokes, random, o) : digit.strokes;
  return preprocessDrawing(toStrokes(points), { boxPx: 20, penWidthPx });
}

/** Places unit-square non-digit strokes (y down) in the middle half of the board, keeping their own size. */
export function nonDigitStrokes(strokes: readonly (readonly XY[])[]): DrawnStroke[] {
  const clamp = (v: number) => Math.min(1, Math.max(0, v));
  return strokes.map((s) => ({
    points: s.map(([x, y], i) => [clamp(0.25 + 0.5 * x), clamp(0.25 + 0.5 * y), i * 8] as [number, number, number]),
  }));
}

/** A random non-digit of one of `kinds`, augmented, in board units as the live path would get it. */
export function nonDigitDrawing(random: Random, kinds: readonly NonDigitKind[] = NON_DIGIT_KINDS): DrawnStroke[] {
  const { strokes } = nonDigit(random, kinds[Math.floor(random() * kinds.length)]);
  return nonDigitStrokes(augmentStrokes(strokes, random, NON_DIGIT_AUGMENT));
}

export function renderNonDigit(random: Random, penWidthPx: number, kinds: readonly NonDigitKind[] = NON_DIGIT_KINDS): Float32Array {
  return preprocessDrawing(nonDigitDrawing(random, kinds), { boxPx: 20, penWidthPx });
}

export interface MixedBatches {
  /**
   * Fills `n` images and labels (and marks MNIST rows with 1 in `mnistRows`); the shares are rounded per batch and
   * the order inside the batch shuffled.
   */
  fill(xs: Float32Array, ys: Int32Array, n: number, mnistRows?: Uint8Array): void;
}

export function createMixedBatches(mnist: DigitSet, pen: readonly PenDigit[], o: MixOptions, random: Random): MixedBatches {
  if (o.penShare + o.nonDigitShare >= 1) throw new RangeError('pen and non-digit shares must leave room for MNIST');
  if (o.penShare > 0 && pen.length === 0) throw new RangeError('a pen share needs pen-drawn training digits');
  const source = new Float32Array(IMAGE_PIXELS);
  const scratch = new Float32Array(IMAGE_PIXELS);
  const width = () => o.penWidthRange[0] + random() * (o.penWidthRange[1] - o.penWidthRange[0]);
  let mnistOrder: Uint32Array = new Uint32Array(0);
  let mnistNext = 0;
  const nextMnist = (): number => {
    if (mnistNext >= mnistOrder.length) {
      mnistOrder = new Uint32Array(mnist.count).map((_, i) => i);
      for (let i = mnistOrder.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        const t = mnistOrder[i] as number;
        mnistOrder[i] = mnistOrder[j] as number;
        mnistOrder[j] = t;
      }
      mnistNext = 0;
    }
    return mnistOrder[mnistNext++] as number;
  };
  return {
    fill(xs, ys, n, mnistRows) {
      const penCount = Math.round(n * o.penShare);
      const nonCount = Math.round(n * o.nonDigitShare);
      const kinds: number[] = Array.from({ length: n }, (_, i) => (i < penCount ? 1 : i < penCount + nonCount ? 2 : 0));
      for (let i = kinds.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        const t = kinds[i] as number;
        kinds[i] = kinds[j] as number;
        kinds[j] = t;
      }
      kinds.forEach((kind, i) => {
        const target = xs.subarray(i * IMAGE_PIXELS, (i + 1) * IMAGE_PIXELS);
        if (kind === 1) {
          const digit = pen[Math.floor(random() * pen.length)] as PenDigit;
          target.set(renderPenDigit(digit, random, width(), o.strokeAugment));
          ys[i] = digit.label;
        } else if (kind === 2) {
          target.set(renderNonDigit(random, width(), o.nonDigitKinds));
          ys[i] = NOT_DIGIT_LABEL;
        } else {
          const index = nextMnist();
          const base = index * IMAGE_PIXELS;
          for (let p = 0; p < IMAGE_PIXELS; p++) source[p] = (mnist.images[base + p] ?? 0) / 255;
          if (o.mnistAugment) augmentImage(source, target, scratch, random, o.mnistAugment);
          else target.set(source);
          ys[i] = mnist.labels[index] ?? 0;
          if (mnistRows) mnistRows[i] = 1;
        }
      });
    },
  };
}
