/**
 * The drawing format used everywhere: a stroke is `{ id, points: [x, y, t][] }` with `x, y` in [0, 1] on a
 * square board (origin top-left) and `t` milliseconds since the stroke began.
 */
import { z } from 'zod';

/** Limits that keep one event or stored drawing bounded. */
export const LIMITS = {
  maxPointsPerStroke: 2000,
  maxStrokesPerBoard: 500,
  maxLivePointsPerEvent: 200,
  maxStrokeIdLength: 64,
  maxLabelLength: 12,
  maxNameLength: 40,
} as const;

export const PointSchema = z.tuple([
  z.number().min(0).max(1),
  z.number().min(0).max(1),
  /** Milliseconds since the stroke began, 0 ≤ t ≤ 10 minutes. */
  z.number().min(0).max(600_000),
]);
export type Point = z.infer<typeof PointSchema>;

export const StrokeIdSchema = z
  .string()
  .min(1)
  .max(LIMITS.maxStrokeIdLength)
  .regex(/^[\w-]+$/, 'stroke ids use letters, digits, "_" and "-"');

export const StrokeSchema = z.object({
  id: StrokeIdSchema,
  points: z.array(PointSchema).min(1).max(LIMITS.maxPointsPerStroke),
});
export type Stroke = z.infer<typeof StrokeSchema>;

/** Axis-aligned box in board units. */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export const BoxSchema = z.object({
  x: z.number(),
  y: z.number(),
  width: z.number().min(0),
  height: z.number().min(0),
});

export function strokesBox(strokes: readonly Pick<Stroke, 'points'>[]): Box | null {
  let minX = Number.POSITIVE_INFINITY;
  let minY = Number.POSITIVE_INFINITY;
  let maxX = Number.NEGATIVE_INFINITY;
  let maxY = Number.NEGATIVE_INFINITY;
  for (const s of strokes) {
    for (const [x, y] of s.points) {
      if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
      if (x < minX) minX = x;
      if (x > maxX) maxX = x;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
    }
  }
  if (minX > maxX) return null;
  return { x: minX, y: minY, width: maxX - minX, height: maxY - minY };
}
