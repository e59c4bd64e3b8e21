/**
 * Where a client keeps the strokes it has not delivered yet, so they survive a reload or a restart:
 * IndexedDB in a browser (`indexedDbOutboxStore`), a JSON file in Node (`fileOutboxStore` from
 * `@inkling/client/node`), or memory. One record per stroke, so two tabs of the same room never overwrite
 * each other's records (both may then send a stroke: the second gets DUPLICATE_STROKE, it lands once).
 */
import type { Stroke } from '@inkling/protocol';
import type { RefusedStroke } from './board-view.js';

export interface StoredStroke {
  roomId: string;
  stroke: Stroke;
  /** Drawing order: pending strokes are sent by increasing `seq`. */
  seq: number;
  /** Set once the server refused the stroke for good: kept to be shown, not sent again. */
  refusal: Pick<RefusedStroke, 'code' | 'message'> | null;
}

export interface OutboxStore {
  /** The room's stored strokes, by increasing `seq`. */
  load(roomId: string): Promise<StoredStroke[]>;
  /** Adds or replaces the record of `entry.stroke.id` in `entry.roomId`. */
  put(entry: StoredStroke): Promise<void>;
  remove(roomId: string, strokeId: string): Promise<void>;
}

const recordKey = (roomId: string, strokeId: string) => `${roomId}\u0000${strokeId}`;

export function memoryOutboxStore(): OutboxStore {
  const records = new Map<string, StoredStroke>();
  return {
    load: async (roomId) =>
      [...records.values()]
        .filter((r) => r.roomId === roomId)
        .sort((a, b) => a.seq - b.seq)
        .map((r) => structuredClone(r)),
    put: async (entry) => {
      records.set(recordKey(entry.roomId, entry.stroke.id), structuredClone(entry));
    },
    remove: async (roomId, strokeId) => {
      records.delete(recordKey(roomId, strokeId));
    },
  };
}
