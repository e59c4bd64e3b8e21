/**
 * The client's state machine against a scripted Socket.IO server in this process: each test decides how
 * the server answers (refuse, fail, stay silent, close the connection, refuse the token) and checks what
 * the client does. The real gateway, workers, Postgres and Redis are in tests/client-delivery.int.test.ts.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AckResult, Board, BoardStroke, ClientToServerEvents, ServerToClientEvents, Stroke } from '@inkling/protocol';
import { Server, type Socket } from 'socket.io';
import { afterEach, describe, expect, it } from 'vitest';
import { createInklingClient, type InklingClientOptions } from './inkling-client.js';
import type { NetworkMonitor } from './network-monitor.js';
import { memoryOutboxStore } from './outbox-store.js';
import { memoryTokenStorage } from './token-storage.js';

type ServerSocket = Socket<ClientToServerEvents, ServerToClientEvents>;
type CommitAnswer = AckResult<{ revision: number }> | 'silent';

/** A room server with scripted answers: one room, tokens `tok-<userId>`, strokes scoped to their author. */
async function scriptedServer() {
  const http = createServer();
  const io = new Server<ClientToServerEvents, ServerToClientEvents>(http, { pingInterval: 25_000 });
  const board: Board = { revision: 0, drawingId: 1, strokes: [], members: [], prediction: null };
  const sockets = new Set<ServerSocket>();
  let users = 0;
  const script = {
    /** Answer to the next commits, in order; then the normal behaviour. */
    commitAnswers: [] as CommitAnswer[],
    /** Answer pings and joins? (false: the server looks like a dead network). */
    responsive: true,
    /** Emitted to the joining socket before the join is answered (a change made meanwhile). */
    beforeJoinAck: null as ((socket: ServerSocket) => void) | null,
    commits: [] as { userId: string; stroke: Stroke }[],
    joins: [] as { token: unknown; userId: string }[],
  };
  io.use((socket, next) => {
    const token: unknown = socket.handshake.auth?.token;
    if (token === undefined) return next();
    if (typeof token === 'string' && token.startsWith('tok-')) {
      socket.data = { userId: token.slice(4) };
      return next();
    }
    next(Object.assign(new Error('session token refused'), { data: { code: 'INVALID_TOKEN', message: 'session token refused' } }));
  });
  const commit = (userId: string, stroke: Stroke): AckResult<{ revision: number }> => {
    if (board.strokes.some((s) => s.id === stroke.id && s.authorId === userId)) {
      return { ok: false, error: { code: 'DUPLICATE_STROKE', message: 'already there' } };
    }
    board.revision++;
    const s: BoardStroke = { ...stroke, authorId: userId };
    board.strokes.push(s);
    io.to('room').emit('stroke:committed', { stroke, authorId: userId, revision: board.revision });
    return { ok: true, revision: board.revision };
  };
  io.on('connection', (socket: ServerSocket) => {
    sockets.add(socket);
    socket.on('disconnect', () => sockets.delete(socket));
    socket.on('connection:ping', (_p, ack) => {
      if (script.responsive) ack({ ok: true });
    });
    socket.on('room:join', (_p, ack) => {
      if (!script.responsive) return;
      socket.data.userId ??= `user${++users}`;
      const userId: string = socket.data.userId;
      script.joins.push({ token: socket.handshake.auth?.token, userId });
      void socket.join('room');
      script.beforeJoinAck?.(socket);
      ack({ ok: true, roomId: 'room12345', userId, token: `tok-${userId}`, board: structuredClone(board) } as never);
    });
    socket.on('stroke:commit', ({ stroke }, ack) => {
      const userId: string = socket.data.userId;
      const answer = script.commitAnswers.shift() ?? commit(userId, stroke);
      script.commits.push({ userId, stroke });
      if (answer === 'silent') {
        commit(userId, stroke); // landed, but the ack is lost
        return;
      }
      if (answer.ok && !board.strokes.some((s) => s.id === stroke.id && s.authorId === userId)) {
        ack(commit(userId, stroke));
        return;
      }
      ack(answer);
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  return {
    url,
    io,
    board,
    script,
    commit,
    /** Closes every connection as a gateway shutting down does ("io server disconnect"). */
    disconnectAll: () => io.disconnectSockets(true),
    close: () => new Promise<void>((resolve) => io.close(() => resolve())),
    get connections() {
      return sockets.size;
    },
  };
}

/** A network the test switches off and on, as the browser's online/offline events would. */
function fakeNetwork(): NetworkMonitor & { set(online: boolean): void } {
  let online = true;
  const listeners = new Set<(online: boolean) => void>();
  return {
    isOnline: () => online,
    subscribe: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    set(value) {
      online = value;
      for (const l of listeners) l(value);
    },
  };
}

const stroke = (id: string): Stroke => ({ id, points: [[0.5, 0.5, 0]] });

async function until(check: () => boolean, what: string, timeoutMs = 8000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('InklingClient against a scripted server', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });
  const setup = async () => {
    const server = await scriptedServer();
    cleanup.push(server.close);
    const open = (opts: Partial<InklingClientOptions> = {}) => {
      const c = createInklingClient({
        url: server.url,
        name: 'Ada',
        roomId: 'room12345',
        tokens: memoryTokenStorage(),
        outbox: memoryOutboxStore(),
        network: null,
        ackTimeoutMs: 500,
        backoff: { baseMs: 50, maxMs: 400 },
        ...opts,
      });
      cleanup.push(() => c.close());
      return c;
    };
    return { server, open };
  };

  it('a refused stroke is reported and kept as refused, never dropped; the strokes after it still go', async () => {
    const { server, open } = await setup();
    const c = open();
    await c.ready();
    const refusals: string[] = [];
    c.on('stroke:refused', (r) => refusals.push(`${r.stroke.id}:${r.code}`));
    server.script.commitAnswers.push({ ok: false, error: { code: 'BOARD_FULL', message: 'the board is full' } });
    c.commit(stroke('a'));
    c.commit(stroke('b'));
    await c.drained(5000);
    expect(refusals).toEqual(['a:BOARD_FULL']);
    expect(c.state.board.refused).toEqual([{ stroke: stroke('a'), code: 'BOARD_FULL', message: 'the board is full' }]);
    expect(c.state).toMatchObject({ refusedCount: 1, pendingCount: 0, error: { code: 'BOARD_FULL' } });
    expect(c.state.board.strokes.map((s) => s.id)).toEqual(['b']);
    expect(c.inkDropped()).toBe(0);
    // Once there is room again the person can send it after all.
    expect(c.retryRefused('a')).toBe(true);
    await c.drained(5000);
    expect(c.state.board.strokes.map((s) => s.id)).toEqual(['b', 'a']);
    expect(c.state.refusedCount).toBe(0);
    expect(c.stats).toMatchObject({ strokesQueued: 2, strokesDelivered: 2, strokesRefused: 1 });
  });

  it('retries UNAVAILABLE, RATE_LIMITED and INTERNAL with backoff until delivered, once', async () => {
    const { server, open } = await setup();
    const c = open();
    await c.ready();
    const fault = (code: string) => ({ ok: false, error: { code, message: 'try again' } }) as CommitAnswer;
    server.script.commitAnswers.push(fault('UNAVAILABLE'), fault('RATE_LIMITED'), fault('INTERNAL'));
    const retries: string[] = [];
    c.on('stroke:retrying', (r) => retries.push(`${r.reason}#${r.attempt}`));
    c.commit(stroke('a'));
    await c.drained(5000);
    expect(retries).toEqual(['UNAVAILABLE#1', 'RATE_LIMITED#2', 'INTERNAL#3']);
    expect(server.board.strokes.map((s) => s.id)).toEqual(['a']);
    expect(c.stats.errorsByCode).toMatchObject({ UNAVAILABLE: 1, RATE_LIMITED: 1, INTERNAL: 1 });
    expect(c.state.error).toBeNull(); // transient faults are not the person's problem
  });

  it('an unanswered commit is resent on the live connection; the server has it once', async () => {
    const { server, open } = await setup();
    const c = open({ ackTimeoutMs: 300 });
    await c.ready();
    server.script.commitAnswers.push('silent');
    // The broadcast of the silent commit would settle it; drop it to act as if the whole answer was lost.
    const emit = server.io.to.bind(server.io);
    let dropped = 0;
    server.io.to = ((room: string) => {
      if (dropped++ === 0) return { emit: () => true } as never;
      return emit(room);
    }) as typeof server.io.to;
    c.commit(stroke('a'));
    await c.drained(5000);
    expect(server.script.commits.map((x) => x.stroke.id)).toEqual(['a', 'a']);
    expect(server.board.strokes).toHaveLength(1);
    expect(c.state.board.strokes.map((s) => s.id)).toEqual(['a']);
    expect(c.stats).toMatchObject({ strokesDelivered: 1, strokesAlreadyDelivered: 1, strokeRetries: 1, errorsByCode: { TIMEOUT: 1 } });
  });

  it('keeps its identity across reconnections; a refused token means a new identity and the ink still lands', async () => {
    const { server, open } = await setup();
    const tokens = memoryTokenStorage();
    const c = open({ tokens });
    await c.ready();
    const first = c.state.userId;
    expect(tokens.get()).toBe(`tok-${first}`);
    server.disconnectAll();
    await until(() => server.script.joins.length === 2 && c.state.connection === 'live', 'the rejoin');
    expect(server.script.joins[1]).toEqual({ token: `tok-${first}`, userId: first });
    expect(c.state.userId).toBe(first);

    await c.close();
    tokens.set('forged-token');
    const identities: string[] = [];
    const d = open({ tokens });
    d.on('identity', (e) => identities.push(e.userId));
    d.commit(stroke('after-forgery'));
    await d.ready();
    await d.drained(5000);
    expect(d.state.userId).not.toBe(first);
    expect(tokens.get()).toBe(`tok-${d.state.userId}`);
    expect(d.stats.tokensRefused).toBe(1);
    expect(server.board.strokes.find((s) => s.id === 'after-forgery')?.authorId).toBe(d.state.userId);
  });

  it('reconnects by itself after "io server disconnect" (a gateway shutting down) and sends what was drawn meanwhile', async () => {
    const { server, open } = await setup();
    const c = open();
    await c.ready();
    const states: string[] = [];
    c.on('state', (s) => states.push(s.connection));
    server.disconnectAll();
    c.commit(stroke('meanwhile'));
    await until(() => c.state.connection === 'live' && c.state.pendingCount === 0, 'the reconnection');
    expect(states).toContain('reconnecting');
    expect(c.stats.disconnectsByReason).toEqual({ 'io server disconnect': 1 });
    expect(server.board.strokes.map((s) => s.id)).toEqual(['meanwhile']);
  });

  it('reports a silent connection within the liveness bound, then opens a fresh one', async () => {
    const { server, open } = await setup();
    const c = open({ liveness: { probeAfterMs: 200, suspectAfterMs: 600, closeAfterMs: 1500, tickMs: 50 } });
    await c.ready();
    server.script.responsive = false;
    const cutAt = Date.now();
    await c.next('state', (s) => s.connection !== 'live');
    const reportedMs = Date.now() - cutAt;
    expect(c.state.connection).toBe('reconnecting');
    expect(reportedMs).toBeLessThan(2000);
    await until(() => c.stats.restarts === 1, 'the connection to be replaced');
    server.script.responsive = true;
    await until(() => c.state.connection === 'live', 'live again');
    expect(c.stats.livenessLosses).toBeGreaterThanOrEqual(1);
  });

  it('while the platform is offline it queues strokes, reports offline at once, and sends them when back online', async () => {
    const { server, open } = await setup();
    const network = fakeNetwork();
    const c = open({ network });
    await c.ready();
    network.set(false);
    expect(c.state.connection).toBe('offline');
    c.commit(stroke('o1'));
    c.commit(stroke('o2'));
    expect(c.state.pendingCount).toBe(2);
    await new Promise((r) => setTimeout(r, 100));
    expect(server.connections).toBe(0);
    network.set(true);
    await c.drained(5000);
    expect(server.board.strokes.map((s) => s.id)).toEqual(['o1', 'o2']);
    expect(c.state.connection).toBe('live');
  });

  it('pending strokes survive a restart through the outbox store and land once', async () => {
    const { server, open } = await setup();
    const outbox = memoryOutboxStore();
    const tokens = memoryTokenStorage();
    const a = open({ outbox, tokens });
    await a.ready();
    a.goOffline();
    a.commit(stroke('kept-1'));
    a.commit(stroke('kept-2'));
    await a.close();
    // Like a reload whose previous page had already delivered one of them, its ack lost.
    server.commit(a.state.userId as string, stroke('kept-1'));
    const b = open({ outbox, tokens });
    await b.ready();
    await b.drained(5000);
    expect(server.board.strokes.map((s) => s.id)).toEqual(['kept-1', 'kept-2']);
    expect(b.stats).toMatchObject({ strokesRestored: 2, strokesDelivered: 2, strokesAlreadyDelivered: 1 });
    expect(await outbox.load('room12345')).toEqual([]);
  });

  it('a change made while the join was being answered is applied after the join’s board, once', async () => {
    const { server, open } = await setup();
    server.commit('someone', stroke('before'));
    server.script.beforeJoinAck = (socket) => {
      // One change the join's board already holds, and one that came after it was read.
      socket.emit('stroke:committed', { stroke: stroke('before'), authorId: 'someone', revision: 1 });
      server.board.revision++;
      socket.emit('stroke:committed', { stroke: stroke('after'), authorId: 'someone', revision: 99 });
    };
    const c = open();
    await c.ready();
    server.script.beforeJoinAck = null;
    expect(c.state.board.strokes.map((s) => s.id)).toEqual(['before', 'after']);
    expect(c.state.board.revision).toBe(99);
  });
});
