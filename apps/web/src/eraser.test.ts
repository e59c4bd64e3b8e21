import type { BoardStroke } from '@inkling/protocol';
import { describe, expect, it } from 'vitest';
import { ERASER_RADIUS, type EraserPath, touchedStrokes, touches } from './eraser.js';

/** The pointer standing at (x, y). */
const at = (x: number, y: number): EraserPath => ({ x0: x, y0: y, x1: x, y1: y });

const line = (id: string, authorId: string, x0: number, y0: number, x1: number, y1: number): BoardStroke => ({
  id,
  authorId,
  points: [
    [x0, y0, 0],
    [x1, y1, 50],
  ],
});

describe('eraser hit test', () => {
  it('touches a segment within the radius, anywhere along it, and not beyond', () => {
    const s = line('a', 'me', 0.2, 0.5, 0.8, 0.5).points;
    expect(touches(s, at(0.5, 0.5))).toBe(true);
    expect(touches(s, at(0.5, 0.5 + ERASER_RADIUS * 0.9))).toBe(true);
    expect(touches(s, at(0.5, 0.5 + ERASER_RADIUS * 1.1))).toBe(false);
    // Past the end, measured from the end point.
    expect(touches(s, at(0.8 + ERASER_RADIUS * 0.5, 0.5))).toBe(true);
    expect(touches(s, at(0.9, 0.5))).toBe(false);
  });

  it('a single-point stroke (a dot) is touched near the point', () => {
    expect(touches([[0.3, 0.3, 0]], at(0.31, 0.3))).toBe(true);
    expect(touches([[0.3, 0.3, 0]], at(0.4, 0.3))).toBe(false);
    expect(touches([], at(0.3, 0.3))).toBe(false);
  });

  it("finds only the person's own strokes, never someone else's at the same place", () => {
    const strokes = [line('a', 'me', 0.2, 0.5, 0.8, 0.5), line('b', 'other', 0.2, 0.5, 0.8, 0.5), line('c', 'me', 0.5, 0.1, 0.5, 0.9)];
    expect(touchedStrokes(strokes, 'me', at(0.5, 0.5)).sort()).toEqual(['a', 'c']);
    expect(touchedStrokes(strokes, 'me', at(0.25, 0.5))).toEqual(['a']);
    expect(touchedStrokes(strokes, 'nobody', at(0.5, 0.5))).toEqual([]);
  });

  it('a fast sweep touches a thin stroke it passed over between two pointer events, and only what its path came near', () => {
    const vertical = line('v', 'me', 0.5, 0.2, 0.5, 0.8).points;
    // Neither end of the path is near the stroke; the path crosses it.
    expect(touches(vertical, at(0.3, 0.5))).toBe(false);
    expect(touches(vertical, at(0.7, 0.5))).toBe(false);
    expect(touches(vertical, { x0: 0.3, y0: 0.5, x1: 0.7, y1: 0.5 })).toBe(true);
    // A path passing beside the stroke's end, within and beyond the radius.
    expect(touches(vertical, { x0: 0.3, y0: 0.8 + ERASER_RADIUS * 0.9, x1: 0.7, y1: 0.8 + ERASER_RADIUS * 0.9 })).toBe(true);
    expect(touches(vertical, { x0: 0.3, y0: 0.8 + ERASER_RADIUS * 1.1, x1: 0.7, y1: 0.8 + ERASER_RADIUS * 1.1 })).toBe(false);
    // A dot passed over.
    expect(touches([[0.5, 0.5, 0]], { x0: 0.1, y0: 0.51, x1: 0.9, y1: 0.51 })).toBe(true);
    expect(touches([[0.5, 0.5, 0]], { x0: 0.1, y0: 0.6, x1: 0.9, y1: 0.6 })).toBe(false);
  });
});
