/** Minimal PNG encoder (8-bit greyscale) and the rendering of a drawing as a picture, black ink on white. */
import { deflateSync } from 'node:zlib';
import { type DrawnStroke, rasterizeSegments, strokeSegments } from '@inkling/protocol';

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = (CRC_TABLE[(c ^ b) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  Buffer.from(data).copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** Encodes `grey` (width·height bytes, row-major) as a PNG file. */
export function encodeGreyPng(grey: Uint8Array, width: number, height: number): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 0, 0, 0, 0], 8); // 8-bit, greyscale, deflate, no filter method, no interlace
  const raw = Buffer.alloc((width + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width + 1)] = 0;
    raw.set(grey.subarray(y * width, (y + 1) * width), y * (width + 1) + 1);
  }
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', new Uint8Array()),
  ]);
}

/**
 * Most pixel visits one picture may cost the rasterizer (about 0.2 s of one busy core). It visits every pixel
 * of each segment's bounding box widened by the pen, so the cost is known before drawing.
 */
export const MAX_RENDER_COST = 2_000_000;

const penWidthPx = (sizePx: number) => Math.max(1.5, sizePx * 0.03);

/** Pixels the rasterizer would visit to draw `segments` with a pen of `penPx`. */
export function renderCost(segments: readonly (readonly number[])[], penPx: number): number {
  const reach = 2 * (penPx / 2 + 1) + 1;
  let cost = 0;
  for (const [x0 = 0, y0 = 0, x1 = 0, y1 = 0] of segments) cost += (Math.abs(x1 - x0) + reach) * (Math.abs(y1 - y0) + reach);
  return cost;
}

/** Smallest size a picture is drawn at before being scaled up. */
const MIN_DRAW_PX = 8;

/**
 * Pixels square at which `strokes` are drawn for a `sizePx` picture: the largest size whose cost is within
 * `maxCost` (the cost grows with the size, but not as its square: every segment costs at least the pen's
 * footprint, so the size is searched, not computed). Never below MIN_DRAW_PX, where the heaviest legal board
 * (40,000 points zig-zagging across the board) costs about 2.2 M.
 */
export function drawingSize(strokes: readonly DrawnStroke[], sizePx: number, maxCost = MAX_RENDER_COST): number {
  if (drawingCost(strokes, sizePx) <= maxCost) return sizePx;
  let fits = MIN_DRAW_PX;
  let tooBig = sizePx;
  while (tooBig - fits > 1) {
    const mid = Math.floor((fits + tooBig) / 2);
    if (drawingCost(strokes, mid) <= maxCost) fits = mid;
    else tooBig = mid;
  }
  return fits;
}

/** Cost of drawing `strokes` at `drawPx` pixels square (see renderCost). */
export function drawingCost(strokes: readonly DrawnStroke[], drawPx: number): number {
  return renderCost(strokeSegments(strokes, drawPx), penWidthPx(drawPx));
}

/** Scales a square coverage image to `to` pixels (bilinear). */
function upscale(image: Float32Array, from: number, to: number): Float32Array {
  const out = new Float32Array(to * to);
  const k = from / to;
  for (let y = 0; y < to; y++) {
    const fy = Math.max(0, Math.min(from - 1, (y + 0.5) * k - 0.5));
    const y0 = Math.floor(fy);
    const y1 = Math.min(from - 1, y0 + 1);
    const wy = fy - y0;
    for (let x = 0; x < to; x++) {
      const fx = Math.max(0, Math.min(from - 1, (x + 0.5) * k - 0.5));
      const x0 = Math.floor(fx);
      const x1 = Math.min(from - 1, x0 + 1);
      const wx = fx - x0;
      const top = (image[y0 * from + x0] ?? 0) * (1 - wx) + (image[y0 * from + x1] ?? 0) * wx;
      const bottom = (image[y1 * from + x0] ?? 0) * (1 - wx) + (image[y1 * from + x1] ?? 0) * wx;
      out[y * to + x] = top * (1 - wy) + bottom * wy;
    }
  }
  return out;
}

/**
 * A picture of the board: strokes in board units drawn black on white at `sizePx` pixels square. A board
 * that would cost more than `maxCost` to draw at that size is drawn smaller (see drawingSize) and scaled up,
 * so no picture costs more than about `maxCost` pixel visits.
 */
export function renderDrawingPng(strokes: readonly DrawnStroke[], sizePx: number, maxCost = MAX_RENDER_COST): Buffer {
  const drawPx = drawingSize(strokes, sizePx, maxCost);
  let ink = rasterizeSegments(strokeSegments(strokes, drawPx), drawPx, penWidthPx(drawPx));
  if (drawPx !== sizePx) ink = upscale(ink, drawPx, sizePx);
  const grey = new Uint8Array(ink.length);
  for (let i = 0; i < ink.length; i++) grey[i] = 255 - Math.round((ink[i] ?? 0) * 255);
  return encodeGreyPng(grey, sizePx, sizePx);
}
