import type { BoardStroke } from '@inkling/protocol';
import { describe, expect, it } from 'vitest';
import { ERASER_RADIUS, touchedStrokes, touches } from './eraser.js';

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
    expect(touches(s, 0.5, 0.5)).toBe(true);
    expect(touches(s, 0.5, 0.5 + ERASER_RADIUS * 0.9)).toBe(true);
    expect(touches(s, 0.5, 0.5 + ERASER_RADIUS * 1.1)).toBe(false);
    // Past the end, measured from the end point.
    expect(touches(s, 0.8 + ERASER_RADIUS * 0.5, 0.5)).toBe(true);
    expect(touches(s, 0.9, 0.5)).toBe(false);
  });

  it('a single-point stroke (a dot) is touched near the point', () => {
    expect(touches([[0.3, 0.3, 0]], 0.31, 0.3)).toBe(true);
    expect(touches([[0.3, 0.3, 0]], 0.4, 0.3)).toBe(false);
    expect(touches([], 0.3, 0.3)).toBe(false);
  });

  it("finds only the person's own strokes, never someone else's at the same place", () => {
    const strokes = [line('a', 'me', 0.2, 0.5, 0.8, 0.5), line('b', 'other', 0.2, 0.5, 0.8, 0.5), line('c', 'me', 0.5, 0.1, 0.5, 0.9)];
    expect(touchedStrokes(strokes, 'me', 0.5, 0.5).sort()).toEqual(['a', 'c']);
    expect(touchedStrokes(strokes, 'me', 0.25, 0.5)).toEqual(['a']);
    expect(touchedStrokes(strokes, 'nobody', 0.5, 0.5)).toEqual([]);
  });
});
