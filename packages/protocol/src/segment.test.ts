import { describe, expect, it } from 'vitest';
import { segmentDigits } from './segment.js';
import { digitDrawing, numberDrawing } from './test-drawings.js';

describe('segmentDigits', () => {
  it('returns nothing for an empty board', () => {
    expect(segmentDigits([])).toEqual([]);
  });

  it('keeps multi-stroke digits (4, 5) together', () => {
    expect(segmentDigits(digitDrawing(4))).toHaveLength(1);
    expect(segmentDigits(digitDrawing(5))).toHaveLength(1);
  });

  it('splits a number into its digits, left to right, whatever order they were drawn in', () => {
    const strokes = numberDrawing('2026');
    const groups = segmentDigits([...strokes].reverse());
    expect(groups).toHaveLength(4);
    expect(groups.map((g) => g.strokes[0]?.id.slice(0, 3))).toEqual(['n0_', 'n1_', 'n2_', 'n3_']);
    for (let i = 1; i < groups.length; i++) expect(groups[i]?.box.x).toBeGreaterThan(groups[i - 1]?.box.x ?? 1);
  });

  it('separates two 1s side by side', () => {
    expect(segmentDigits(numberDrawing('11'))).toHaveLength(2);
  });

  it('reports each digit box in board units', () => {
    const [only] = segmentDigits(digitDrawing(7, { x: 0.2, y: 0.1, size: 0.5 }));
    expect(only?.box.x).toBeCloseTo(0.2, 5);
    expect(only?.box.y).toBeCloseTo(0.1, 5);
    expect(only?.box.height).toBeCloseTo(0.5, 5);
  });
});
