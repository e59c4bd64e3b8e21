/**
 * Turns a picture of handwriting or typed digits (a PNG someone loads) into strokes: find the ink, resample it
 * onto a grid whose resolution follows the ink's height (so each digit of a typed number keeps its detail), thin it
 * to a one-pixel skeleton and walk that into polylines (skeleton-paths.ts). The strokes then go through the same
 * segmentation and preprocessing as drawn ones, so a loaded image is recognized like a drawing.
 */
import { LIMITS, type Stroke } from './drawing.js';
import { restoreEnds, tracePaths, zhangSuen } from './skeleton-paths.js';

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

/** Cells of the grid the ink is thinned on: the ink box's height gets MIN_CELLS, its longer side at most MAX_CELLS. */
const MIN_CELLS = 48;
const MAX_CELLS = 192;
/**
 * Ink a cell needs to be part of a line. A shrunk cell holds the share of it the ink covers, so a thin line
 * counts from about a third; an enlarged cell holds the ink at one point, where a line's edge is at one half.
 */
const SHRUNK_INK = 0.35;
const ENLARGED_INK = 0.5;

interface PixelBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Ink at a fractional position (pixel centres at +0.5), interpolated bilinearly; the image edge repeats. */
function inkAt(ink: Float32Array, width: number, height: number, x: number, y: number): number {
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  const fx = x - x0;
  const fy = y - y0;
  const px = (i: number) => Math.min(Math.max(i, 0), width - 1);
  const py = (i: number) => Math.min(Math.max(i, 0), height - 1);
  const v = (cx: number, cy: number) => ink[py(cy) * width + px(cx)] ?? 0;
  return (v(x0, y0) * (1 - fx) + v(x0 + 1, y0) * fx) * (1 - fy) + (v(x0, y0 + 1) * (1 - fx) + v(x0 + 1, y0 + 1) * fx) * fy;
}

/**
 * The ink box resampled onto a `w`×`h` grid. Shrinking: each cell takes the mean ink of the image area it covers
 * (pixels partly inside count by the share inside). Enlarging a small picture: each cell takes the ink
 * interpolated at its centre, so no cell falls between pixels and lines stay smooth.
 */
function resample(ink: Float32Array, img: RgbaImage, box: PixelBox, w: number, h: number): Float32Array {
  const sx = box.width / w;
  const sy = box.height / h;
  const out = new Float32Array(w * h);
  for (let gy = 0; gy < h; gy++) {
    const y0 = box.y + gy * sy;
    const y1 = y0 + sy;
    for (let gx = 0; gx < w; gx++) {
      const x0 = box.x + gx * sx;
      const x1 = x0 + sx;
      if (sx < 1 || sy < 1) {
        out[gy * w + gx] = inkAt(ink, img.width, img.height, x0 + sx / 2 - 0.5, y0 + sy / 2 - 0.5);
        continue;
      }
      let sum = 0;
      for (let py = Math.floor(y0); py < y1; py++) {
        const wy = Math.min(y1, py + 1) - Math.max(y0, py);
        for (let px = Math.floor(x0); px < x1; px++) {
          const wx = Math.min(x1, px + 1) - Math.max(x0, px);
          sum += wx * wy * (ink[py * img.width + px] ?? 0);
        }
      }
      out[gy * w + gx] = sum / (sx * sy);
    }
  }
  return out;
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
  const box = { x: minX, y: minY, width: maxX - minX + 1, height: maxY - minY + 1 };
  // Resolution follows the height, so each digit of a wide number keeps as many cells as a single digit would.
  const scale = Math.min(MIN_CELLS / box.height, MAX_CELLS / Math.max(box.width, box.height));
  const w = Math.max(1, Math.round(box.width * scale));
  const h = Math.max(1, Math.round(box.height * scale));
  const cells = resample(ink, img, box, w, h);
  const threshold = w > box.width || h > box.height ? ENLARGED_INK : SHRUNK_INK;
  const grid = new Uint8Array(w * h);
  for (let i = 0; i < grid.length; i++) grid[i] = (cells[i] ?? 0) >= threshold ? 1 : 0;
  const inkCells = grid.reduce((n: number, v) => n + v, 0);
  zhangSuen(grid, w, h);
  const skeletonCells = grid.reduce((n: number, v) => n + v, 0);
  const inkWidth = inkCells / Math.max(1, skeletonCells);
  const paths = tracePaths(grid, w, h, inkWidth).map((path) => restoreEnds(path, inkWidth / 2));
  const fit = 0.8 / Math.max(w, h);
  const onBoard = (v: number) => Math.min(1, Math.max(0, v));
  const toBoard = (gx: number, gy: number): [number, number] => [
    onBoard(0.5 + (gx + 0.5 - w / 2) * fit),
    onBoard(0.5 + (gy + 0.5 - h / 2) * fit),
  ];
  return paths.slice(0, LIMITS.maxStrokesPerBoard).map((path, k) => ({
    id: `img-${k}`,
    points: smooth(path)
      .slice(0, LIMITS.maxPointsPerStroke)
      .map(([gx, gy], i) => [...toBoard(gx, gy), i * 8] as [number, number, number]),
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
