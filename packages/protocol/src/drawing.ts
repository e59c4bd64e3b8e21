/**
 * The drawing format used everywhere: a stroke is `{ id, points: [x, y, t][] }` with `x, y` in [0, 1] on a
 * square board (origin top-left) and `t` milliseconds since the stroke began.
 */
import { z } from 'zod';

/**
 * Limits that keep one event, one board and one stored drawing bounded. The board budget (strokes and
 * points on the board at once) holds for every way of adding ink: commit, redo and load.
 */
export const LIMITS = {
  maxPointsPerStroke: 2000,
  /** Strokes on a board at once. */
  maxStrokesPerBoard: 500,
  /** Points on a board at once, all strokes together. */
  maxPointsPerBoard: 40_000,
  /** Strokes a drawing may store, including undone ones (commit/undo loops cannot grow it without end). */
  maxStoredStrokesPerDrawing: 2000,
  maxLivePointsPerEvent: 200,
  maxStrokeIdLength: 64,
  maxLabelLength: 12,
  maxNameLength: 40,
} as const;

/** Latest time of a point: milliseconds since its stroke began, at most 10 minutes. */
export const MAX_POINT_TIME_MS = 600_000;

export const PointSchema = z.tuple([z.number().min(0).max(1), z.number().min(0).max(1), z.number().min(0).max(MAX_POINT_TIME_MS)]);
export type Point = z.infer<typeof PointSchema>;

/**
 * What `PointSchema` accepts, as one plain check: for data the project made itself from points it validated on
 * arrival (a recognition job's carried stroke), where a schema walk per point would be the hot path's cost.
 */
export function isPoint(value: unknown): value is Point {
  if (!Array.isArray(value) || value.length !== 3) return false;
  const [x, y, t] = value as unknown[];
  if (typeof x !== 'number' || typeof y !== 'number' || typeof t !== 'number') return false;
  return x >= 0 && x <= 1 && y >= 0 && y <= 1 && t >= 0 && t <= MAX_POINT_TIME_MS;
}

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

/** True when every point's time is at or after the previous point's. */
export function timesNonDecreasing(points: readonly (readonly number[])[]): boolean {
  for (let i = 1; i < points.length; i++) if ((points[i]?.[2] ?? 0) < (points[i - 1]?.[2] ?? 0)) return false;
  return true;
}

const NON_DECREASING = { message: 'point times must not decrease along a stroke' };

/** Points arriving from a client: as drawn, so their times never go backwards. */
export const IncomingPointsSchema = (max: number) => z.array(PointSchema).min(1).max(max).refine(timesNonDecreasing, NON_DECREASING);

/** A stroke arriving from a client (commit, load): a Stroke whose point times never decrease. */
export const IncomingStrokeSchema = z
  .object({
    id: StrokeIdSchema,
    points: IncomingPointsSchema(LIMITS.maxPointsPerStroke),
  })
  .strict();

/** Total points of some strokes. */
export const pointCount = (strokes: readonly { points: readonly unknown[] }[]): number => strokes.reduce((n, s) => n + s.points.length, 0);

/**
 * Largest encoded size of one point in JSON, `[x,y,t],`: each number at most 24 characters (17 significant
 * digits, sign, point and exponent), brackets and commas.
 */
const MAX_POINT_BYTES = 3 * 24 + 5;
/** Largest encoded stroke besides its points: `{"id":"…64…","points":[]},`. */
const MAX_STROKE_OVERHEAD_BYTES = 100;

/**
 * Largest legal client → server event in bytes as Socket.IO frames it (a load of a full board): the
 * gateway's `maxHttpBufferSize`. A bigger frame cannot be a legal event and closes the connection.
 */
export const MAX_EVENT_BYTES = LIMITS.maxPointsPerBoard * MAX_POINT_BYTES + LIMITS.maxStrokesPerBoard * MAX_STROKE_OVERHEAD_BYTES + 4096;

/** Largest legal encoded size of one stroke (commit), and of one batch of live points. */
export const MAX_STROKE_EVENT_BYTES = LIMITS.maxPointsPerStroke * MAX_POINT_BYTES + MAX_STROKE_OVERHEAD_BYTES + 1024;
export const MAX_LIVE_EVENT_BYTES = LIMITS.maxLivePointsPerEvent * MAX_POINT_BYTES + MAX_STROKE_OVERHEAD_BYTES + 1024;

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
