/**
 * Delivery guarantees under faults, against private Postgres and Redis servers this file restarts: every
 * acknowledged change keeps its place in Postgres, and the latest revision of every board gets a stored
 * prediction — when the gateway dies between the commit and the enqueue, when Redis loses its queued jobs,
 * when Redis is down (commits are still acknowledged), when Postgres restarts under load (acks are ok
 * or UNAVAILABLE, never INTERNAL), and when Postgres is frozen past the gateway's retry deadline (UNAVAILABLE,
 * and the resent stroke lands once).
 */

import { type Gateway, startGateway } from '@inkling/gateway';
import { digitDrawing, type ErrorCode, type Stroke } from '@inkling/protocol';
import { type RecognitionWorker, startRecognitionWorker } from '@inkling/worker';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';
import pino from 'pino';
import { io as connect } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FaultStack, startFaultStack } from '../scripts/fault-stack.js';
import { type Client, call } from './support/stack.js';

const silent = pino({ level: 'silent' });
let stack: FaultStack;
let gateway: Gateway | null = null;
let worker: RecognitionWorker | null = null;
const clients: Client[] = [];

const gatewayEnv = () => ({
  ...(stack.env as { DATABASE_URL: string; REDIS_URL: string }),
  PORT: 0,
  HOST: '127.0.0.1',
  LOG_LEVEL: 'silent' as const,
  RATE_LIMIT_PER_SEC: 1000,
  GATEWAY_PEER_CHECK_MS: 200,
  RECONCILE_INTERVAL_MS: 1000,
});
const startWorker = () =>
  startRecognitionWorker(
    {
      ...(stack.env as { DATABASE_URL: string; REDIS_URL: string }),
      LOG_LEVEL: 'silent',
      WORKER_LOCK_MS: 2000,
      WORKER_STALLED_INTERVAL_MS: 1000,
    },
    silent,
  );

beforeAll(async () => {
  stack = await startFaultStack();
  worker = await startWorker();
});
afterAll(async () => {
  for (const c of clients) c.disconnect();
  await worker?.close();
  await gateway?.close();
  await stack?.close();
});

async function client(url: string): Promise<Client> {
  const c: Client = connect(url, { transports: ['websocket'], reconnection: false, forceNew: true });
  clients.push(c);
  await new Promise<void>((resolve, reject) => {
    c.once('connect', () => resolve());
    c.once('connect_error', reject);
  });
  return c;
}

async function joinNewRoom(url: string): Promise<{ client: Client; roomId: string }> {
  const c = await client(url);
  const ack = await call(c, 'room:join', { name: 'Ada' });
  if (!ack.ok) throw new Error(`join failed: ${ack.error.code}`);
  return { client: c, roomId: ack.roomId };
}

/** The gateway of the tests after the first (started by the first, or here). */
async function inProcessGateway(): Promise<Gateway> {
  gateway ??= await startGateway(gatewayEnv(), silent);
  return gateway;
}

const stroke = (id: string, digit = 1): Stroke => ({ ...(digitDrawing(digit)[0] as Stroke), id });

/** The room's revision, recognized revision and newest stored prediction's revision (current drawing). */
async function recognition(roomId: string): Promise<{ revision: number; recognized: number; stored: number | null }> {
  const db = new pg.Client({ connectionString: stack.databaseUrl });
  await db.connect();
  try {
    const { rows } = await db.query<{ revision: number; recognized_revision: number; stored: number | null }>(
      `SELECT r.revision, r.recognized_revision,
              (SELECT max(p.revision) FROM predictions p WHERE p.drawing_id = r.current_drawing_id) AS stored
         FROM rooms r WHERE r.id = $1`,
      [roomId],
    );
    const row = rows[0];
    if (!row) throw new Error(`no room ${roomId}`);
    return { revision: row.revision, recognized: row.recognized_revision, stored: row.stored };
  } finally {
    await db.end();
  }
}

