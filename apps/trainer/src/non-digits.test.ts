import { describe, expect, it } from 'vitest';
import { seededRandom } from './augment.js';
import { MAX_LINE_ANGLE_DEG, MIN_SCRIBBLE_CROSSINGS, NON_DIGIT_KINDS, nonDigit, selfCrossings } from './non-digits.js';
import type { XY } from './stroke-augment.js';

const around = (n: number, at: (t: number) => XY): XY[] => Array.from({ length: n + 1 }, (_, i) => at((i / n) * Math.PI * 2));

describe('selfCrossings', () => {
  it('counts where a path crosses itself', () => {
    expect(selfCrossings(around(40, (t) => [0.5 + 0.4 * Math.cos(t), 0.5 + 0.4 * Math.sin(t)]))).toBe(0);
    // A figure eight (lemniscate) crosses once, at its waist.
    expect(selfCrossings(around(81, (t) => [0.5 + 0.4 * Math.cos(t), 0.5 + 0.2 * Math.sin(2 * t)]))).toBe(1);
    // A five-pointed star drawn in one stroke crosses five times.
    const star = Array.from({ length: 6 }, (_, i): XY => {
      const a = (i * 4 * Math.PI) / 5;
      return [0.5 + 0.4 * Math.sin(a), 0.5 - 0.4 * Math.cos(a)];
    });
    expect(selfCrossings(star)).toBe(5);
    expect(
      selfCrossings([
        [0, 0],
        [1, 1],
        [2, 0],
        [3, 1],
      ]),
    ).toBe(0);
  });
});

describe('nonDigit', () => {
  it('draws every kind, each point within the unit square or close to it', () => {
    const random = seededRandom(11);
    for (const kind of NON_DIGIT_KINDS) {
      for (let i = 0; i < 20; i++) {
        const { kind: drawn, strokes } = nonDigit(random, kind);
        expect(drawn).toBe(kind);
        expect(strokes.length).toBeGreaterThan(0);
        for (const s of strokes) for (const [x, y] of s) expect(Math.abs(x - 0.5) <= 0.6 && Math.abs(y - 0.5) <= 0.6).toBe(true);
      }
    }
  });

  it('makes scribbles that are tangles, not the smooth arcs people write digits with', () => {
    const random = seededRandom(3);
    for (let i = 0; i < 300; i++) {
      const [points] = nonDigit(random, 'scribble').strokes;
      expect(selfCrossings(points as XY[])).toBeGreaterThanOrEqual(MIN_SCRIBBLE_CROSSINGS);
    }
  });

  it('keeps straight lines away from upright (an upright stroke is a 1)', () => {
    const random = seededRandom(4);
    for (let i = 0; i < 300; i++) {
      const [points] = nonDigit(random, 'line').strokes;
      const [x0, y0] = (points as XY[])[0] as XY;
      const [x1, y1] = (points as XY[])[(points as XY[]).length - 1] as XY;
      const degrees = (Math.atan2(Math.abs(y1 - y0), Math.abs(x1 - x0)) * 180) / Math.PI;
      expect(degrees).toBeLessThanOrEqual(MAX_LINE_ANGLE_DEG + 1);
    }
  });
});
