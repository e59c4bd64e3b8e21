/**
 * The eraser's hit test: which of a person's own strokes a pointer at (x, y) touches, in board units. A
 * stroke is touched when the pointer comes within `radius` of any of its segments (a single-point stroke:
 * of the point). Pure, so it is tested without a canvas.
 */
import type { BoardStroke, Point } from '@inkling/protocol';

/** How close the eraser must come to a stroke, in board units (about a fingertip on a phone's board). */
export const ERASER_RADIUS = 0.025;

/** Squared distance from (px, py) to the segment a–b. */
function segmentDistance2(px: number, py: number, a: Point, b: Point): number {
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  const len2 = dx * dx + dy * dy;
  const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, ((px - a[0]) * dx + (py - a[1]) * dy) / len2));
  const x = a[0] + t * dx - px;
  const y = a[1] + t * dy - py;
  return x * x + y * y;
}

export function touches(points: readonly Point[], x: number, y: number, radius = ERASER_RADIUS): boolean {
  const r2 = radius * radius;
  const first = points[0];
  if (!first) return false;
  if (points.length === 1) return segmentDistance2(x, y, first, first) <= r2;
  for (let i = 1; i < points.length; i++) if (segmentDistance2(x, y, points[i - 1] as Point, points[i] as Point) <= r2) return true;
  return false;
}

/** Ids of `authorId`'s strokes the eraser touches at (x, y); others' strokes are never touched. */
export function touchedStrokes(strokes: readonly BoardStroke[], authorId: string, x: number, y: number, radius = ERASER_RADIUS): string[] {
  return strokes.filter((s) => s.authorId === authorId && touches(s.points, x, y, radius)).map((s) => s.id);
}
