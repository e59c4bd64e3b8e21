/**
 * Hand-made drawings used by tests and benchmarks across the repository: a few digits written the way a
 * person draws them on the board (board units, time in ms).
 */
import type { Point, Stroke } from './drawing.js';

function polyline(id: string, xy: readonly (readonly [number, number])[], msPerPoint = 8): Stroke {
  return { id, points: xy.map(([x, y], i): Point => [x, y, i * msPerPoint]) };
}

/** Points along a polyline through `corners`, `perSegment` points per leg (like a pointer sampled at 120 Hz). */
function trace(corners: readonly (readonly [number, number])[], perSegment = 8): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i + 1 < corners.length; i++) {
    const [x0, y0] = corners[i] as [number, number];
    const [x1, y1] = corners[i + 1] as [number, number];
    for (let k = 0; k < perSegment; k++) out.push([x0 + ((x1 - x0) * k) / perSegment, y0 + ((y1 - y0) * k) / perSegment]);
  }
  out.push([...(corners[corners.length - 1] as [number, number])]);
  return out;
}

function arc(cx: number, cy: number, rx: number, ry: number, fromDeg: number, toDeg: number, n = 24): [number, number][] {
  return Array.from({ length: n + 1 }, (_, i) => {
    const a = ((fromDeg + ((toDeg - fromDeg) * i) / n) * Math.PI) / 180;
    return [cx + rx * Math.cos(a), cy + ry * Math.sin(a)];
  });
}

/** Drawings of single digits, keyed by the digit they show. */
export function digitDrawing(
  digit: number,
  at: { x: number; y: number; size: number } = { x: 0.3, y: 0.2, size: 0.6 },
  idPrefix = 's',
): Stroke[] {
  const { x, y, size } = at;
  const p = (u: number, v: number): [number, number] => [x + u * size * 0.6, y + v * size];
  const id = (k: number) => `${idPrefix}${digit}-${k}`;
  switch (digit) {
    case 0:
      return [polyline(id(0), arc(x + 0.3 * size, y + 0.5 * size, 0.25 * size, 0.45 * size, -90, 270, 40))];
    case 1:
      return [polyline(id(0), trace([p(0.35, 0.15), p(0.55, 0.0), p(0.55, 1.0)]))];
    case 2:
      return [
        polyline(id(0), [
          ...arc(x + 0.3 * size, y + 0.28 * size, 0.25 * size, 0.25 * size, 200, 400, 16),
          ...trace([p(0.85, 0.45), p(0.0, 1.0), p(1.0, 1.0)]),
        ]),
      ];
    case 3:
      return [
        polyline(id(0), [
          ...arc(x + 0.3 * size, y + 0.25 * size, 0.25 * size, 0.23 * size, 210, 450, 16),
          ...arc(x + 0.3 * size, y + 0.73 * size, 0.28 * size, 0.26 * size, -90, 150, 16),
        ]),
      ];
    case 4:
      return [polyline(id(0), trace([p(0.7, 0.0), p(0.0, 0.65), p(1.0, 0.65)])), polyline(id(1), trace([p(0.75, 0.3), p(0.75, 1.0)]))];
    case 5:
      return [
        polyline(id(0), [
          ...trace([p(0.15, 0.0), p(0.1, 0.42)]),
          ...arc(x + 0.3 * size, y + 0.68 * size, 0.28 * size, 0.3 * size, -130, 150, 20),
        ]),
        polyline(id(1), trace([p(0.15, 0.0), p(0.95, 0.0)])),
      ];
    case 6:
      return [
        polyline(id(0), [
          ...trace([p(0.8, 0.0), p(0.15, 0.55)]),
          ...arc(x + 0.32 * size, y + 0.72 * size, 0.25 * size, 0.26 * size, 180, 540, 28),
        ]),
      ];
    case 7:
      return [polyline(id(0), trace([p(0.0, 0.0), p(1.0, 0.0), p(0.35, 1.0)]))];
    case 8:
      return [
        polyline(id(0), [
          ...arc(x + 0.3 * size, y + 0.25 * size, 0.2 * size, 0.24 * size, 90, 450, 20),
          ...arc(x + 0.3 * size, y + 0.74 * size, 0.26 * size, 0.26 * size, -90, 270, 24),
        ]),
      ];
    case 9:
      return [
        polyline(id(0), [
          ...arc(x + 0.3 * size, y + 0.28 * size, 0.25 * size, 0.27 * size, 0, 360, 24),
          ...trace([p(0.92, 0.28), p(0.85, 1.0)]),
        ]),
      ];
    default:
      throw new RangeError(`digit must be 0–9, got ${digit}`);
  }
}

/** A number written left to right, each digit in its own cell of the board. */
export function numberDrawing(text: string): Stroke[] {
  const cell = Math.min(0.9 / text.length, 0.35);
  const x0 = (1 - cell * text.length) / 2;
  return [...text].flatMap((ch, i) => digitDrawing(Number(ch), { x: x0 + i * cell + cell * 0.15, y: 0.3, size: cell * 1.1 }, `n${i}_`));
}
