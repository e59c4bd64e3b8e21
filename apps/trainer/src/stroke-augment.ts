/**
 * Augmentation of pen-drawn digits on their points, before they are rendered through `preprocessDrawing`:
 * rotation, shear, anisotropic scale, per-stroke displacement and point jitter, resampling at a random density.
 * (The pen width is varied at rendering.) Works in any unit: displacements are relative to the drawing's size.
 */
import type { Random } from './augment.js';

export type XY = [number, number];

export interface StrokeAugmentOptions {
  maxRotationDeg: number;
  maxShear: number;
  /** Range of the x scale relative to y (narrower or wider writing). */
  aspectRange: [number, number];
  /** Largest displacement of a whole stroke (multi-stroke digits only), as a share of the drawing's size. */
  maxStrokeShift: number;
  /** Largest displacement of a single point, as a share of the drawing's size (smoothed along the stroke). */
  maxPointJitter: number;
  /** Range of the resampling step, as a share of the drawing's size. */
  spacingRange: [number, number];
}

export const DEFAULT_STROKE_AUGMENT: StrokeAugmentOptions = {
  maxRotationDeg: 14,
  maxShear: 0.3,
  aspectRange: [0.75, 1.25],
  maxStrokeShift: 0.05,
  maxPointJitter: 0.012,
  spacingRange: [0.01, 0.06],
};

const uniform = (random: Random, lo: number, hi: number) => lo + random() * (hi - lo);

/** Centre and longest side of the strokes' bounding box (a unit box at the origin when there is no point). */
export function extent(strokes: readonly (readonly (readonly [number, number])[])[]): { cx: number; cy: number; size: number } {
  let minX = Number.POSITIVE_INFINITY;
  let minY = Number.POSITIVE_INFINITY;
  let maxX = Number.NEGATIVE_INFINITY;
  let maxY = Number.NEGATIVE_INFINITY;
  for (const s of strokes)
    for (const [x, y] of s) {
      minX = Math.min(minX, x);
      maxX = Math.max(maxX, x);
      minY = Math.min(minY, y);
      maxY = Math.max(maxY, y);
    }
  if (minX > maxX) return { cx: 0, cy: 0, size: 1 };
  return { cx: (minX + maxX) / 2, cy: (minY + maxY) / 2, size: Math.max(maxX - minX, maxY - minY, 1e-9) };
}

/** Points along the polyline every `step` units (its first and last point kept). */
export function resample(points: readonly XY[], step: number): XY[] {
  const first = points[0];
  if (!first || points.length === 1 || step <= 0) return points.map(([x, y]) => [x, y]);
  const out: XY[] = [[first[0], first[1]]];
  let carried = 0;
  for (let i = 1; i < points.length; i++) {
    const [x0, y0] = points[i - 1] as XY;
    const [x1, y1] = points[i] as XY;
    const length = Math.hypot(x1 - x0, y1 - y0);
    let at = step - carried;
    while (at <= length) {
      const t = at / length;
      out.push([x0 + (x1 - x0) * t, y0 + (y1 - y0) * t]);
      at += step;
    }
    carried = length - (at - step);
  }
  const last = points[points.length - 1] as XY;
  const tail = out[out.length - 1] as XY;
  if (tail[0] !== last[0] || tail[1] !== last[1]) out.push([last[0], last[1]]);
  return out;
}

/** An augmented copy of the strokes (y grows downward or upward alike). */
export function augmentStrokes(
  strokes: readonly (readonly XY[])[],
  random: Random,
  o: StrokeAugmentOptions = DEFAULT_STROKE_AUGMENT,
): XY[][] {
  const { cx, cy, size } = extent(strokes);
  const angle = (uniform(random, -1, 1) * o.maxRotationDeg * Math.PI) / 180;
  const shear = uniform(random, -o.maxShear, o.maxShear);
  const aspect = uniform(random, o.aspectRange[0], o.aspectRange[1]);
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const spacing = uniform(random, o.spacingRange[0], o.spacingRange[1]) * size;
  const multi = strokes.length > 1;
  return strokes.map((stroke) => {
    const shiftX = multi ? uniform(random, -1, 1) * o.maxStrokeShift * size : 0;
    const shiftY = multi ? uniform(random, -1, 1) * o.maxStrokeShift * size : 0;
    // Jitter that varies slowly along the stroke, like a hand's wobble rather than sensor noise.
    let jx = 0;
    let jy = 0;
    const jitter = o.maxPointJitter * size;
    return resample(stroke, spacing).map(([x, y]): XY => {
      jx = 0.7 * jx + 0.3 * uniform(random, -jitter, jitter) * 3;
      jy = 0.7 * jy + 0.3 * uniform(random, -jitter, jitter) * 3;
      const u = (x - cx) * aspect + shear * (y - cy);
      const v = y - cy;
      return [cx + cos * u - sin * v + shiftX + jx, cy + sin * u + cos * v + shiftY + jy];
    });
  });
}
