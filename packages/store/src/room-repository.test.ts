import { digitDrawing, InklingError, type Stroke } from '@inkling/protocol';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createPool, createTestDatabase } from './database.js';
import { migrate } from './migrations.js';
import { RoomRepository } from './room-repository.js';

/** Stroke commits against a real Postgres: batches, per-item failures, and the board cache. */
describe('RoomRepository stroke commits', () => {
  let db: { url: string; drop: () => Promise<void> };
  let pool: pg.Pool;
  beforeAll(async () => {
    db = await createTestDatabase(inject('databaseUrl'), 'inkling_store_test');
    pool = createPool(db.url, 4);
    await migrate(pool);
  });
  afterAll(async () => {
    await pool.end();
    await db.drop();
  });

  const stroke = (id: string, digit = 1): Stroke => ({ id, points: (digitDrawing(digit)[0] as Stroke).points });
  const ids = (b: { strokes: { id: string }[] }) => b.strokes.map((s) => s.id);

  it('commits a batch across rooms in order, each item failing on its own', async () => {
    const rooms = new RoomRepository(pool);
    await rooms.createRoom('batch-a');
    await rooms.createRoom('batch-b');
    const results = await rooms.commitStrokes([
      { roomId: 'batch-a', authorId: 'u1', stroke: stroke('a1') },
      { roomId: 'batch-b', authorId: 'u2', stroke: stroke('b1') },
      { roomId: 'batch-a', authorId: 'u2', stroke: stroke('a2') },
      { roomId: 'batch-a', authorId: 'u1', stroke: stroke('a1') },
      { roomId: 'no-such-room', authorId: 'u1', stroke: stroke('x') },
      { roomId: 'batch-b', authorId: 'u2', stroke: stroke('b2') },
    ]);
    const values = results.map((r) => (r.ok ? { revision: r.value.revision, ids: ids(r.value) } : (r.error as InklingError).code));
    expect(values).toEqual([
      { revision: 1, ids: ['a1'] },
      { revision: 1, ids: ['b1'] },
      { revision: 2, ids: ['a1', 'a2'] },
      'DUPLICATE_STROKE',
      'ROOM_NOT_FOUND',
      { revision: 2, ids: ['b1', 'b2'] },
    ]);
    expect(results[3]?.ok === false && results[3].error).toBeInstanceOf(InklingError);
    const stored = await new RoomRepository(pool).loadBoard('batch-a');
    expect(stored && { revision: stored.revision, ids: ids(stored) }).toEqual({ revision: 2, ids: ['a1', 'a2'] });
  });

  it('returns the true board when another gateway changed the room since this one last saw it', async () => {
    const gatewayA = new RoomRepository(pool);
    const gatewayB = new RoomRepository(pool);
    await gatewayA.createRoom('shared');
    expect(ids(await gatewayA.commitStroke('shared', 'u1', stroke('s1')))).toEqual(['s1']);
    // B has never seen the room, then A's cached board (revision 1) goes stale.
    expect(ids(await gatewayB.commitStroke('shared', 'u2', stroke('s2')))).toEqual(['s1', 's2']);
    const undone = await gatewayB.undo('shared', 'u1');
    expect(ids(undone)).toEqual(['s2']);
    const fromA = await gatewayA.commitStroke('shared', 'u1', stroke('s3'));
    expect({ revision: fromA.revision, ids: ids(fromA) }).toEqual({ revision: 4, ids: ['s2', 's3'] });
    const fromB = await gatewayB.commitStroke('shared', 'u2', stroke('s4'));
    expect({ revision: fromB.revision, ids: ids(fromB) }).toEqual({ revision: 5, ids: ['s2', 's3', 's4'] });
    const cleared = await gatewayA.clear('shared');
    const afterClear = await gatewayB.commitStroke('shared', 'u2', stroke('s5'));
    expect({ drawing: afterClear.drawingId, ids: ids(afterClear) }).toEqual({ drawing: cleared.drawingId, ids: ['s5'] });
  });

  it('clear archives a drawn board as a new revision, keeps an empty one, and refuses an unknown room', async () => {
    const rooms = new RoomRepository(pool);
    const created = await rooms.createRoom('clearing');
    const empty = await rooms.clear('clearing');
    expect(empty).toMatchObject({ revision: 1, drawingId: created.drawingId, archivedDrawingId: created.drawingId, strokes: [] });
    await rooms.commitStroke('clearing', 'u1', stroke('k1'));
    const cleared = await rooms.clear('clearing');
    expect(cleared).toMatchObject({ revision: 3, archivedDrawingId: created.drawingId, strokes: [] });
    expect(cleared.drawingId).not.toBe(created.drawingId);
    const { rows } = await pool.query('SELECT final_revision, archived_at IS NOT NULL AS archived FROM drawings WHERE id = $1', [
      created.drawingId,
    ]);
    expect(rows[0]).toEqual({ final_revision: 2, archived: true });
    expect(ids(await rooms.commitStroke('clearing', 'u1', stroke('k2')))).toEqual(['k2']);
    await expect(rooms.clear('no-such-room')).rejects.toMatchObject({ code: 'ROOM_NOT_FOUND' });
  });

  it('gives concurrent commits to one room consecutive revisions, each with the board at its revision', async () => {
    const rooms = new RoomRepository(pool);
    await rooms.createRoom('busy');
    const boards = await Promise.all(
      Array.from({ length: 20 }, (_, i) => rooms.commitStroke('busy', `u${i % 4}`, stroke(`c${i}`, i % 10))),
    );
    const byRevision = [...boards].sort((a, b) => a.revision - b.revision);
    expect(byRevision.map((b) => b.revision)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    byRevision.forEach((b, i) => {
      expect(b.strokes).toHaveLength(i + 1);
      if (i > 0) expect(ids(b).slice(0, i)).toEqual(ids(byRevision[i - 1] as (typeof byRevision)[number]));
    });
    const stored = await rooms.loadBoard('busy');
    expect(stored && ids(stored)).toEqual(ids(byRevision[19] as (typeof byRevision)[number]));
  });
});
