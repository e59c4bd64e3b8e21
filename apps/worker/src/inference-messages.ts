/**
 * Messages between a worker's main thread and its inference threads. A batch's strokes travel packed in one
 * Float64Array (x, y, t of every point of every stroke, in order), transferred rather than copied: one
 * buffer per message, whatever the number of strokes, keeps the structured clone cheap.
 */
import type { BoardStroke, Recognition, Stroke } from '@inkling/protocol';

export interface PackedDrawing {
  ids: string[];
  /** Each stroke's author ("" when unknown): stroke ids are unique per author only (the digit cache tells them apart). */
  authors: string[];
  /** Points of each stroke (its x, y, t triples follow the previous stroke's in the batch's buffer). */
  lengths: number[];
  /** Identifies the drawing for the per-digit cache (room and drawing id). */
  key: string;
}

export interface PackedBatch {
  drawings: PackedDrawing[];
  /** Every stroke's x, y, t triples, drawing after drawing, stroke after stroke. */
  points: Float64Array<ArrayBuffer>;
}

export type ToInference =
  /** The model to serve, sent once: the thread starts its backend before the folder is known. */
  { type: 'load'; folder: string } | ({ type: 'recognize'; id: number } & PackedBatch) | { type: 'swap'; id: number; folder: string };

export type FromInference =
  | { type: 'ready'; backend: string; modelVersion: string; folder: string }
  | { type: 'load-failed'; message: string }
  | { type: 'recognized'; id: number; recognitions: Recognition[]; inferenceMs: number }
  | { type: 'swapped'; id: number; modelVersion: string; folder: string }
  | { type: 'failed'; id: number; message: string };

/** Packs drawings (with their cache keys) into one batch. */
export function packBatch(drawings: readonly { strokes: readonly (Stroke & { authorId?: string })[]; key: string }[]): PackedBatch {
  let total = 0;
  for (const d of drawings) for (const s of d.strokes) total += s.points.length;
  const points = new Float64Array(total * 3);
  let at = 0;
  const packed = drawings.map(({ strokes, key }) => {
    for (const { points: ps } of strokes) {
      for (const [x, y, t] of ps) {
        points[at++] = x;
        points[at++] = y;
        points[at++] = t;
      }
    }
    return {
      ids: strokes.map((s) => s.id),
      authors: strokes.map((s) => s.authorId ?? ''),
      lengths: strokes.map((s) => s.points.length),
      key,
    };
  });
  return { drawings: packed, points };
}

/** The drawings of a batch, in order. */
export function unpackBatch(batch: PackedBatch): BoardStroke[][] {
  const { points } = batch;
  let at = 0;
  return batch.drawings.map((d) =>
    d.ids.map((id, s) => {
      const n = d.lengths[s] as number;
      const out: Stroke['points'] = new Array(n);
      for (let i = 0; i < n; i++, at += 3) out[i] = [points[at] as number, points[at + 1] as number, points[at + 2] as number];
      return { id, authorId: d.authors[s] ?? '', points: out };
    }),
  );
}
