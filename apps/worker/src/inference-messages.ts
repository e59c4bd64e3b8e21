/**
 * Messages between a worker's main thread and its inference threads. Strokes travel packed (one
 * Float64Array of x, y, t per stroke), which the structured clone copies in one piece.
 */
import type { BoardStroke, Recognition, Stroke } from '@inkling/protocol';

export interface PackedDrawing {
  ids: string[];
  /** Each stroke's author ("" when unknown): stroke ids are unique per author only. */
  authors: string[];
  points: Float64Array[];
  /** Identifies the drawing for the per-digit cache (room and drawing id). */
  key: string;
}

export type ToInference =
  /** The model to serve, sent once: the thread starts its backend before the folder is known. */
  | { type: 'load'; folder: string }
  | { type: 'recognize'; id: number; drawings: PackedDrawing[] }
  | { type: 'swap'; id: number; folder: string };

export type FromInference =
  | { type: 'ready'; backend: string; modelVersion: string; folder: string }
  | { type: 'load-failed'; message: string }
  | { type: 'recognized'; id: number; recognitions: Recognition[]; inferenceMs: number }
  | { type: 'swapped'; id: number; modelVersion: string; folder: string }
  | { type: 'failed'; id: number; message: string };

const packed = new WeakMap<Stroke, Float64Array>();

/** A stroke's points packed as x, y, t triples (computed once per stroke object). */
export function packStroke(stroke: Stroke): Float64Array {
  let out = packed.get(stroke);
  if (!out) {
    out = new Float64Array(stroke.points.length * 3);
    stroke.points.forEach(([x, y, t], i) => {
      out?.set([x, y, t], i * 3);
    });
    packed.set(stroke, out);
  }
  return out;
}

export function unpackDrawing(d: PackedDrawing): BoardStroke[] {
  return d.ids.map((id, s) => {
    const flat = d.points[s] as Float64Array;
    const points: Stroke['points'] = new Array(flat.length / 3);
    for (let i = 0; i < points.length; i++) points[i] = [flat[3 * i] as number, flat[3 * i + 1] as number, flat[3 * i + 2] as number];
    return { id, authorId: d.authors[s] ?? '', points };
  });
}
