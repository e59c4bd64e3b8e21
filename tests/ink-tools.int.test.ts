/**
 * The ink tools against a real gateway, worker, Postgres and Redis: the eraser (own strokes only, one step
 * of the undo history, recognized again), Load replacing or adding to the board, deleting a history item
 * (its labels go with it) and pointer presence (relayed, never stored, rate-limited). Bad input changes
 * nothing.
 */

import { createInklingClient, POINTER_INTERVAL_MS } from '@inkling/client';
import { type DrawingDetail, digitDrawing, type HistoryPage, type Stroke } from '@inkling/protocol';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Client, call, commitStroke, type Joined, joinRoom, nextEvent, type Stack, startStack } from './support/stack.js';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ workers: 1 });
});
afterAll(async () => {
  await stack?.close();
});

const joined = async (name: string, roomId?: string): Promise<Joined> => joinRoom(await stack.client(), name, roomId);
const commit = commitStroke;

/** The stroke ids on the room's board, as a newcomer would see them. */
async function boardIds(roomId: string): Promise<string[]> {
  const ack = await call(await stack.client(), 'room:join', { roomId, name: 'Observer' });
  if (!ack.ok) throw new Error(`join failed: ${ack.error.code}`);
  return ack.board.strokes.map((s) => s.id);
}

const predictionAt = (client: Client, revision: number) => nextEvent(client, 'prediction', (p) => p.revision >= revision, 20_000);

const one = (id: string, x = 0.3): Stroke => ({
  id,
  points: [
    [x, 0.2, 0],
    [x, 0.8, 40],
  ],
});

