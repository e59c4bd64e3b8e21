import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StrokeSchema } from './drawing.js';
import { preprocessDrawing, rasterizeSegments, strokeSegments } from './preprocess.js';
import { segmentDigits } from './segment.js';
import { digitDrawing, numberDrawing } from './test-drawings.js';
import { readPngFile } from './test-png.js';
import { ImageTraceError, imageToStrokes, type RgbaImage } from './trace-image.js';

/** Renders strokes like a saved PNG: dark ink on white, `size` pixels square. */
function picture(strokes: ReturnType<typeof digitDrawing>, size: number, inkOnDark = false, penWidth = size / 25): RgbaImage {
  const ink = rasterizeSegments(strokeSegments(strokes, size), size, penWidth);
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

/** Typed numbers (DejaVu fonts, 24–150 pt), each file named after the number it shows. */
const typed = join(import.meta.dirname, '../fixtures/typed');
const typedPictures = readdirSync(typed).filter((f) => f.endsWith('.png'));

describe('imageToStrokes on typed numbers', () => {
  it.each(typedPictures)('traces %s into one group of strokes per digit', (file) => {
    const strokes = imageToStrokes(readPngFile(join(typed, file)));
    for (const s of strokes) expect(StrokeSchema.safeParse(s).success).toBe(true);
    // A typed 4 is one connected shape: its strokes touch, so segmentation keeps it whole (it was split into "61").
    expect(segmentDigits(strokes)).toHaveLength((file.split('-')[0] ?? '').length);
  });

  it('keeps the strokes of a typed 4 touching where its bar crosses its stem', () => {
    const strokes = imageToStrokes(readPngFile(join(typed, '42-sans-48.png')));
    const [four] = segmentDigits(strokes);
    expect(four?.strokes.length).toBeGreaterThanOrEqual(1);
    const parts = four?.strokes ?? [];
    for (let i = 1; i < parts.length; i++) {
      const gap = Math.min(
        ...(parts[i]?.points ?? []).flatMap(([x, y]) =>
          parts.slice(0, i).flatMap((o) => o.points.map(([ox, oy]) => Math.hypot(x - ox, y - oy))),
        ),
      );
      expect(gap).toBeLessThan(1e-9);
    }
  });

  it('enlarges a small picture without holes: a 24 pt "42" keeps both digits', () => {
    const img = readPngFile(join(typed, '42-sans-24.png'));
    expect(img.height).toBeLessThan(48);
    expect(segmentDigits(imageToStrokes(img))).toHaveLength(2);
  });
});

describe('imageToStrokes on pictures of drawn numbers', () => {
  it.each(['2026', '4711', '1234', '908'])('splits a picture of %s into the digits of the drawing, thick pen or thin', (text) => {
    const drawing = numberDrawing(text);
    for (const [size, pen] of [
      [560, 0.035 * 560],
      [512, 4],
      [200, 0.035 * 200],
    ] as const) {
      const traced = imageToStrokes(picture(drawing, size, false, pen));
      expect(segmentDigits(traced), `${size} px, pen ${pen} px`).toHaveLength(text.length);
    }
  });
});
