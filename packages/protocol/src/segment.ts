/**
 * Splits a board into digits written side by side ("2026"), left to right. Strokes whose horizontal extents
 * overlap belong to one digit (the bar of a 5, the two strokes of a 4 or a 7 with a crossbar); a clear gap
 * starts the next digit.
 */
import { type Box, type Stroke, strokesBox } from './drawing.js';

export interface DigitGroup<S extends Pick<Stroke, 'points'>> {
  strokes: S[];
  box: Box;
}

/** Share of the narrower of two extents that must overlap for them to be one digit. */
const MIN_OVERLAP = 0.25;

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
  return groups.map((g) => ({ strokes: g.strokes, box: strokesBox(g.strokes) as Box }));
}
