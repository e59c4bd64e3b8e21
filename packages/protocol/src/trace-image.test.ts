import { describe, expect, it } from 'vitest';
import { StrokeSchema } from './drawing.js';
import { preprocessDrawing, rasterizeSegments, strokeSegments } from './preprocess.js';
import { digitDrawing } from './test-drawings.js';
import { ImageTraceError, imageToStrokes, type RgbaImage } from './trace-image.js';

/** Renders strokes like a saved PNG: dark ink on white, `size` pixels square. */
function picture(strokes: ReturnType<typeof digitDrawing>, size: number, inkOnDark = false): RgbaImage {
  const ink = rasterizeSegments(strokeSegments(strokes, size), size, size / 25);
  const data = new Uint8ClampedArray(size * size * 4);
  ink.forEach((v, i) => {
    const l = inkOnDark ? v * 255 : 255 - v * 255;
    data.set([l, l, l, 255], i * 4);
  });
  return { width: size, height: size, data };
}

function correlation(a: Float32Array, b: Float32Array): number {
  const mean = (x: Float32Array) => x.reduce((s, v) => s + v, 0) / x.length;
  const ma = mean(a);
  const mb = mean(b);
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < a.length; i++) {
    num += ((a[i] ?? 0) - ma) * ((b[i] ?? 0) - mb);
    da += ((a[i] ?? 0) - ma) ** 2;
    db += ((b[i] ?? 0) - mb) ** 2;
  }
  return num / Math.sqrt(da * db);
}

describe('imageToStrokes', () => {
  it.each([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])('traces a picture of %i into strokes that preprocess like the original', (digit) => {
    const original = digitDrawing(digit);
    const traced = imageToStrokes(picture(original, 280));
    expect(traced.length).toBeGreaterThan(0);
    for (const s of traced) expect(StrokeSchema.safeParse(s).success).toBe(true);
    expect(correlation(preprocessDrawing(traced), preprocessDrawing(original))).toBeGreaterThan(0.75);
  });

  it('handles light ink on a dark background and small images', () => {
    const original = digitDrawing(7);
    const traced = imageToStrokes(picture(original, 64, true));
    expect(correlation(preprocessDrawing(traced), preprocessDrawing(original))).toBeGreaterThan(0.7);
  });

  it('refuses a blank image and an image without pixels', () => {
    const blank: RgbaImage = { width: 10, height: 10, data: new Uint8ClampedArray(400).fill(255) };
    expect(() => imageToStrokes(blank)).toThrow(ImageTraceError);
    expect(() => imageToStrokes({ width: 0, height: 0, data: new Uint8ClampedArray(0) })).toThrow(ImageTraceError);
  });
});
