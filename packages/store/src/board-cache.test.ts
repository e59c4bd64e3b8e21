import type { BoardStroke } from '@inkling/protocol';
import { describe, expect, it } from 'vitest';
import { BoardCache } from './board-cache.js';
import type { BoardState } from './board-state.js';

const stroke = (id: string, points: number): BoardStroke => ({
  id,
  authorId: 'u',
  points: Array.from({ length: points }, (_, i) => [i / points, 0.5, i] as [number, number, number]),
});
const board = (roomId: string, revision: number, pointsPerStroke: number[] = []): BoardState => ({
  roomId,
  revision,
  drawingId: 1,
  strokes: pointsPerStroke.map((n, i) => stroke(`s${i}`, n)),
});

describe('BoardCache', () => {
  it('keeps the newest revision of each room and never goes back to an older one', () => {
    const cache = new BoardCache();
    cache.remember(board('a', 3, [5]));
    cache.remember(board('a', 2, [5, 5]));
    expect(cache.get('a')?.revision).toBe(3);
    cache.remember(board('a', 4, [5, 5]));
    expect(cache.get('a')?.strokes).toHaveLength(2);
    expect(cache.get('b')).toBeUndefined();
  });

  it('drops the least recently used rooms beyond its budget of points', () => {
    const cache = new BoardCache(100);
    cache.remember(board('a', 1, [40]));
    cache.remember(board('b', 1, [40]));
    cache.get('a'); // a is now more recent than b
    cache.remember(board('c', 1, [40]));
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')?.revision).toBe(1);
    expect(cache.get('c')?.revision).toBe(1);
  });

  it('counts a replaced board once, and refuses a board larger than the whole budget', () => {
    const cache = new BoardCache(100);
    for (let r = 1; r <= 10; r++) cache.remember(board('a', r, [60]));
    cache.remember(board('b', 1, [30]));
    expect(cache.get('a')?.revision).toBe(10);
    expect(cache.get('b')?.revision).toBe(1);
    cache.remember(board('huge', 1, [101]));
    expect(cache.get('huge')).toBeUndefined();
    expect(cache.get('a')?.revision).toBe(10);
  });
});
