/**
 * Node's outbox store: every room's undelivered strokes in one JSON file, rewritten whole (to a temporary
 * file, then renamed) after each change, one write at a time, so a crash leaves the previous or the new
 * file, never half of one. Meant for simulated clients and scripts, not thousands of strokes per second.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { OutboxStore, StoredStroke } from './outbox-store.js';

const recordKey = (roomId: string, strokeId: string) => `${roomId}\u0000${strokeId}`;

export function fileOutboxStore(path: string): OutboxStore {
  /**
   * The file read once, shared by every operation: operations issued together continue in the order they were
   * issued (each read of its own could finish in any order, and a remove could run before the put it follows).
   */
  let records: Promise<Map<string, StoredStroke>> | null = null;
  let writing: Promise<void> = Promise.resolve();

  const readFromDisk = async (): Promise<Map<string, StoredStroke>> => {
    let list: StoredStroke[] = [];
    try {
      list = JSON.parse(await readFile(path, 'utf8')) as StoredStroke[];
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    return new Map(list.map((r) => [recordKey(r.roomId, r.stroke.id), r]));
  };
  const read = (): Promise<Map<string, StoredStroke>> => {
    records ??= readFromDisk().catch((err: unknown) => {
      records = null; // a failed read is tried again by the next operation
      throw err;
    });
    return records;
  };
  const write = (all: Map<string, StoredStroke>) => {
    const json = JSON.stringify([...all.values()]);
    writing = writing
      .catch(() => undefined)
      .then(async () => {
        await mkdir(dirname(path), { recursive: true });
        await writeFile(`${path}.tmp`, json);
        await rename(`${path}.tmp`, path);
      });
    return writing;
  };

  return {
    async load(roomId) {
      return [...(await read()).values()].filter((r) => r.roomId === roomId).sort((a, b) => a.seq - b.seq);
    },
    async put(entry) {
      const all = await read();
      all.set(recordKey(entry.roomId, entry.stroke.id), structuredClone(entry));
      await write(all);
    },
    async remove(roomId, strokeId) {
      const all = await read();
      if (all.delete(recordKey(roomId, strokeId))) await write(all);
    },
  };
}
