import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Stroke } from './drawing.js';
import { IMAGE_PIXELS, IMAGE_SIZE, preprocessDrawing } from './preprocess.js';
import { digitDrawing } from './test-drawings.js';

const goldenDir = join(import.meta.dirname, 'golden');

/** Plain PGM (P2): readable as text in a diff, viewable with any image tool. */
function toPgm(image: Float32Array): string {
  const rows: string[] = [];
  for (let y = 0; y < IMAGE_SIZE; y++)
    rows.push(Array.from(image.subarray(y * IMAGE_SIZE, (y + 1) * IMAGE_SIZE), (v) => String(Math.round(v * 255)).padStart(3)).join(' '));
  return `P2\n28 28\n255\n${rows.join('\n')}\n`;
}

function centreOfMass(image: Float32Array): [number, number] {
  let m = 0;
  let sx = 0;
  let sy = 0;
  image.forEach((v, i) => {
    m += v;
    sx += v * ((i % IMAGE_SIZE) + 0.5);
    sy += v * (Math.floor(i / IMAGE_SIZE) + 0.5);
  });
  return [sx / m, sy / m];
}

function inkBox(image: Float32Array, threshold = 0.5): { width: number; height: number } {
  let minX = 99;
  let maxX = -1;
  let minY = 99;
  let maxY = -1;
  image.forEach((v, i) => {
    if (v < threshold) return;
    const x = i % IMAGE_SIZE;
    const y = Math.floor(i / IMAGE_SIZE);
    minX = Math.min(minX, x);
    maxX = Math.max(maxX, x);
    minY = Math.min(minY, y);
    maxY = Math.max(maxY, y);
  });
  return { width: maxX - minX + 1, height: maxY - minY + 1 };
}

function transform(strokes: Stroke[], scale: number, dx: number, dy: number): Stroke[] {
  return strokes.map((s) => ({
    ...s,
    points: s.points.map(([x, y, t]) => [x * scale + dx, y * scale + dy, t] as [number, number, number]),
  }));
}

describe('preprocessDrawing golden images', () => {
  for (const digit of [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]) {
    it(`digit ${digit} matches its golden image`, () => {
      const pgm = toPgm(preprocessDrawing(digitDrawing(digit)));
      const file = join(goldenDir, `digit-${digit}.pgm`);
      if (process.env.UPDATE_GOLDEN === '1') writeFileSync(file, pgm);
      expect(pgm).toBe(readFileSync(file, 'utf8'));
    });
  }
});

describe('preprocessDrawing follows MNIST', () => {
  it('puts the centre of mass at the centre of the field', () => {
    for (const digit of [0, 2, 4, 7]) {
      const [cx, cy] = centreOfMass(preprocessDrawing(digitDrawing(digit)));
      expect(cx).toBeCloseTo(14, 1);
      expect(cy).toBeCloseTo(14, 1);
    }
  });

  it('fits the ink into a 20×20 box keeping the aspect ratio', () => {
    const tall = inkBox(preprocessDrawing(digitDrawing(1)));
    expect(tall.height).toBeGreaterThanOrEqual(19);
    expect(tall.height).toBeLessThanOrEqual(21);
    expect(tall.width).toBeLessThan(tall.height);
    const zero = inkBox(preprocessDrawing(digitDrawing(0)));
    expect(zero.height).toBeGreaterThanOrEqual(19);
    expect(zero.width / zero.height).toBeGreaterThan(0.45);
    expect(zero.width / zero.height).toBeLessThan(0.75);
  });

  it('is white ink on black with grey anti-aliased edges', () => {
    const img = preprocessDrawing(digitDrawing(7));
    expect(Math.max(...img)).toBe(1);
    expect(img[0]).toBe(0);
    const greys = Array.from(img).filter((v) => v > 0.05 && v < 0.95).length;
    expect(greys).toBeGreaterThan(10);
  });

  it('gives the same image whatever the size and position of the drawing', () => {
    const base = preprocessDrawing(digitDrawing(3));
    const moved = preprocessDrawing(transform(digitDrawing(3), 0.3, 0.05, 0.6));
    let maxDiff = 0;
    for (let i = 0; i < IMAGE_PIXELS; i++) maxDiff = Math.max(maxDiff, Math.abs((base[i] ?? 0) - (moved[i] ?? 0)));
    expect(maxDiff).toBeLessThan(1e-4);
  });

  it('is deterministic', () => {
    expect(preprocessDrawing(digitDrawing(8))).toEqual(preprocessDrawing(digitDrawing(8)));
  });
});

describe('preprocessDrawing degenerate input', () => {
  const finite = (img: Float32Array) => Array.from(img).every((v) => Number.isFinite(v) && v >= 0 && v <= 1);

  it('returns an all-black image for an empty drawing', () => {
    const img = preprocessDrawing([]);
    expect(img).toHaveLength(IMAGE_PIXELS);
    expect(Math.max(...img)).toBe(0);
    expect(Math.max(...preprocessDrawing([{ id: 'e', points: [] }]))).toBe(0);
  });

  it('draws a dot as a centred blob', () => {
    const img = preprocessDrawing([{ id: 'd', points: [[0.8, 0.1, 0]] }]);
    expect(finite(img)).toBe(true);
    const [cx, cy] = centreOfMass(img);
    expect(cx).toBeCloseTo(14, 3);
    expect(cy).toBeCloseTo(14, 3);
    expect(img.filter((v) => v > 0).length).toBeLessThan(20);
  });

  it('keeps a single straight line thin and straight', () => {
    const img = preprocessDrawing([
      {
        id: 'h',
        points: [
          [0.1, 0.5, 0],
          [0.9, 0.5, 50],
        ],
      },
    ]);
    expect(finite(img)).toBe(true);
    const box = inkBox(img);
    expect(box.width).toBeGreaterThanOrEqual(19);
    expect(box.height).toBeLessThanOrEqual(4);
  });

  it('handles huge and tiny drawings alike', () => {
    const huge = preprocessDrawing(transform(digitDrawing(5), 1.6, -0.3, -0.2));
    const tiny = preprocessDrawing(transform(digitDrawing(5), 0.001, 0.4, 0.4));
    expect(finite(huge) && finite(tiny)).toBe(true);
    let maxDiff = 0;
    for (let i = 0; i < IMAGE_PIXELS; i++) maxDiff = Math.max(maxDiff, Math.abs((huge[i] ?? 0) - (tiny[i] ?? 0)));
    expect(maxDiff).toBeLessThan(1e-3);
  });

  it('ignores non-finite coordinates instead of producing NaN', () => {
    const img = preprocessDrawing([
      {
        id: 'n',
        points: [
          [Number.NaN, 0.2, 0],
          [0.5, 0.2, 1],
          [0.5, 0.8, 2],
          [0.5, Number.POSITIVE_INFINITY, 3],
        ],
      },
    ]);
    expect(finite(img)).toBe(true);
    expect(inkBox(img).height).toBeGreaterThanOrEqual(19);
  });
});
