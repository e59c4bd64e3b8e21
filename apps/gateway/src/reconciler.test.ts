/**
 * The reconciler against the real store (a test database) and Redis: which lagging rooms a periodic pass asks
 * for, what a failed full pass leaves to the next one (Postgres made unreachable through a TCP proxy), and
 * pending markers left without a job by a gateway that died between the two writes.
 */
import { randomBytes } from 'node:crypto';
import { digitDrawing, type Prediction, redisKeys, type Stroke } from '@inkling/protocol';
import { createPool, createTestDatabase, migrate, RecognitionStore, RoomRepository } from '@inkling/store';
import { Redis } from 'ioredis';
import type pg from 'pg';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startNetCut } from '../../../scripts/net-cut.js';
import { createRecognitionMetrics } from './recognition-metrics.js';
import { batchJobId, RecognitionQueue } from './recognition-queue.js';
import { type ReconcilerDeps, startReconciler } from './reconciler.js';

const silent = pino({ level: 'silent' });
const HOUR_MS = 3_600_000;
const prefix = `reconciler${randomBytes(4).toString('hex')}`;
const keys = redisKeys(prefix);

let db: { url: string; drop: () => Promise<void> };
let pool: pg.Pool;
let rooms: RoomRepository;
let store: RecognitionStore;
let redis: Redis;

beforeAll(async () => {
  db = await createTestDatabase(inject('databaseUrl'), 'inkling_reconciler_test');
  pool = createPool(db.url, 4);
  await migrate(pool);
  rooms = new RoomRepository(pool);
  store = new RecognitionStore(pool);
  redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
});
afterAll(async () => {
  const left = await redis.keys(`${prefix}:*`);
  if (left.length > 0) await redis.del(...left);
  await redis.quit();
  await pool.end();
  await db.drop();
});

let roomCount = 0;
/** A new room with `strokes` committed strokes: lagging (revision `strokes`, nothing recognized). */
async function laggingRoom(name: string, strokes = 1): Promise<string> {
  const id = `${name}-${++roomCount}-${randomBytes(3).toString('hex')}`;
  await rooms.createRoom(id);
  for (let i = 0; i < strokes; i++) await commit(id);
  return id;
}
let strokeCount = 0;
async function commit(roomId: string): Promise<void> {
  const stroke: Stroke = { ...(digitDrawing(1)[0] as Stroke), id: `s${++strokeCount}` };
  await rooms.commitStroke(roomId, 'u1', stroke);
}
/** Stores a prediction for the room's current revision, as a worker does (advances its recognized revision). */
async function recognize(roomId: string): Promise<void> {
  const board = await rooms.loadBoard(roomId);
  if (!board) throw new Error(`no room ${roomId}`);
  const prediction: Prediction = {
    roomId,
    drawingId: board.drawingId,
    revision: board.revision,
    text: '1',
    digits: [],
    confidence: 1,
    lowConfidence: false,
    notDigit: false,
    modelVersion: 'test',
    latencyMs: 1,
    inferenceMs: 1,
  };
  expect(await store.storePrediction({ prediction, explicit: false })).toBe(true);
}

