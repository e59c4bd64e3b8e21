/**
 * Splits a board into digits written side by side ("2026"), left to right. Strokes whose horizontal extents
 * overlap belong to one digit (the bar of a 5, the two strokes of a 4 or a 7 with a crossbar); so do neighbours
 * whose ink touches or nearly touches (a 4 drawn as an "L" and a stem just right of it); a clear gap starts the
 * next digit.
 */
import { type Box, type Stroke, strokesBox } from './drawing.js';

export interface DigitGroup<S extends Pick<Stroke, 'points'>> {
  strokes: S[];
  box: Box;
}

/** Share of the narrower of two extents that must overlap for them to be one digit. */
const MIN_OVERLAP = 0.25;
/**
 * Neighbours whose ink comes closer than this share of the taller one's height are one digit. Below 0.05 so
 * digits written side by side with a gap of 5 % of their height still split (measured by `npm run eval -- --pen`).
 */
export const NEAR_INK = 0.045;

/**
 * A lone, narrow stroke just right of a digit that starts well below its top and reaches into it is that
 * digit's stem (a 4 drawn as an "L", then the stem): the gap may be up to this share of the height.
 */
export const STEM_GAP = 0.15;

function isTrailingStem(left: Box, right: Box, strokes: number): boolean {
  const gap = right.x - (left.x + left.width);
  return (
    strokes === 1 &&
    right.width <= 0.35 * right.height &&
    gap <= STEM_GAP * Math.max(left.height, right.height) &&
    right.y >= left.y + 0.3 * left.height &&
    right.y < left.y + left.height
  );
}

/**
 * Ink that fits in a square this wide (board units: 3 % of the board's side) is a speck — a tap, a dot, a tiny
 * mark — and never a digit. The preprocessing enlarges every group of strokes to the same 20 px box, so the
 * model cannot see how small it was; this is the one place the size is known. Digits are drawn far larger: in
 * the numbers `npm run eval -- --pen` lays out (2–4 held-out digits side by side), the smallest digit measured
 * 0.108 of the board; on a 500 px board the limit is 15 px.
 */
export const MAX_SPECK_EXTENT = 0.03;

/** Whether a group's ink is a speck (see MAX_SPECK_EXTENT). */
export function isSpeck(box: Box): boolean {
  return Math.max(box.width, box.height) < MAX_SPECK_EXTENT;
}

type XY = readonly [number, number, ...number[]];

function pointSegmentDistanceSq(p: XY, a: XY, b: XY): number {
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  const lengthSq = dx * dx + dy * dy;
  let t = lengthSq > 0 ? ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / lengthSq : 0;
  t = t < 0 ? 0 : Math.min(t, 1);
  const ex = p[0] - (a[0] + t * dx);
  const ey = p[1] - (a[1] + t * dy);
  return ex * ex + ey * ey;
}

/** Whether some ink of `a` lies within `limit` of the ink of `b` (pen paths as polylines). */
function inkWithin<S extends Pick<Stroke, 'points'>>(a: readonly S[], b: readonly S[], limit: number): boolean {
  const limitSq = limit * limit;
  const near = (from: readonly S[], to: readonly S[]) => {
    for (const s of from)
      for (const p of s.points)
        for (const t of to) {
          const pts = t.points;
          if (pts.length === 1 && pts[0] && pointSegmentDistanceSq(p, pts[0], pts[0]) <= limitSq) return true;
          for (let i = 1; i < pts.length; i++) if (pointSegmentDistanceSq(p, pts[i - 1] as XY, pts[i] as XY) <= limitSq) return true;
        }
    return false;
  };
  return near(a, b) || near(b, a);
}

export function segmentDigits<S extends Pick<Stroke, 'points'>>(strokes: readonly S[]): DigitGroup<S>[] {
  const boards = strokes.flatMap((stroke) => {
    const box = strokesBox([stroke]);
    return box ? [{ stroke, box }] : [];
  });
  if (boards.length === 0) return [];
  const whole = strokesBox(boards.map((b) => b.stroke)) as Box;
  // Very thin strokes (a "1") count as a little wider so overlap with a neighbour is measurable.
  const minWidth = Math.max(whole.height, whole.width) * 0.05;
  boards.sort((a, b) => a.box.x - b.box.x);
  const groups: { strokes: S[]; minX: number; maxX: number }[] = [];
  for (const { stroke, box } of boards) {
    const minX = box.x;
    const maxX = box.x + Math.max(box.width, minWidth);
    const last = groups[groups.length - 1];
    if (last) {
      const overlap = Math.min(last.maxX, maxX) - Math.max(last.minX, minX);
      const narrower = Math.min(last.maxX - last.minX, maxX - minX);
      if (overlap >= MIN_OVERLAP * narrower) {
        last.strokes.push(stroke);
        last.maxX = Math.max(last.maxX, maxX);
        continue;
      }
    }
    groups.push({ strokes: [stroke], minX, maxX });
  }
  const merged: { strokes: S[]; box: Box }[] = [];
  for (const g of groups) {
    const box = strokesBox(g.strokes) as Box;
    const last = merged[merged.length - 1];
    if (last) {
      const limit = NEAR_INK * Math.max(last.box.height, box.height);
      const touching = box.x - (last.box.x + last.box.width) <= limit && inkWithin(last.strokes, g.strokes, limit);
      if (touching || isTrailingStem(last.box, box, g.strokes.length)) {
        last.strokes.push(...g.strokes);
        last.box = strokesBox(last.strokes) as Box;
        continue;
      }
    }
    merged.push({ strokes: [...g.strokes], box });
  }
  return merged;
}
