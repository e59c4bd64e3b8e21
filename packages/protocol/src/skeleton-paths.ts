/**
 * Thin ink to a one-pixel skeleton (Zhang–Suen) and walk the skeleton into lines: the part of tracing a picture
 * (trace-image.ts) that decides which strokes a shape becomes. Strokes of one connected shape touch where its
 * ink does, thinning's spurs are dropped, and the ends thinning ate are given back.
 */
import { LIMITS } from './drawing.js';

export type Pixel = [number, number];

const NEIGHBOURS: readonly [number, number][] = [
  [0, -1],
  [1, -1],
  [1, 0],
  [1, 1],
  [0, 1],
  [-1, 1],
  [-1, 0],
  [-1, -1],
];

/**
 * Branches from a junction to a free end no longer than this share of the ink's mean width are spurs: thinning a
 * thick corner leaves one of about a fifth of the width, pointing into the corner.
 */
export const SPUR_SHARE = 0.25;

/** Thins a binary grid (1 = ink) in place to a one-pixel, 8-connected skeleton. */
export function zhangSuen(grid: Uint8Array, w: number, h: number): void {
  const at = (x: number, y: number) => (x < 0 || y < 0 || x >= w || y >= h ? 0 : (grid[y * w + x] ?? 0));
  let changed = true;
  while (changed) {
    changed = false;
    for (const pass of [0, 1]) {
      const remove: number[] = [];
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          if (!at(x, y)) continue;
          const p = NEIGHBOURS.map(([dx, dy]) => at(x + dx, y + dy));
          const b = p.reduce((s: number, v) => s + v, 0);
          if (b < 2 || b > 6) continue;
          let a = 0;
          for (let k = 0; k < 8; k++) if (p[k] === 0 && p[(k + 1) % 8] === 1) a++;
          if (a !== 1) continue;
          const [p2, , p4, , p6, , p8] = p as [number, number, number, number, number, number, number, number];
          if (pass === 0 ? p2 * p4 * p6 === 0 && p4 * p6 * p8 === 0 : p2 * p4 * p8 === 0 && p2 * p6 * p8 === 0) remove.push(y * w + x);
        }
      }
      for (const i of remove) grid[i] = 0;
      if (remove.length > 0) changed = true;
    }
  }
}

/** A traced line in grid pixels; a free end stops in open space (not where it meets another line). */
export interface TracedPath {
  points: Pixel[];
  freeStart: boolean;
  freeEnd: boolean;
}

/**
 * Thinning eats a line's free ends back by about half the ink's width (a bold 4 loses most of its stem below
 * the bar): each free end is carried on in its direction by that much, back to where the ink ended.
 */
export function restoreEnds({ points, freeStart, freeEnd }: TracedPath, halfWidth: number): Pixel[] {
  const out = points.map(([x, y]): Pixel => [x, y]);
  const reach = Math.min(halfWidth, points.length / 2);
  const extend = (end: Pixel, from: Pixel): Pixel => {
    const dx = end[0] - from[0];
    const dy = end[1] - from[1];
    const length = Math.hypot(dx, dy);
    return length > 0 ? [end[0] + (dx / length) * reach, end[1] + (dy / length) * reach] : end;
  };
  const k = Math.min(points.length - 1, 3);
  if (k < 1 || reach <= 0) return out;
  if (freeEnd) out.push(extend(points[points.length - 1] as Pixel, points[points.length - 1 - k] as Pixel));
  if (freeStart) out.unshift(extend(points[0] as Pixel, points[k] as Pixel));
  return out;
}

/** Straight neighbours first, then diagonals: a walk along a line then takes every pixel of a staircase. */
const WALK_ORDER = [0, 2, 4, 6, 1, 3, 5, 7].map((k) => NEIGHBOURS[k] as Pixel);

