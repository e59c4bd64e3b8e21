import { describe, expect, it } from 'vitest';
import { type Pixel, restoreEnds, tracePaths } from './skeleton-paths.js';

/** A grid from rows of text: '#' is skeleton. */
function grid(rows: string[]): { cells: Uint8Array; w: number; h: number } {
  const w = rows[0]?.length ?? 0;
  const cells = new Uint8Array(w * rows.length);
  rows.forEach((row, y) => {
    for (let x = 0; x < w; x++) cells[y * w + x] = row[x] === '#' ? 1 : 0;
  });
  return { cells, w, h: rows.length };
}

const has = (points: readonly Pixel[], [x, y]: Pixel) => points.some(([px, py]) => px === x && py === y);

describe('tracePaths', () => {
  it('puts every stroke of a crossing through the crossing pixel', () => {
    const { cells, w, h } = grid(['...#...', '...#...', '...#...', '#######', '...#...', '...#...', '...#...']);
    const paths = tracePaths(cells, w, h, 1);
    expect(paths.length).toBeGreaterThanOrEqual(2);
    for (const p of paths) expect(has(p.points, [3, 3])).toBe(true);
  });

  it('carries a branch that stops beside a line onto it, and closes a loop', () => {
    const tee = grid(['#######', '...#...', '...#...', '...#...']);
    const paths = tracePaths(tee.cells, tee.w, tee.h, 1);
    const stem = paths.find((p) => has(p.points, [3, 3]));
    expect(stem && has(stem.points, [3, 0])).toBe(true);
    const ring = grid(['.###.', '#...#', '#...#', '#...#', '.###.']);
    const [loop] = tracePaths(ring.cells, ring.w, ring.h, 1);
    expect(loop?.points[0]).toEqual(loop?.points[(loop?.points.length ?? 1) - 1]);
  });

  it('drops a spur no longer than a quarter of the ink width, keeps the branch for thin ink', () => {
    const spurred = () => grid(['#########', '....#....', '....#....', '....#....']);
    const thick = tracePaths(spurred().cells, 9, 4, 12);
    expect(thick.some((p) => has(p.points, [4, 3]))).toBe(false);
    expect(thick.some((p) => has(p.points, [0, 0]) && has(p.points, [8, 0]))).toBe(true);
    const thin = tracePaths(spurred().cells, 9, 4, 1);
    expect(thin.some((p) => has(p.points, [4, 3]))).toBe(true);
  });

  it('keeps a lone speck only when it is the whole picture', () => {
    const dot = grid(['...', '.#.', '...']);
    expect(tracePaths(dot.cells, 3, 3, 1)).toHaveLength(1);
    const lineAndSpeck = grid(['#.....', '......', '######']);
    expect(tracePaths(lineAndSpeck.cells, 6, 3, 1)).toHaveLength(1);
  });
});

describe('restoreEnds', () => {
  it('carries free ends on by half the ink width in their direction, leaving joined ends', () => {
    const points: Pixel[] = [
      [0, 0],
      [1, 0],
      [2, 0],
      [3, 0],
      [4, 0],
      [5, 0],
    ];
    expect(restoreEnds({ points, freeStart: true, freeEnd: true }, 2)).toEqual([[-2, 0], ...points, [7, 0]]);
    expect(restoreEnds({ points, freeStart: false, freeEnd: true }, 2)).toEqual([...points, [7, 0]]);
    expect(restoreEnds({ points: [[1, 1]], freeStart: true, freeEnd: true }, 2)).toEqual([[1, 1]]);
  });
});
