import { digitDrawing, type Prediction, type Stroke } from '@inkling/protocol';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createPool, createTestDatabase, inTransaction } from './database.js';
import { migrate } from './migrations.js';
import { type BoardRead, RecognitionStore } from './recognition-store.js';
import { RoomRepository } from './room-repository.js';
import { UnavailableError } from './transient.js';

/** Boards read by reference (whole, then only what changed) and predictions stored once per revision, on real Postgres. */
describe('RecognitionStore', () => {
  let db: { url: string; drop: () => Promise<void> };
  let pool: pg.Pool;
  let rooms: RoomRepository;
  beforeAll(async () => {
    db = await createTestDatabase(inject('databaseUrl'), 'inkling_recognition_store_test');
    pool = createPool(db.url, 4);
    await migrate(pool);
    rooms = new RoomRepository(pool);
  });
  afterAll(async () => {
    await pool.end();
    await db.drop();
  });

  const stroke = (id: string, digit = 1): Stroke => ({ id, points: (digitDrawing(digit)[0] as Stroke).points });
  const board = (read: BoardRead) => {
    if (read.type !== 'board') throw new Error(`expected a board, got ${read.type}`);
    return read;
  };
  const prediction = (roomId: string, drawingId: number, revision: number, text = '1'): Prediction => ({
    roomId,
    drawingId,
    revision,
    text,
    digits: [],
    confidence: 1,
    lowConfidence: false,
    notDigit: false,
    modelVersion: 'test',
    latencyMs: 1,
    inferenceMs: 1,
  });
  const activeIds = async (roomId: string) => ((await rooms.loadBoard(roomId))?.strokes ?? []).map((s) => s.id);

  it('reads the whole board first, then only what changed, and always the same board Postgres holds', async () => {
    const store = new RecognitionStore(pool);
    const reads: string[] = [];
    const counting = new RecognitionStore(pool, { onRead: (kind) => reads.push(kind) });
    await rooms.createRoom('rs-delta');
    await rooms.commitStroke('rs-delta', 'u1', stroke('a'));
    await rooms.commitStroke('rs-delta', 'u2', stroke('b', 7));
    const first = board(await counting.readBoard({ roomId: 'rs-delta', explicit: false }));
    expect(first.source).toBe('full');
    expect(first.board.strokes.map((s) => s.id)).toEqual(['a', 'b']);
    expect(first.board.revision).toBe(2);
    expect(first.board.points).toBe(first.board.strokes.reduce((n, s) => n + s.points.length, 0));

    // Undo, a new stroke (discarding the undone one), redo nothing; then read again: a delta.
    await rooms.commitStroke('rs-delta', 'u1', stroke('c', 3));
    await rooms.undo('rs-delta', 'u2');
    await rooms.commitStroke('rs-delta', 'u2', stroke('d', 4));
    await rooms.undo('rs-delta', 'u1');
    await rooms.redo('rs-delta', 'u1');
    const second = board(await counting.readBoard({ roomId: 'rs-delta', explicit: false }));
    expect(second.source).toBe('delta');
    expect(second.board.revision).toBe(7);
    expect(second.board.strokes.map((s) => s.id)).toEqual(await activeIds('rs-delta'));
    // Unchanged strokes are the same objects as before (nothing re-read, nothing copied).
    expect(second.board.strokes[0]).toBe(first.board.strokes[0]);
    // Another process without the cached board reads it whole, and sees the same.
    const other = board(await store.readBoard({ roomId: 'rs-delta', explicit: false }));
    expect(other.source).toBe('full');
    expect(other.board.strokes).toEqual(second.board.strokes);
    expect(reads).toEqual(['full', 'delta']);

    // A Clear starts a new drawing: the next read is the (empty) new board.
    const cleared = await rooms.clear('rs-delta');
    const third = board(await counting.readBoard({ roomId: 'rs-delta', explicit: false }));
    expect(third.board).toMatchObject({ drawingId: cleared.drawingId, revision: 8, strokes: [], points: 0 });
  });

  it("applies a job's change to the board it was made on without a read, and the result is the board Postgres holds", async () => {
    const reads: string[] = [];
    const store = new RecognitionStore(pool, { onRead: (kind) => reads.push(kind) });
    await rooms.createRoom('rs-change');
    await rooms.commitStroke('rs-change', 'u1', stroke('a'));
    const before = board(await store.readBoard({ roomId: 'rs-change', explicit: false }));
    const committed = await rooms.commitStroke('rs-change', 'u2', stroke('b', 7));
    const change = {
      type: 'stroke-added' as const,
      drawingId: committed.drawingId,
      baseRevision: committed.revision - 1,
      rowId: committed.strokeRowId,
      strokeId: 'b',
      points: stroke('b', 7).points,
    };
    const applied = board(store.applyChange('rs-change', committed.revision, change) as BoardRead);
    expect(applied.source).toBe('change');
    expect(applied.board.revision).toBe(2);
    expect(applied.board.strokes[0]).toBe(before.board.strokes[0]);
    // Postgres holds the same board, and a later delta read (an undo of the applied stroke) finds its row.
    const fresh = board(await new RecognitionStore(pool).readBoard({ roomId: 'rs-change', explicit: false }));
    expect(applied.board).toEqual(fresh.board);
    await rooms.undo('rs-change', 'u2');
    const undone = board(await store.readBoard({ roomId: 'rs-change', explicit: false }));
    expect(undone.source).toBe('delta');
    expect(undone.board.strokes.map((s) => s.id)).toEqual(['a']);
    expect(reads).toEqual(['full', 'change', 'delta']);

    // Made on another board (a revision this process did not see, or another drawing): no board; read it.
    expect(store.applyChange('rs-change', 3, { ...change, baseRevision: 1 })).toBeNull();
    expect(store.applyChange('rs-change', 4, { ...change, baseRevision: 3, drawingId: committed.drawingId + 1 })).toBeNull();
    expect(new RecognitionStore(pool).applyChange('rs-change', 3, change)).toBeNull();
    // A Clear needs no base: the board at its revision is empty.
    const cleared = await rooms.clear('rs-change');
    const empty = board(
      new RecognitionStore(pool).applyChange('rs-change', cleared.revision, { type: 'cleared', drawingId: cleared.drawingId }) as BoardRead,
    );
    const emptyRead = board(await new RecognitionStore(pool).readBoard({ roomId: 'rs-change', explicit: false }));
    expect(empty.board).toEqual(emptyRead.board);
  });

  it('stores one prediction per revision, advances the recognized revision, and then has nothing to do', async () => {
    const store = new RecognitionStore(pool);
    const r = await rooms.createRoom('rs-store');
    await rooms.commitStroke('rs-store', 'u1', stroke('a'));
    await rooms.commitStroke('rs-store', 'u1', stroke('b'));
    expect(await store.storePrediction({ prediction: prediction('rs-store', r.drawingId, 1), explicit: false })).toBe(true);
    expect((await store.laggingRooms('', 100)).map((l) => l.roomId)).toContain('rs-store');
    // Concurrent duplicates of revision 2: exactly one is stored. Then an older one is refused.
    const twice = await Promise.all([
      store.storePrediction({ prediction: prediction('rs-store', r.drawingId, 2, 'x'), explicit: false }),
      store.storePrediction({ prediction: prediction('rs-store', r.drawingId, 2, 'y'), explicit: false }),
    ]);
    expect(twice.filter(Boolean)).toHaveLength(1);
    expect(await store.storePrediction({ prediction: prediction('rs-store', r.drawingId, 1), explicit: false })).toBe(false);
    expect((await store.laggingRooms('', 100)).map((l) => l.roomId)).not.toContain('rs-store');
    expect(await store.readBoard({ roomId: 'rs-store', explicit: false })).toEqual({ type: 'up-to-date', roomId: 'rs-store', revision: 2 });
    // An explicit Recognize reads the board anyway and may store the same revision again.
    expect(board(await store.readBoard({ roomId: 'rs-store', explicit: true })).board.revision).toBe(2);
    expect(await store.storePrediction({ prediction: prediction('rs-store', r.drawingId, 2, 'z'), explicit: true })).toBe(true);
    const [latest] = await store.latestPredictions(['rs-store']);
    expect(latest).toMatchObject({ roomId: 'rs-store', revision: 2, text: 'z' });
    // A prediction for a revision the room never reached is refused.
    expect(await store.storePrediction({ prediction: prediction('rs-store', r.drawingId, 99), explicit: false })).toBe(false);
    expect(await store.readBoard({ roomId: 'no-such-room', explicit: false })).toEqual({ type: 'gone', roomId: 'no-such-room' });
    expect(await store.currentRevision('rs-store')).toBe(2);
    expect(await store.currentRevision('no-such-room')).toBeNull();
  });

  it('lists lagging rooms page by page', async () => {
    const store = new RecognitionStore(pool);
    for (const id of ['rs-lag-1', 'rs-lag-2', 'rs-lag-3']) {
      await rooms.createRoom(id);
      await rooms.commitStroke(id, 'u', stroke('s'));
    }
    const first = await store.laggingRooms('rs-lag-', 2);
    expect(first.map((l) => l.roomId)).toEqual(['rs-lag-1', 'rs-lag-2']);
    expect(first[0]).toEqual({ roomId: 'rs-lag-1', revision: 1, recognizedRevision: 0 });
    expect((await store.laggingRooms('rs-lag-2', 2)).map((l) => l.roomId)).toEqual(['rs-lag-3']);
  });

  it('an unreachable database fails calls and transactions as UNAVAILABLE once the retry deadline passes', async () => {
    const dead = createPool('postgres://postgres@127.0.0.1:1/none', 1, { retry: { deadlineMs: 300, baseDelayMs: 20 } });
    const started = Date.now();
    await expect(dead.query('SELECT 1')).rejects.toBeInstanceOf(UnavailableError);
    await expect(inTransaction(dead, (c) => c.query('SELECT 1'))).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(Date.now() - started).toBeLessThan(3000);
    await dead.end();
  });
});
