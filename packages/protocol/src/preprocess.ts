/**
 * Turns a drawing into the 28×28 model input the way MNIST was made: white ink on black; the strokes'
 * centre-lines fitted into a 20×20 box keeping the aspect ratio; strokes re-drawn anti-aliased with an
 * MNIST-like pen width whatever brush the user had; then shifted so the ink's centre of mass sits at the
 * centre of the field. Pure arithmetic (no canvas, no transcendental functions), so Node and every browser
 * produce the same numbers.
 */
import { type Box, type Stroke, strokesBox } from './drawing.js';

/** Anything with points: a Stroke, or the points of one (its id is not needed to draw it). */
export type DrawnStroke = Pick<Stroke, 'points'> & { id?: string };

export const IMAGE_SIZE = 28;
export const IMAGE_PIXELS = IMAGE_SIZE * IMAGE_SIZE;

export interface PreprocessOptions {
  /** Side of the box the ink is fitted into, in pixels (MNIST: 20). */
  boxPx: number;
  /** Pen width in pixels of the 28×28 image. 3.2 px gives the mean ink of MNIST 0s and 1s (measured). */
  penWidthPx: number;
}

export const DEFAULT_PREPROCESS: PreprocessOptions = { boxPx: 20, penWidthPx: 3.2 };

/** A straight piece of pen path from (x0, y0) to (x1, y1), in pixels. */
export type Segment = [number, number, number, number];

/** Max-composites one anti-aliased thick segment (a capsule) into the image. */
function drawSegment(image: Float32Array, size: number, [x0, y0, x1, y1]: Segment, halfWidth: number): void {
  const reach = halfWidth + 1;
  const minX = Math.max(0, Math.floor(Math.min(x0, x1) - reach));
  const maxX = Math.min(size - 1, Math.ceil(Math.max(x0, x1) + reach));
  const minY = Math.max(0, Math.floor(Math.min(y0, y1) - reach));
  const maxY = Math.min(size - 1, Math.ceil(Math.max(y0, y1) + reach));
  const dx = x1 - x0;
  const dy = y1 - y0;
  const lengthSq = dx * dx + dy * dy;
  for (let py = minY; py <= maxY; py++) {
    const cy = py + 0.5;
    for (let px = minX; px <= maxX; px++) {
      const cx = px + 0.5;
      let t = lengthSq > 0 ? ((cx - x0) * dx + (cy - y0) * dy) / lengthSq : 0;
      t = t < 0 ? 0 : Math.min(t, 1);
      const ex = cx - (x0 + t * dx);
      const ey = cy - (y0 + t * dy);
      // Coverage falls off linearly over one pixel around the pen's edge.
      const coverage = halfWidth + 0.5 - Math.sqrt(ex * ex + ey * ey);
      if (coverage <= 0) continue;
      const v = Math.min(coverage, 1);
      const i = py * size + px;
      if (v > (image[i] ?? 0)) image[i] = v;
    }
  }
}

/**
 * Draws segments anti-aliased (ink 1 on 0, max-composited) into a `size`×`size` image, shifted by
 * (offsetX, offsetY) pixels. Used for the model input and for server-rendered pictures of drawings.
 */
export function rasterizeSegments(segments: readonly Segment[], size: number, penWidthPx: number, offsetX = 0, offsetY = 0): Float32Array {
  const image = new Float32Array(size * size);
  for (const [x0, y0, x1, y1] of segments)
    drawSegment(image, size, [x0 + offsetX, y0 + offsetY, x1 + offsetX, y1 + offsetY], penWidthPx / 2);
  return image;
}

/** Segments of strokes given in board units, scaled to an image of `size` pixels. */
export function strokeSegments(strokes: readonly DrawnStroke[], size: number): Segment[] {
  return toSegmentsWith(strokes, (x, y) => [x * size, y * size]);
}

function toSegmentsWith(strokes: readonly DrawnStroke[], map: (x: number, y: number) => [number, number]): Segment[] {
  const segments: Segment[] = [];
  for (const s of strokes) {
    const pts = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    const first = pts[0];
    if (!first) continue;
    let [prevX, prevY] = map(first[0], first[1]);
    if (pts.length === 1) segments.push([prevX, prevY, prevX, prevY]);
    for (let i = 1; i < pts.length; i++) {
      const p = pts[i] as [number, number, number];
      const [x, y] = map(p[0], p[1]);
      segments.push([prevX, prevY, x, y]);
      prevX = x;
      prevY = y;
    }
  }
  return segments;
}

function centreOfMass(image: Float32Array): [number, number] | null {
  let mass = 0;
  let sx = 0;
  let sy = 0;
  for (let y = 0; y < IMAGE_SIZE; y++) {
    for (let x = 0; x < IMAGE_SIZE; x++) {
      const v = image[y * IMAGE_SIZE + x] ?? 0;
      mass += v;
      sx += v * (x + 0.5);
      sy += v * (y + 0.5);
    }
  }
  return mass > 0 ? [sx / mass, sy / mass] : null;
}

/**
 * Maps strokes (board units) to segments in image pixels with the ink's box fitted into `boxPx` and
 * centred in the field. A dot becomes a zero-length segment; a straight line keeps its aspect ratio.
 */
function toSegments(strokes: readonly DrawnStroke[], box: Box, o: PreprocessOptions): Segment[] {
  const inner = Math.max(o.boxPx - o.penWidthPx, 0);
  const longest = Math.max(box.width, box.height);
  const scale = longest > 0 ? inner / longest : 0;
  const ox = IMAGE_SIZE / 2 - (box.width * scale) / 2;
  const oy = IMAGE_SIZE / 2 - (box.height * scale) / 2;
  return toSegmentsWith(strokes, (x, y) => [ox + (x - box.x) * scale, oy + (y - box.y) * scale]);
}

/**
 * The 28×28 model input for a drawing (row-major, values in [0, 1], white ink on black). An empty drawing
 * gives an all-black image.
 */
export function preprocessDrawing(strokes: readonly DrawnStroke[], options: PreprocessOptions = DEFAULT_PREPROCESS): Float32Array {
  const box = strokesBox(strokes);
  if (!box) return new Float32Array(IMAGE_PIXELS);
  const segments = toSegments(strokes, box, options);
  const first = rasterizeSegments(segments, IMAGE_SIZE, options.penWidthPx);
  const com = centreOfMass(first);
  if (!com) return first;
  const shiftX = IMAGE_SIZE / 2 - com[0];
  const shiftY = IMAGE_SIZE / 2 - com[1];
  if (Math.abs(shiftX) < 1e-9 && Math.abs(shiftY) < 1e-9) return first;
  return rasterizeSegments(segments, IMAGE_SIZE, options.penWidthPx, shiftX, shiftY);
}
