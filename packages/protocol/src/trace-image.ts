/**
 * Turns a picture of handwriting (a PNG someone loads) into strokes: find the ink, thin it to a one-pixel
 * skeleton (Zhang–Suen), and walk the skeleton into polylines. The strokes then go through the same
 * preprocessing as drawn ones, so a loaded image is recognized like a drawing.
 */
import { LIMITS, type Stroke } from './drawing.js';

export interface RgbaImage {
  width: number;
  height: number;
  /** RGBA bytes, row-major (as ImageData.data). */
  data: Uint8Array | Uint8ClampedArray;
}

export class ImageTraceError extends Error {
  readonly code = 'NO_INK';
  constructor(message: string) {
    super(message);
    this.name = 'ImageTraceError';
  }
}

const GRID = 48;
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

/** Ink in [0, 1] per pixel: distance from the background colour (taken from the border), alpha-aware. */
function inkMap(img: RgbaImage): Float32Array {
  const { width, height, data } = img;
  const lum = new Float32Array(width * height);
  for (let i = 0; i < width * height; i++) {
    const a = (data[i * 4 + 3] ?? 255) / 255;
    const l = (0.299 * (data[i * 4] ?? 0) + 0.587 * (data[i * 4 + 1] ?? 0) + 0.114 * (data[i * 4 + 2] ?? 0)) / 255;
    // Transparent pixels count as the page: white.
    lum[i] = l * a + (1 - a);
  }
  let border = 0;
  let n = 0;
  for (let x = 0; x < width; x++) {
    border += (lum[x] ?? 0) + (lum[(height - 1) * width + x] ?? 0);
    n += 2;
  }
  for (let y = 0; y < height; y++) {
    border += (lum[y * width] ?? 0) + (lum[y * width + width - 1] ?? 0);
    n += 2;
  }
  const background = border / n;
  const ink = new Float32Array(width * height);
  for (let i = 0; i < ink.length; i++) ink[i] = Math.min(1, Math.abs((lum[i] ?? 0) - background) / 0.5);
  return ink;
}

function zhangSuen(grid: Uint8Array, w: number, h: number): void {
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

/** Strokes (board units, the drawing centred and fitted to 80% of the board) traced from an image. */
export function imageToStrokes(img: RgbaImage): Stroke[] {
  if (img.width < 1 || img.height < 1 || img.data.length < img.width * img.height * 4) {
    throw new ImageTraceError('the image has no pixels');
  }
  const ink = inkMap(img);
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -1;
  let maxY = -1;
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
      if ((ink[y * img.width + x] ?? 0) < 0.5) continue;
      minX = Math.min(minX, x);
      maxX = Math.max(maxX, x);
      minY = Math.min(minY, y);
      maxY = Math.max(maxY, y);
    }
  }
  if (maxX < 0) throw new ImageTraceError('no handwriting found in the image');
  const side = Math.max(maxX - minX + 1, maxY - minY + 1);
  const scale = GRID / side;
  const w = Math.max(1, Math.ceil((maxX - minX + 1) * scale));
  const h = Math.max(1, Math.ceil((maxY - minY + 1) * scale));
  // Area-average the ink box down to the grid, then threshold.
  const sum = new Float32Array(w * h);
  const count = new Float32Array(w * h);
  for (let y = minY; y <= maxY; y++) {
    for (let x = minX; x <= maxX; x++) {
      const i = Math.min(h - 1, Math.floor((y - minY) * scale)) * w + Math.min(w - 1, Math.floor((x - minX) * scale));
      sum[i] = (sum[i] ?? 0) + (ink[y * img.width + x] ?? 0);
      count[i] = (count[i] ?? 0) + 1;
    }
  }
  const grid = new Uint8Array(w * h);
  for (let i = 0; i < grid.length; i++) grid[i] = (count[i] ?? 0) > 0 && (sum[i] ?? 0) / (count[i] ?? 1) >= 0.35 ? 1 : 0;
  zhangSuen(grid, w, h);
  const paths = tracePaths(grid, w, h);
  const offX = (GRID - w) / 2;
  const offY = (GRID - h) / 2;
  const toBoard = (gx: number, gy: number): [number, number] => [
    0.1 + (0.8 * (gx + offX + 0.5)) / GRID,
    0.1 + (0.8 * (gy + offY + 0.5)) / GRID,
  ];
  return paths.slice(0, LIMITS.maxStrokesPerBoard).map((path, k) => ({
    id: `img-${k}`,
    points: smooth(path).map(([gx, gy], i) => [...toBoard(gx, gy), i * 8] as [number, number, number]),
  }));
}

/** Moving average over ±2 pixels (ends kept): removes the staircase of a pixel skeleton. */
function smooth(path: readonly [number, number][]): [number, number][] {
  return path.map((p, i) => {
    if (i === 0 || i === path.length - 1) return p;
    const from = Math.max(0, i - 2);
    const to = Math.min(path.length - 1, i + 2);
    let x = 0;
    let y = 0;
    for (let k = from; k <= to; k++) {
      x += (path[k] as [number, number])[0];
      y += (path[k] as [number, number])[1];
    }
    return [x / (to - from + 1), y / (to - from + 1)];
  });
}

/** Walks a one-pixel skeleton into polylines, starting at line ends so each stroke is as long as possible. */
function tracePaths(grid: Uint8Array, w: number, h: number): [number, number][][] {
  const on = (x: number, y: number) => x >= 0 && y >= 0 && x < w && y < h && grid[y * w + x] === 1;
  const degree = (x: number, y: number) => NEIGHBOURS.filter(([dx, dy]) => on(x + dx, y + dy)).length;
  const paths: [number, number][][] = [];
  const pick = (): [number, number] | null => {
    let any: [number, number] | null = null;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        if (!on(x, y)) continue;
        if (degree(x, y) <= 1) return [x, y];
        any ??= [x, y];
      }
    }
    return any;
  };
  for (let start = pick(); start; start = pick()) {
    const path: [number, number][] = [start];
    let [x, y] = start;
    grid[y * w + x] = 0;
    for (;;) {
      // Prefer straight neighbours, then diagonals, so the walk follows the line.
      const next = [0, 2, 4, 6, 1, 3, 5, 7].map((k) => NEIGHBOURS[k] as [number, number]).find(([dx, dy]) => on(x + dx, y + dy));
      if (!next) break;
      x += next[0];
      y += next[1];
      grid[y * w + x] = 0;
      path.push([x, y]);
    }
    // Tiny specks are noise unless they are the whole drawing.
    if (path.length >= 3 || paths.length === 0) paths.push(path);
  }
  return paths.filter((p, i) => p.length >= 3 || (i === 0 && paths.length === 1)).slice(0, LIMITS.maxStrokesPerBoard);
}
