import { digitDrawing } from '@inkling/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../../../tests/support/stack.js';
import { createRoomStore, RequestError, type RoomStore } from './room-store.js';

/** The web client's room store against a real gateway, worker, Redis and Postgres. */
describe('room store', () => {
  let stack: Stack;
  const stores: RoomStore[] = [];
  const open = (opts: Partial<Parameters<typeof createRoomStore>[0]> = {}) => {
    const s = createRoomStore({ url: stack.gateway.url, name: 'Ada', ackTimeoutMs: 3000, ...opts });
    stores.push(s);
    return s;
  };
  const until = async (check: () => boolean, what: string, timeoutMs = 8000) => {
    const end = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  beforeAll(async () => {
    stack = await startStack({ workers: 1 });
  });
  afterAll(async () => {
    for (const s of stores) s.close();
    await stack.close();
  });

  it('creates a room, and a second store joining by id sees strokes and the same prediction', async () => {
    const a = open();
    await a.ready();
    expect(a.state.connection).toBe('live');
    const b = open({ roomId: a.state.roomId as string, name: 'Grace' });
    await b.ready();
    await until(() => a.state.board.members.length === 2, 'both members');
    a.commit(digitDrawing(7, undefined, 'st-')[0] as never);
    await until(() => b.state.board.strokes.length === 1, 'the stroke at b');
    await until(() => a.state.board.prediction?.revision === 1 && b.state.board.prediction?.revision === 1, 'predictions');
    expect(b.state.board.prediction?.text).toBe(a.state.board.prediction?.text);
    expect(a.state.board.pending).toHaveLength(0);
  });

  it('strokes drawn while offline are sent after reconnecting, in order, once', async () => {
    const a = open();
    await a.ready();
    const b = open({ roomId: a.state.roomId as string, name: 'Grace' });
    await b.ready();
    a.goOffline();
    expect(a.state.connection).toBe('offline');
    const strokes = digitDrawing(4, undefined, 'off-');
    for (const s of strokes) a.commit(s);
    expect(a.state.board.pending.map((s) => s.id)).toEqual(strokes.map((s) => s.id));
    expect(a.state.pendingCount).toBe(2);
    await new Promise((r) => setTimeout(r, 200));
    expect(b.state.board.strokes).toHaveLength(0);
    a.goOnline();
    await until(() => b.state.board.strokes.length === 2 && a.state.board.pending.length === 0, 'the offline strokes');
    expect(b.state.board.strokes.map((s) => s.id)).toEqual(strokes.map((s) => s.id));
    // A resend of a stroke the server already has (ack lost) is recognised and not duplicated.
    a.commit(strokes[0] as never);
    await until(() => a.state.board.pending.length === 0, 'the duplicate to be dropped');
    expect(a.state.board.strokes).toHaveLength(2);
    expect(a.state.error).toBeNull();
  });

  it('undo, redo and clear change the board for everyone; errors carry the server code', async () => {
    const a = open();
    await a.ready();
    const b = open({ roomId: a.state.roomId as string, name: 'Grace' });
    await b.ready();
    await expect(a.undo()).rejects.toMatchObject({ code: 'NOTHING_TO_UNDO' });
    await expect(a.undo()).rejects.toBeInstanceOf(RequestError);
    a.commit(digitDrawing(1, undefined, 'u-')[0] as never);
    await until(() => b.state.board.strokes.length === 1, 'the stroke');
    await a.undo();
    await until(() => b.state.board.strokes.length === 0, 'the undo');
    await a.redo();
    await until(() => b.state.board.strokes.length === 1, 'the redo');
    const drawingId = b.state.board.drawingId;
    await b.clear();
    await until(() => a.state.board.strokes.length === 0 && a.state.board.drawingId !== drawingId, 'the clear');
  });

  it('rejoins with the same user id, so undo still works after a reconnect', async () => {
    const a = open();
    await a.ready();
    a.commit(digitDrawing(1, undefined, 'r-')[0] as never);
    await until(() => a.state.board.strokes.length === 1, 'the stroke');
    const userId = a.state.userId;
    a.goOffline();
    a.goOnline();
    await a.ready();
    await until(() => a.state.connection === 'live', 'live again');
    expect(a.state.userId).toBe(userId);
    await a.undo();
    await until(() => a.state.board.strokes.length === 0, 'the undo after reconnect');
  });

  it('a stroke the server refuses is reported and stays visible as refused; the next one lands', async () => {
    const a = open();
    await a.ready();
    const [good] = digitDrawing(1, undefined, 'ok-');
    a.commit({ id: 'not a valid id!', points: [[0.5, 0.5, 0]] });
    a.commit(good as never);
    await until(() => a.state.board.strokes.length === 1 && a.state.pendingCount === 0, 'the valid stroke');
    expect(a.state.board.refused).toMatchObject([{ stroke: { id: 'not a valid id!' }, code: 'INVALID_PAYLOAD' }]);
    expect(a.state).toMatchObject({ refusedCount: 1, error: { code: 'INVALID_PAYLOAD' } });
    expect(a.dismissRefused('not a valid id!')).toBe(true);
    expect(a.state.refusedCount).toBe(0);
  });

  it('refuses an invalid name before connecting', () => {
    expect(() => createRoomStore({ url: stack.gateway.url, name: '   ' })).toThrow();
  });
});
