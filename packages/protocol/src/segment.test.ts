import { describe, expect, it } from 'vitest';
import { isSpeck, MAX_SPECK_EXTENT, segmentDigits } from './segment.js';
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

  const line = (id: string, xy: [number, number][]) => ({ id, points: xy.map(([x, y], i): [number, number, number] => [x, y, i * 8]) });

  it('keeps a 4 drawn as an "L" and a stem whose extents do not overlap in one digit (touching, near, or trailing stem)', () => {
    // The L ends at x = 0.5; the stem starts below the L's top and reaches below it.
    const ell = line('a', [
      [0.4, 0.2],
      [0.36, 0.45],
      [0.5, 0.45],
    ]);
    for (const stemX of [0.505, 0.52, 0.535]) {
      const stem = line('b', [
        [stemX, 0.32],
        [stemX + 0.01, 0.6],
      ]);
      expect(segmentDigits([ell, stem]), `stem at ${stemX}`).toHaveLength(1);
    }
  });

  it('still splits neighbours 5 % of their height apart, and a full-height 1 right after a digit', () => {
    const a = line('a', [
      [0.3, 0.2],
      [0.3, 0.6],
    ]);
    const b = line('b', [
      [0.32, 0.2],
      [0.32, 0.6],
    ]);
    expect(segmentDigits([a, b])).toHaveLength(2);
    const seven = line('s', [
      [0.2, 0.2],
      [0.4, 0.2],
      [0.3, 0.6],
    ]);
    const one = line('o', [
      [0.45, 0.21],
      [0.45, 0.6],
    ]);
    expect(segmentDigits([seven, one])).toHaveLength(2);
    // Ink that touches is one digit, even without overlapping extents.
    const touching = line('t', [
      [0.4, 0.2],
      [0.5, 0.6],
    ]);
    expect(segmentDigits([seven, touching])).toHaveLength(1);
  });

  it('reports each digit box in board units', () => {
    const [only] = segmentDigits(digitDrawing(7, { x: 0.2, y: 0.1, size: 0.5 }));
    expect(only?.box.x).toBeCloseTo(0.2, 5);
    expect(only?.box.y).toBeCloseTo(0.1, 5);
    expect(only?.box.height).toBeCloseTo(0.5, 5);
  });

  it('calls ink a speck only when both sides of its box are under MAX_SPECK_EXTENT; no digit of a drawn number is one', () => {
    expect(isSpeck({ x: 0.5, y: 0.5, width: 0, height: 0 })).toBe(true);
    expect(isSpeck({ x: 0.5, y: 0.5, width: MAX_SPECK_EXTENT * 0.99, height: 0.01 })).toBe(true);
    expect(isSpeck({ x: 0.5, y: 0.5, width: 0.001, height: MAX_SPECK_EXTENT })).toBe(false);
    expect(isSpeck({ x: 0.5, y: 0.5, width: MAX_SPECK_EXTENT, height: 0.001 })).toBe(false);
    for (const group of segmentDigits(numberDrawing('0123456789'))) expect(isSpeck(group.box)).toBe(false);
  });
});