describe('the eraser', () => {
  it('erases your own strokes for everyone, in one revision that is recognized; undo brings them back, redo erases again', async () => {
    const a = await joined('Ada');
    const b = await joined('Bob', a.roomId);
    const four = digitDrawing(4, undefined, 'a');
    let revision = 0;
    for (const s of four) revision = await commit(a.client, s);
    const bobs = one('b1', 0.8);
    revision = await commit(b.client, bobs);
    await predictionAt(b.client, revision);

    const removed: string[] = [];
    b.client.on('stroke:removed', (e) => removed.push(`${e.authorId === a.userId ? 'ada' : 'other'}:${e.strokeId}@${e.revision}`));
    const recognized = predictionAt(b.client, revision + 1);
    const ack = await call(a.client, 'board:erase', { strokes: four.map((s) => ({ id: s.id, authorId: a.userId })) });
    expect(ack).toEqual({ ok: true, revision: revision + 1 });
    // The board after the erase is recognized like any change: only Bob's stroke is left.
    expect((await recognized).revision).toBe(revision + 1);
    expect(removed.sort()).toEqual(four.map((s) => `ada:${s.id}@${revision + 1}`).sort());
    expect(await boardIds(a.roomId)).toEqual([bobs.id]);

    // Undo: the erased strokes come back, announced as committed, and are recognized again.
    const back: string[] = [];
    b.client.on('stroke:committed', (e) => back.push(e.stroke.id));
    const again = predictionAt(b.client, revision + 2);
    expect(await call(a.client, 'board:undo', {})).toEqual({ ok: true, revision: revision + 2 });
    expect((await again).revision).toBe(revision + 2);
    expect(back.sort()).toEqual(four.map((s) => s.id).sort());
    expect((await boardIds(a.roomId)).sort()).toEqual([...four.map((s) => s.id), bobs.id].sort());

    // Redo erases them again; a second redo has nothing left.
    expect(await call(a.client, 'board:redo', {})).toEqual({ ok: true, revision: revision + 3 });
    expect(await boardIds(a.roomId)).toEqual([bobs.id]);
    expect(await call(a.client, 'board:redo', {})).toMatchObject({ ok: false, error: { code: 'NOTHING_TO_REDO' } });

    // Undo the erase again, then once more: the step before the erase (Ada's last stroke) is undone.
    await call(a.client, 'board:undo', {});
    expect(await call(a.client, 'board:undo', {})).toMatchObject({ ok: true });
    expect((await boardIds(a.roomId)).sort()).toEqual([four[0]?.id, bobs.id].sort());
  });

  it("refuses someone else's stroke (NOT_YOUR_STROKE), a stroke not on the board (STROKE_NOT_FOUND) and bad payloads, changing nothing", async () => {
    const a = await joined('Ada');
    const b = await joined('Bob', a.roomId);
    const mine = one('a1');
    const bobs = one('b1', 0.7);
    await commit(a.client, mine);
    const revision = await commit(b.client, bobs);

    expect(await call(a.client, 'board:erase', { strokes: [{ id: bobs.id, authorId: b.userId }] })).toMatchObject({
      ok: false,
      error: { code: 'NOT_YOUR_STROKE' },
    });
    // A mix of one's own and someone else's is refused as a whole.
    expect(
      await call(a.client, 'board:erase', {
        strokes: [
          { id: mine.id, authorId: a.userId },
          { id: bobs.id, authorId: b.userId },
        ],
      }),
    ).toMatchObject({ ok: false, error: { code: 'NOT_YOUR_STROKE' } });
    // Bob's id claimed as one's own names no stroke of one's own.
    expect(await call(a.client, 'board:erase', { strokes: [{ id: bobs.id, authorId: a.userId }] })).toMatchObject({
      ok: false,
      error: { code: 'STROKE_NOT_FOUND' },
    });
    for (const bad of [
      {},
      { strokes: [] },
      { strokes: [{ id: mine.id }] },
      { strokes: [{ id: 'x y', authorId: a.userId }] },
      { strokes: [{ id: mine.id, authorId: a.userId }], userId: b.userId },
      { strokes: Array.from({ length: 501 }, (_, i) => ({ id: `s${i}`, authorId: a.userId })) },
    ]) {
      // biome-ignore lint/suspicious/noExplicitAny: deliberately malformed payloads
      expect(await call(a.client, 'board:erase', bad as any)).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
    }
    expect((await boardIds(a.roomId)).sort()).toEqual([mine.id, bobs.id].sort());
    // Nothing above took a revision.
    expect(await call(a.client, 'board:erase', { strokes: [{ id: mine.id, authorId: a.userId }] })).toEqual({
      ok: true,
      revision: revision + 1,
    });
    // Erased already: not on the board any more.
    expect(await call(a.client, 'board:erase', { strokes: [{ id: mine.id, authorId: a.userId }] })).toMatchObject({
      ok: false,
      error: { code: 'STROKE_NOT_FOUND' },
    });
    const outsider = await stack.client();
    expect(await call(outsider, 'board:erase', { strokes: [{ id: mine.id, authorId: a.userId }] })).toMatchObject({
      ok: false,
      error: { code: 'NOT_IN_ROOM' },
    });
  });

  it('a new stroke after undoing an erase makes it unredoable, as with strokes', async () => {
    const a = await joined('Ada');
    await commit(a.client, one('a1'));
    await call(a.client, 'board:erase', { strokes: [{ id: 'a1', authorId: a.userId }] });
    await call(a.client, 'board:undo', {});
    await commit(a.client, one('a2', 0.6));
    expect(await call(a.client, 'board:redo', {})).toMatchObject({ ok: false, error: { code: 'NOTHING_TO_REDO' } });
    expect((await boardIds(a.roomId)).sort()).toEqual(['a1', 'a2']);
  });
});

