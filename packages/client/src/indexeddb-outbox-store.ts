/**
 * The browser's outbox store: one IndexedDB record per undelivered stroke, keyed by room and stroke id.
 * Writes on one object store are applied in the order they were issued, so a stroke's removal after its
 * delivery never overtakes the write that stored it. Where IndexedDB cannot be opened (private modes of
 * some browsers, storage disabled) it keeps the strokes in memory instead: sending never waits on storage.
 */
import { memoryOutboxStore, type OutboxStore, type StoredStroke } from './outbox-store.js';

const STORE = 'strokes';

interface StrokeRecord extends StoredStroke {
  strokeId: string;
}

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function openDatabase(factory: IDBFactory, name: string): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = factory.open(name, 1);
    req.onupgradeneeded = () => {
      const store = req.result.createObjectStore(STORE, { keyPath: ['roomId', 'strokeId'] });
      store.createIndex('roomId', 'roomId');
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
    req.onblocked = () => reject(new Error('the outbox database is blocked by another tab'));
  });
}

export function indexedDbOutboxStore(name = 'inkling-outbox', factory: IDBFactory | undefined = globalThis.indexedDB): OutboxStore {
  const fallback = memoryOutboxStore();
  const db: Promise<IDBDatabase | null> = factory ? openDatabase(factory, name).catch(() => null) : Promise.resolve(null);
  const tx = async (mode: IDBTransactionMode) => {
    const d = await db;
    return d ? d.transaction(STORE, mode).objectStore(STORE) : null;
  };
  return {
    async load(roomId) {
      const store = await tx('readonly');
      if (!store) return fallback.load(roomId);
      const records = (await request(store.index('roomId').getAll(roomId))) as StrokeRecord[];
      return records.sort((a, b) => a.seq - b.seq).map(({ roomId: r, stroke, seq, refusal }) => ({ roomId: r, stroke, seq, refusal }));
    },
    async put(entry) {
      const store = await tx('readwrite');
      if (!store) return fallback.put(entry);
      await request(store.put({ ...entry, strokeId: entry.stroke.id } satisfies StrokeRecord));
    },
    async remove(roomId, strokeId) {
      const store = await tx('readwrite');
      if (!store) return fallback.remove(roomId, strokeId);
      await request(store.delete([roomId, strokeId]));
    },
  };
}
