/**
 * The eraser's hit test: which of a person's own strokes a pointer touches, in board units. A stroke is
 * touched when the pointer's path — the segment from its previous position to the current one, so a fast
 * sweep cannot jump over a thin stroke between two pointer events — comes within `radius` of any of the
 * stroke's segments (a single-point stroke: of the point). Pure, so it is tested without a canvas.
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

/** The pointer's path since its previous event: from (x0, y0) to (x1, y1); one point when it has not moved. */
export interface EraserPath {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** True when segments a–b and c–d cross (proper or touching intersection). */
function crosses(a: Point, b: Point, c: Point, d: Point): boolean {
  const side = (p: Point, q: Point, r: Point) => (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0]);
  const d1 = side(c, d, a);
  const d2 = side(c, d, b);
  const d3 = side(a, b, c);
  const d4 = side(a, b, d);
  return ((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0));
}

/** Squared distance between segments a–b and c–d (0 when they cross). */
function segmentsDistance2(a: Point, b: Point, c: Point, d: Point): number {
  if (crosses(a, b, c, d)) return 0;
  return Math.min(
    segmentDistance2(a[0], a[1], c, d),
    segmentDistance2(b[0], b[1], c, d),
    segmentDistance2(c[0], c[1], a, b),
    segmentDistance2(d[0], d[1], a, b),
  );
}

/** Whether the pointer's path comes within `radius` of the stroke through `points`. */
export function touches(points: readonly Point[], path: EraserPath, radius = ERASER_RADIUS): boolean {
  const r2 = radius * radius;
  const from: Point = [path.x0, path.y0, 0];
  const to: Point = [path.x1, path.y1, 0];
  const first = points[0];
  if (!first) return false;
  if (points.length === 1) return segmentDistance2(first[0], first[1], from, to) <= r2;
  for (let i = 1; i < points.length; i++) if (segmentsDistance2(from, to, points[i - 1] as Point, points[i] as Point) <= r2) return true;
  return false;
}

/** Ids of `authorId`'s strokes the eraser's path touches; others' strokes are never touched. */
export function touchedStrokes(strokes: readonly BoardStroke[], authorId: string, path: EraserPath, radius = ERASER_RADIUS): string[] {
  return strokes.filter((s) => s.authorId === authorId && touches(s.points, path, radius)).map((s) => s.id);
}