describe('Load: replace or add', () => {
  it('adds to the board by default; replace archives the board into the history first, for everyone', async () => {
    const a = await joined('Ada');
    const b = await joined('Bob', a.roomId);
    await commit(b.client, one('b1', 0.7));
    const saved = digitDrawing(3, undefined, 'f');
    const add = await call(a.client, 'board:load', { strokes: saved });
    expect(add.ok).toBe(true);
    expect(await boardIds(a.roomId)).toHaveLength(1 + saved.length);

    const cleared = nextEvent(b.client, 'board:cleared');
    const recognized = nextEvent(a.client, 'prediction', (p) => p.text !== '' && p.revision > (add.ok ? add.revision : 0) + 1, 20_000);
    const replace = await call(a.client, 'board:load', { strokes: saved, replace: true });
    expect(replace.ok).toBe(true);
    const { archivedDrawingId } = await cleared;
    const ids = await boardIds(a.roomId);
    expect(ids).toHaveLength(saved.length);
    expect(ids.every((id) => id.startsWith('srv-'))).toBe(true);
    if (!replace.ok) return;
    expect((await recognized).revision).toBe(replace.revision);
    const history = (await (await fetch(`${stack.gateway.url}/api/rooms/${a.roomId}/history`)).json()) as HistoryPage;
    expect(history.items.map((i) => [i.drawingId, i.strokeCount])).toEqual([[archivedDrawingId, 1 + saved.length]]);

    // Too big for an empty board: refused before anything is archived.
    const huge = Array.from({ length: 21 }, (_, i) => ({
      id: `h${i}`,
      points: Array.from({ length: 2000 }, (_, t) => [0.5, 0.5, t] as [number, number, number]),
    }));
    expect(await call(a.client, 'board:load', { strokes: huge, replace: true })).toMatchObject({
      ok: false,
      error: { code: 'BOARD_FULL' },
    });
    expect(await boardIds(a.roomId)).toEqual(ids);
    // biome-ignore lint/suspicious/noExplicitAny: deliberately malformed payload
    expect(await call(a.client, 'board:load', { strokes: saved, replace: 'yes' } as any)).toMatchObject({
      ok: false,
      error: { code: 'INVALID_PAYLOAD' },
    });
  });
});

describe('deleting from the history', () => {
  it("deletes an archived drawing of the room with its predictions and labels; never the board's drawing or another room's", async () => {
    const a = await joined('Ada');
    let revision = 0;
    for (const s of digitDrawing(5)) revision = await commit(a.client, s);
    await predictionAt(a.client, revision);
    expect(await call(a.client, 'board:label', { revision, text: '5' })).toEqual({ ok: true });
    const cleared = nextEvent(a.client, 'board:cleared');
    await call(a.client, 'board:clear', {});
    const { archivedDrawingId, drawingId } = await cleared;
    const other = await joined('Eve');

    const url = (room: string, id: number) => `${stack.gateway.url}/api/rooms/${room}/drawings/${id}`;
    const history = (await (await fetch(`${stack.gateway.url}/api/rooms/${a.roomId}/history`)).json()) as HistoryPage;
    expect(history.items[0]?.prediction).toMatchObject({ text: '5', notDigit: false });

    // Another room's link, the drawing on the board, a malformed id: 404/400, nothing deleted.
    expect((await fetch(url(other.roomId, archivedDrawingId), { method: 'DELETE' })).status).toBe(404);
    expect((await fetch(url(a.roomId, drawingId), { method: 'DELETE' })).status).toBe(404);
    expect((await fetch(url(a.roomId, 0), { method: 'DELETE' })).status).toBe(400);
    expect((await fetch(url(a.roomId, archivedDrawingId))).status).toBe(200);

    const pool = new pg.Pool({ connectionString: stack.databaseUrl, max: 1 });
    try {
      const labels = async () =>
        Number((await pool.query('SELECT count(*) AS n FROM labels WHERE drawing_id = $1', [archivedDrawingId])).rows[0].n);
      expect(await labels()).toBe(1);
      const res = await fetch(url(a.roomId, archivedDrawingId), { method: 'DELETE' });
      expect(res.status).toBe(204);
      expect(await labels()).toBe(0);
      const left = await pool.query(
        'SELECT (SELECT count(*) FROM strokes WHERE drawing_id = $1) + (SELECT count(*) FROM predictions WHERE drawing_id = $1) AS n',
        [archivedDrawingId],
      );
      expect(Number(left.rows[0].n)).toBe(0);
    } finally {
      await pool.end();
    }
    expect((await fetch(url(a.roomId, archivedDrawingId))).status).toBe(404);
    expect((await fetch(url(a.roomId, archivedDrawingId), { method: 'DELETE' })).status).toBe(404);
    const after = (await (await fetch(`${stack.gateway.url}/api/rooms/${a.roomId}/history`)).json()) as HistoryPage;
    expect(after.items).toEqual([]);
    // The board's drawing is untouched.
    const board = (await (await fetch(url(a.roomId, drawingId))).json()) as DrawingDetail;
    expect(board.drawingId).toBe(drawingId);
  });
});