function reconciler(deps: Partial<ReconcilerDeps> & Pick<ReconcilerDeps, 'request' | 'intervalMs'>) {
  return startReconciler({
    store,
    redis,
    prefix,
    jobKey: (jobId) => `${prefix}:recognition:${jobId}`,
    metrics: createRecognitionMetrics(new Registry()),
    log: silent,
    ...deps,
  });
}

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('reconciler', () => {
  it('a periodic pass asks again for a room stuck since the previous pass, never for one whose recognition moves', async () => {
    const stuck = await laggingRoom('stuck');
    const moving = await laggingRoom('moving');
    const asked: string[] = [];
    const ours = new Set([stuck, moving]);
    const r = reconciler({
      request: (roomId, revision) => {
        if (ours.has(roomId)) asked.push(`${roomId}@${revision}`);
      },
      intervalMs: HOUR_MS, // passes only when the test runs them
    });
    try {
      // The start-up pass is a full one: every lagging room.
      await until(() => asked.length === 2, 'the start-up pass');
      expect(asked.sort()).toEqual([`${moving}@1`, `${stuck}@1`].sort());
      await r.pass(false); // the start-up pass is over (or this periodic one ran on unchanged rooms)

      // `moving` is recognized and drawn on again; a room appears that lags for the first time.
      await recognize(moving);
      await commit(moving);
      const fresh = await laggingRoom('fresh');
      ours.add(fresh);
      asked.length = 0;
      await r.pass(false);
      expect(asked).toEqual([`${stuck}@1`]);

      // Again: `moving` moved, `fresh` is now stuck since the previous pass.
      await recognize(moving);
      await commit(moving);
      asked.length = 0;
      await r.pass(false);
      expect(asked.sort()).toEqual([`${fresh}@1`, `${stuck}@1`].sort());

      // Recognized rooms are not asked for; a full pass asks for every lagging one, moving or not.
      await recognize(stuck);
      await recognize(fresh);
      await recognize(moving);
      await commit(moving);
      asked.length = 0;
      await r.pass(false);
      expect(asked).toEqual([]);
      await r.pass(true);
      expect(asked).toEqual([`${moving}@4`]);
    } finally {
      await r.close();
    }
  });

  it('a full pass that fails (Postgres unreachable) makes the next periodic pass a full one', async () => {
    const id = await laggingRoom('outage');
    const real = new URL(db.url);
    const proxy = await startNetCut(`tcp://${real.host}`);
    // Unreachable from the start: the start-up pass fails.
    proxy.retarget('tcp://127.0.0.1:1');
    const viaProxy = new URL(db.url);
    viaProxy.host = new URL(proxy.url).host;
    const flaky = createPool(viaProxy.toString(), 2, { retry: { deadlineMs: 300, baseDelayMs: 20 } });
    const flakyStore = new RecognitionStore(flaky);
    // The real store, watched: how many of its lagging-room reads have failed and succeeded so far.
    const reads = { ok: 0, failed: 0 };
    const laggingRooms = flakyStore.laggingRooms.bind(flakyStore);
    flakyStore.laggingRooms = async (after, limit) => {
      try {
        const page = await laggingRooms(after, limit);
        reads.ok++;
        return page;
      } catch (err) {
        reads.failed++;
        throw err;
      }
    };
    let askedAfterReads: number | null = null;
    const r = reconciler({
      store: flakyStore,
      request: (roomId) => {
        if (roomId === id) askedAfterReads ??= reads.ok;
      },
      intervalMs: 200,
    });
    try {
      await until(() => reads.failed >= 2, 'failed passes while Postgres is unreachable');
      expect(reads.ok).toBe(0);
      proxy.retarget(`tcp://${real.host}`);
      await until(() => askedAfterReads !== null, 'the room to be asked for once Postgres is back');
      // Asked for by the first pass that could read Postgres: a periodic pass that is a full one. (A plain
      // periodic pass would only have noted the room, and asked for it one pass later.)
      expect(askedAfterReads).toBe(1);
    } finally {
      await r.close();
      await flaky.end();
      await proxy.close();
    }
  });

  it('clears a pending marker whose job does not exist (its gateway died between the two), and keeps the others', async () => {
    const orphaned = await laggingRoom('orphaned');
    const waiting = await laggingRoom('waiting');
    const retrying = await laggingRoom('retrying');
    const connection = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
    const queue = new RecognitionQueue({
      redis: connection,
      prefix,
      store,
      log: silent,
      metrics: createRecognitionMetrics(new Registry()),
      recognizeLimit: 5,
      recognizeWindowMs: 10_000,
    });
    const jobsFor = async (roomId: string) =>
      (await queue.queue.getJobs(['waiting', 'prioritized', 'delayed', 'active'])).filter((j) =>
        j.data.boards.some((b) => b.roomId === roomId),
      );
    // `waiting` has a real request: its marker and its job (no worker here takes it).
    queue.request(waiting, 1, Date.now());
    await until(async () => (await jobsFor(waiting)).length === 1, 'the job of `waiting`');
    const waitingMarker = await redis.get(keys.pending(waiting));
    // `orphaned`: a gateway set the marker and died before adding the job. `retrying`: a job waits for its retry.
    await redis.set(keys.pending(orphaned), 'tokenofadeadgateway', 'PX', 30_000);
    await redis.set(keys.pending(retrying), 'retry', 'PX', 30_000);

    const r = reconciler({
      request: (roomId, revision, acceptedAtMs) => queue.request(roomId, revision, acceptedAtMs),
      jobKey: (jobId) => queue.queue.toKey(jobId),
      intervalMs: HOUR_MS,
    });
    try {
      await r.pass(false);
      await until(async () => (await jobsFor(orphaned)).length === 1, 'a job for the room with the orphaned marker', 5000);
      const marker = await redis.get(keys.pending(orphaned));
      expect(marker).not.toBe('tokenofadeadgateway');
      expect((await jobsFor(orphaned))[0]?.id).toBe(batchJobId(marker ?? ''));
      // The room whose job waits keeps its marker and its one job; a job waiting for its retry keeps its marker.
      expect(await redis.get(keys.pending(waiting))).toBe(waitingMarker);
      expect(await jobsFor(waiting)).toHaveLength(1);
      expect(await redis.get(keys.pending(retrying))).toBe('retry');
      expect(await jobsFor(retrying)).toHaveLength(0);
    } finally {
      await r.close();
      await queue.close();
      await connection.quit();
    }
  });
});