/** Polls until every room's latest revision has a stored prediction; resolves with the time it took. */
async function allRecognized(roomIds: readonly string[], timeoutMs = 20_000): Promise<number> {
  const started = Date.now();
  for (;;) {
    const states = await Promise.all(roomIds.map((id) => recognition(id).catch(() => null)));
    if (states.every((s) => s !== null && s.revision > 0 && s.stored === s.revision && s.recognized === s.revision))
      return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`not recognized within ${timeoutMs} ms: ${JSON.stringify(states)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('nothing lost, nothing stuck', () => {
  it('a gateway killed between the commit and the enqueue: the restarted gateway gets the revision recognized', async () => {
    // The hook holds the request back long enough to kill the gateway with the stroke stored and no job queued.
    const doomed = await stack.spawnGateway({ FAULT_ENQUEUE_DELAY_MS: '60000' });
    const { client: c, roomId } = await joinNewRoom(doomed.url);
    expect(await call(c, 'stroke:commit', { stroke: stroke('k1', 7) })).toEqual({ ok: true, revision: 1 });
    await doomed.kill('SIGKILL');
    expect(await recognition(roomId)).toEqual({ revision: 1, recognized: 0, stored: null });

    const restarted = await inProcessGateway();
    const tookMs = await allRecognized([roomId]);
    expect(tookMs).toBeLessThan(5000);
    // A rejoin shows the stored prediction.
    const again = await call(await client(restarted.url), 'room:join', { roomId, name: 'Bob' });
    expect(again.ok && again.board.prediction).toMatchObject({ revision: 1, text: '7' });
  });

  it('Redis restarted without its data while jobs wait: the queue is rebuilt from Postgres', async () => {
    const { url } = await inProcessGateway();
    if (!worker) throw new Error('set-up');
    await worker.worker.pause(true);
    const rooms = await Promise.all([0, 1, 2].map(() => joinNewRoom(url)));
    for (const [i, r] of rooms.entries()) expect((await call(r.client, 'stroke:commit', { stroke: stroke(`r${i}`, i) })).ok).toBe(true);
    const connection = new Redis(stack.redisUrl, { maxRetriesPerRequest: null });
    const queue = new Queue('recognition', { connection, prefix: stack.prefix });
    const deadline = Date.now() + 5000;
    while ((await queue.getWaitingCount()) === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(await queue.getWaitingCount()).toBeGreaterThan(0);
    await queue.close();
    await connection.quit();

    await stack.redis.restart();
    worker.worker.resume();
    const tookMs = await allRecognized(rooms.map((r) => r.roomId));
    expect(tookMs).toBeLessThan(5000);
  });

  it('while Redis is down, commits are still acknowledged; predictions follow when it is back', async () => {
    const { client: c, roomId } = await joinNewRoom((await inProcessGateway()).url);
    await stack.redis.shutdown();
    const predicted = new Promise<number>((resolve) => c.on('prediction', (p) => p.revision === 3 && resolve(p.revision)));
    for (const [i, digit] of [1, 2, 3].entries()) {
      const sent = Date.now();
      expect(await call(c, 'stroke:commit', { stroke: stroke(`d${i}`, digit) })).toEqual({ ok: true, revision: i + 1 });
      expect(Date.now() - sent).toBeLessThan(1000);
    }
    expect((await recognition(roomId)).recognized).toBe(0);
    await stack.redis.start();
    const tookMs = await allRecognized([roomId]);
    expect(tookMs).toBeLessThan(5000);
    expect(await predicted).toBe(3);
  });

  it('Postgres restarted under commits: every ack is ok or UNAVAILABLE (never INTERNAL), nothing acknowledged is lost', async () => {
    const { url } = await inProcessGateway();
    const rooms = await Promise.all([0, 1, 2].map(() => joinNewRoom(url)));
    const acked = new Map<string, string[]>();
    const codes: (ErrorCode | 'ok')[] = [];
    let running = true;
    const writers = rooms.map(async (r, w) => {
      acked.set(r.roomId, []);
      for (let i = 0; running; i++) {
        const id = `w${w}-${i}`;
        const ack = await call(r.client, 'stroke:commit', { stroke: stroke(id, i % 10) });
        codes.push(ack.ok ? 'ok' : ack.error.code);
        if (ack.ok) acked.get(r.roomId)?.push(id);
        await new Promise((resolve) => setTimeout(resolve, 40));
      }
    });
    await new Promise((resolve) => setTimeout(resolve, 800));
    await stack.postgres.restart();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    running = false;
    await Promise.all(writers);

    expect(codes.filter((c) => c !== 'ok' && c !== 'UNAVAILABLE')).toEqual([]);
    expect(codes.filter((c) => c === 'ok').length).toBeGreaterThan(20);
    const db = new pg.Client({ connectionString: stack.databaseUrl });
    await db.connect();
    for (const [roomId, ids] of acked) {
      const { rows } = await db.query<{ stroke_id: string }>(
        'SELECT s.stroke_id FROM strokes s JOIN rooms r ON s.drawing_id = r.current_drawing_id WHERE r.id = $1',
        [roomId],
      );
      expect(ids.every((id) => rows.some((row) => row.stroke_id === id))).toBe(true);
    }
    await db.end();
    await allRecognized(rooms.map((r) => r.roomId));
  });

  it('Postgres paused past the retry deadline: the ack is UNAVAILABLE (never INTERNAL), and the resent stroke lands exactly once', async () => {
    // A gateway that gives up on Postgres after 400 ms, with nothing periodic of its own touching it.
    const impatient = await startGateway(
      { ...gatewayEnv(), PG_RETRY_DEADLINE_MS: 400, RECONCILE_INTERVAL_MS: 3_600_000, METRICS_PORT: 0 },
      silent,
    );
    try {
      const { client: c, roomId } = await joinNewRoom(impatient.url);
      expect(await call(c, 'stroke:commit', { stroke: stroke('u0') })).toEqual({ ok: true, revision: 1 });
      // The restart drops every pooled connection, so during the pause the commit needs a new one, whose
      // handshake goes unanswered (an idle pooled connection would just wait for the server to resume).
      await stack.postgres.restart();
      let resumed = false;
      const pause = stack.postgres.pause(6000).then(() => {
        resumed = true;
      });
      // The client's outbox, by hand: the same stroke again after every retryable answer, until it is acknowledged.
      const codes: (ErrorCode | 'ok')[] = [];
      let revision: number | null = null;
      for (let attempt = 0; revision === null && attempt < 30; attempt++) {
        const ack = await call(c, 'stroke:commit', { stroke: stroke('u1', 4) });
        codes.push(ack.ok ? 'ok' : ack.error.code);
        if (ack.ok) revision = ack.revision;
        else if (ack.error.code !== 'UNAVAILABLE') break;
        else await new Promise((resolve) => setTimeout(resolve, 200));
      }
      await pause;
      expect(resumed).toBe(true);
      expect(codes.filter((code) => code === 'UNAVAILABLE').length).toBeGreaterThan(0);
      expect(codes.filter((code) => code !== 'UNAVAILABLE' && code !== 'ok')).toEqual([]);
      expect(codes.at(-1)).toBe('ok');
      expect(revision).toBe(2);
      // Once: in Postgres a single time, and a further resend is recognized as delivered.
      const db = new pg.Client({ connectionString: stack.databaseUrl });
      await db.connect();
      try {
        const { rows } = await db.query<{ n: string }>(
          'SELECT count(*) AS n FROM strokes s JOIN rooms r ON s.drawing_id = r.current_drawing_id WHERE r.id = $1 AND s.stroke_id = $2',
          [roomId, 'u1'],
        );
        expect(Number(rows[0]?.n)).toBe(1);
      } finally {
        await db.end();
      }
      const again = await call(c, 'stroke:commit', { stroke: stroke('u1', 4) });
      expect(again.ok ? 'ok' : again.error.code).toBe('DUPLICATE_STROKE');
      expect((await recognition(roomId)).revision).toBe(2);
    } finally {
      await impatient.close();
    }
  });
});