/**
 * Walks a one-pixel skeleton into polylines, starting at line ends so each stroke is as long as possible. Every
 * skeleton pixel is walked once, so where lines meet (the crossing of a 4, a loop closing) one walk has the
 * meeting pixel and the others pass beside it or stop one pixel short. Such walks are put through that pixel, so
 * the strokes of one connected shape touch as its ink does (segmentation keeps touching strokes in one digit).
 * Short branches from a junction to a free end are the thinning's spurs at thick corners, not strokes: those no
 * longer than SPUR_SHARE of the ink's mean width are dropped, as are specks. (A spur walked first, as the start
 * of a longer line, stays: a tail of a fraction of the pen's width.)
 */
export function tracePaths(grid: Uint8Array, w: number, h: number, inkWidth: number): TracedPath[] {
  const spur = Math.max(2, Math.round(SPUR_SHARE * inkWidth));
  const on = (x: number, y: number) => x >= 0 && y >= 0 && x < w && y < h && grid[y * w + x] === 1;
  const degree = (x: number, y: number) => NEIGHBOURS.filter(([dx, dy]) => on(x + dx, y + dy)).length;
  /** Which walk took each pixel (-1: none). */
  const owner = new Int32Array(w * h).fill(-1);
  const ownerOf = (x: number, y: number) => (x >= 0 && y >= 0 && x < w && y < h ? (owner[y * w + x] ?? -1) : -1);
  const pick = (): Pixel | null => {
    let any: Pixel | null = null;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        if (!on(x, y)) continue;
        if (degree(x, y) <= 1) return [x, y];
        any ??= [x, y];
      }
    }
    return any;
  };
  const walks: Pixel[][] = [];
  for (let start = pick(); start; start = pick()) {
    const path: Pixel[] = [start];
    let [x, y] = start;
    grid[y * w + x] = 0;
    owner[y * w + x] = walks.length;
    for (;;) {
      // Prefer straight neighbours, then diagonals, so the walk follows the line.
      const next = WALK_ORDER.find(([dx, dy]) => on(x + dx, y + dy));
      if (!next) break;
      x += next[0];
      y += next[1];
      grid[y * w + x] = 0;
      owner[y * w + x] = walks.length;
      path.push([x, y]);
    }
    walks.push(path);
  }
  /** A pixel of another walk (or, with `near`, of this one away from `near`) next to every pixel of `at`. */
  const meeting = (walk: number, at: readonly Pixel[], near: readonly Pixel[] | null): Pixel | null => {
    const [x, y] = at[0] as Pixel;
    for (const [dx, dy] of NEIGHBOURS) {
      const [mx, my] = [x + dx, y + dy];
      const o = ownerOf(mx, my);
      if (o < 0 || (o === walk && (!near || near.some(([nx, ny]) => Math.abs(nx - mx) <= 1 && Math.abs(ny - my) <= 1)))) continue;
      if (at.every(([ax, ay]) => Math.max(Math.abs(ax - mx), Math.abs(ay - my)) === 1)) return [mx, my];
    }
    return null;
  };
  const strokes: TracedPath[] = [];
  walks.forEach((path, k) => {
    // Ends first: a branch stopping beside the line it meets, a loop closing on itself (at its end only).
    const first = path[0] as Pixel;
    const before = meeting(k, [first], null);
    const after = path.length > 1 ? meeting(k, [path[path.length - 1] as Pixel], path.slice(-4, -1)) : null;
    const closes = after !== null && after[0] === first[0] && after[1] === first[1];
    const joined: Pixel[] = before ? [before] : [];
    path.forEach((p, i) => {
      joined.push(p);
      // A walk passing beside a crossing another walk took goes through it (a detour of under a pixel).
      const q = path[i + 1];
      const crossing = q ? meeting(k, [p, q], null) : null;
      if (crossing) joined.push(crossing);
    });
    if (after) joined.push(after);
    const joins = (before ? 1 : 0) + (after ? 1 : 0);
    const keep = joins === 0 ? path.length >= 3 || walks.length === 1 : joins === 1 && !closes ? path.length > spur : path.length >= 2;
    if (keep) strokes.push({ points: joined, freeStart: !before && !closes, freeEnd: !after });
  });
  return strokes.slice(0, LIMITS.maxStrokesPerBoard);
}