describe('pointer presence', () => {
  it('relays a pointer with the sender to the others only, never stored; refuses bad positions and floods', async () => {
    const a = await joined('Ada');
    const b = await joined('Bob', a.roomId);
    const selfEcho: unknown[] = [];
    a.client.on('presence:pointer', (e) => selfEcho.push(e));
    const seen = nextEvent(b.client, 'presence:pointer');
    expect(await call(a.client, 'presence:pointer', { position: [0.25, 0.75] })).toEqual({ ok: true });
    expect(await seen).toEqual({ userId: a.userId, position: [0.25, 0.75] });
    const gone = nextEvent(b.client, 'presence:pointer', (e) => e.position === null);
    expect(await call(a.client, 'presence:pointer', { position: null })).toEqual({ ok: true });
    expect(await gone).toEqual({ userId: a.userId, position: null });

    for (const bad of [{}, { position: [1.5, 0] }, { position: [0.5] }, { position: [0.1, 0.2], name: 'Eve' }, { x: 0.1, y: 0.2 }]) {
      // biome-ignore lint/suspicious/noExplicitAny: deliberately malformed payloads
      expect(await call(a.client, 'presence:pointer', bad as any)).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
    }
    const outsider = await stack.client();
    expect(await call(outsider, 'presence:pointer', { position: [0.5, 0.5] })).toMatchObject({ ok: false, error: { code: 'NOT_IN_ROOM' } });

    // A flood: past the burst, refused and not relayed.
    const acks = await Promise.all(Array.from({ length: 100 }, (_, i) => call(a.client, 'presence:pointer', { position: [i / 100, 0.5] })));
    const refused = acks.filter((r) => !r.ok && r.error.code === 'RATE_LIMITED').length;
    expect(refused).toBeGreaterThanOrEqual(30);
    expect(selfEcho).toEqual([]);
    // Nothing about pointers reached the room's board.
    const join = await call(await stack.client(), 'room:join', { roomId: a.roomId, name: 'Cy' });
    expect(join.ok && join.board.strokes).toEqual([]);
  });
});

describe('@inkling/client', () => {
  it('erases, loads in place of the board and sends its pointer at most ~15 times a second; the other client sees each', async () => {
    const a = createInklingClient({ url: stack.gateway.url, name: 'Ada' });
    await a.ready();
    const b = createInklingClient({ url: stack.gateway.url, name: 'Bob', roomId: a.state.roomId ?? undefined });
    try {
      await b.ready();
      const userId = a.state.userId ?? '';
      a.commit(one('c1'));
      await a.drained(5000);
      await waitFor(() => b.state.board.strokes.length === 1);
      await a.erase([{ id: 'c1', authorId: userId }]);
      await waitFor(() => b.state.board.strokes.length === 0);
      await expect(a.erase([{ id: 'c1', authorId: userId }])).rejects.toMatchObject({ code: 'STROKE_NOT_FOUND' });

      // A pointer moving for ~300 ms: the last position arrives, in far fewer messages than moves.
      let heard = 0;
      b.on('presence:pointer', () => heard++);
      const started = Date.now();
      for (let i = 0; i <= 60; i++) {
        a.sendPointer([i / 60, 0.5]);
        await new Promise((r) => setTimeout(r, 5));
      }
      await waitFor(() => b.state.board.pointers.get(userId)?.position[0] === 1);
      const elapsedMs = Date.now() - started;
      expect(heard).toBeLessThanOrEqual(Math.ceil(elapsedMs / POINTER_INTERVAL_MS) + 2);
      expect(heard).toBeGreaterThanOrEqual(2);
      a.sendPointer(null);
      await waitFor(() => b.state.board.pointers.size === 0);

      a.commit(one('c2'));
      await a.drained(5000);
      const saved = digitDrawing(3, undefined, 'f');
      await a.load(saved, { replace: true });
      await waitFor(() => b.state.board.strokes.length === saved.length && b.state.board.strokes.every((s) => s.id.startsWith('srv-')));
    } finally {
      await a.close();
      await b.close();
    }
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms: ${condition}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
