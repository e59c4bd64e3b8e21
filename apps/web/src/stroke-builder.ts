/**
 * Turns pointer positions into a stroke in board units: clamped to the square board, times relative to the
 * stroke's start, and points closer than a fraction of a pixel to the previous one skipped (a pen at
 * 240 Hz would otherwise send many identical points).
 */
import { LIMITS, type Point, type Stroke } from '@inkling/protocol';

export class StrokeBuilder {
  readonly points: Point[] = [];
  private sent = 0;
  private readonly startedAt: number;

  constructor(
    readonly id: string,
    startedAt: number,
    /** Smallest distance between kept points, in board units. */
    private readonly minStep = 0.002,
  ) {
    this.startedAt = startedAt;
  }

  /** Adds a point given in board units; returns whether it was kept. */
  add(x: number, y: number, at: number): boolean {
    if (this.points.length >= LIMITS.maxPointsPerStroke) return false;
    const point: Point = [clamp01(x), clamp01(y), Math.max(0, Math.round(at - this.startedAt))];
    const last = this.points.at(-1);
    if (last && Math.hypot(point[0] - last[0], point[1] - last[1]) < this.minStep) return false;
    if (last && point[2] < last[2]) point[2] = last[2];
    this.points.push(point);
    return true;
  }

  /** Points not yet sent as `stroke:live`, at most the protocol's limit per event. */
  takeUnsent(): Point[] {
    const out = this.points.slice(this.sent, this.sent + LIMITS.maxLivePointsPerEvent);
    this.sent += out.length;
    return out;
  }

  finish(): Stroke | null {
    return this.points.length === 0 ? null : { id: this.id, points: this.points };
  }
}

export function clamp01(v: number): number {
  return Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : 0;
}

/** Maps a pointer position on an element to board units (the element shows the whole square board). */
export function toBoardUnits(
  clientX: number,
  clientY: number,
  rect: { left: number; top: number; width: number; height: number },
): [number, number] {
  return [(clientX - rect.left) / rect.width, (clientY - rect.top) / rect.height];
}

export function newStrokeId(): string {
  const bytes = new Uint8Array(9);
  crypto.getRandomValues(bytes);
  return `k${Array.from(bytes, (b) => b.toString(36).padStart(2, '0')).join('')}`;
}
