/**
 * The recognition queue against real Redis: a request made by one change carries that change in its job (so a
 * worker holding the board before it need not read the board); a request covering several changes, or a
 * change too long to carry, carries none. Requests made while a batch is being sent, or within a batch's
 * window, leave together in the next; an explicit Recognize, or a full job's worth of rooms, does not wait for
 * the window, and closing hands over what waits for it.
 */
import { randomBytes } from 'node:crypto';
import { type BoardChange, MAX_BOARDS_PER_JOB, MAX_CHANGE_POINTS, type Point } from '@inkling/protocol';
import { createPool, createTestDatabase, migrate, RecognitionStore, RoomRepository } from '@inkling/store';
import { Redis } from 'ioredis';
import type pg from 'pg';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createRecognitionMetrics } from './recognition-metrics.js';
import { RecognitionQueue } from './recognition-queue.js';

const prefix = `rqueue${randomBytes(4).toString('hex')}`;
let redis: Redis;
let queue: RecognitionQueue;
let pool: pg.Pool;
let db: Awaited<ReturnType<typeof createTestDatabase>>;

/** A queue on the test's Redis prefix and database; `batchWindowMs` as given (default: none). */
const openQueue = (batchWindowMs?: number) =>
  new RecognitionQueue({
    redis,
    prefix,
    // Only explicit Recognize requests read the store (the room's current revision).
    store: new RecognitionStore(pool),
    log: pino({ level: 'silent' }),
    metrics: createRecognitionMetrics(new Registry()),
    recognizeLimit: 5,
    recognizeWindowMs: 10_000,
    ...(batchWindowMs === undefined ? {} : { batchWindowMs }),
  });

beforeAll(async () => {
  redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
  db = await createTestDatabase(inject('databaseUrl'), 'inkling_rqueue_test');
  pool = createPool(db.url, 2);
  await migrate(pool);
  queue = openQueue();
});
afterAll(async () => {
  await queue.close();
  const left = await redis.keys(`${prefix}:*`);
  if (left.length > 0) await redis.del(...left);
  await redis.quit();
  await pool.end();
  await db.drop();
});

const points = (n: number): Point[] => Array.from({ length: n }, (_, i) => [0.1 + (0.8 * i) / n, 0.5, i * 10]);
const added = (baseRevision: number, n = 5): BoardChange => ({
  type: 'stroke-added',
  drawingId: 7,
  baseRevision,
  rowId: 100 + baseRevision,
  strokeId: `s${baseRevision}`,
  points: points(n),
});

async function jobFor(roomId: string) {
  for (let i = 0; i < 200; i++) {
    const jobs = await queue.queue.getJobs(['waiting']);
    const board = jobs.flatMap((j) => j.data.boards).find((b) => b.roomId === roomId);
    if (board) return board;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`no job for ${roomId}`);
}

describe('recognition queue', () => {
  it('carries the change that made a revision, and none when a request covers several changes or the change is long', async () => {
    queue.request('rq-one', 4, Date.now(), { change: added(3) });
    expect(await jobFor('rq-one')).toMatchObject({ roomId: 'rq-one', revision: 4, change: added(3) });

    // Two changes of one room in the same moment: one request for the later revision, without a change.
    queue.request('rq-two', 4, Date.now(), { change: added(3) });
    queue.request('rq-two', 5, Date.now(), { change: added(4) });
    const two = await jobFor('rq-two');
    expect(two.revision).toBe(5);
    expect(two.change).toBeUndefined();

    queue.request('rq-long', 2, Date.now(), { change: added(1, MAX_CHANGE_POINTS + 1) });
    expect((await jobFor('rq-long')).change).toBeUndefined();
    queue.request('rq-clear', 9, Date.now(), { change: { type: 'cleared', drawingId: 8 } });
    expect((await jobFor('rq-clear')).change).toEqual({ type: 'cleared', drawingId: 8 });
  });

  it('requests made while a batch is being sent wait for it and leave together, in one job', async () => {
    const turn = () => new Promise((resolve) => setImmediate(resolve));
    queue.request('rq-first', 1, Date.now());
    // The first batch leaves at the end of this turn and needs two round trips (mark, add); the next two
    // requests come in the two turns after, before it can be done.
    await turn();
    queue.request('rq-second', 1, Date.now());
    await turn();
    queue.request('rq-third', 1, Date.now());
    await jobFor('rq-third');
    expect(await jobRooms('rq-first')).toEqual(['rq-first']);
    expect(await jobRooms('rq-second')).toEqual(['rq-second', 'rq-third']);
  });

  it('with a batch window, requests made within the window after a batch leave together when it ends', async () => {
    const windowed = openQueue(500);
    try {
      // After a quiet spell a request leaves at once, and opens the window.
      windowed.request('rw-first', 1, Date.now());
      await jobFor('rw-first');
      // Without the window each of these would leave on its own (the first batch is already added).
      windowed.request('rw-second', 1, Date.now());
      await new Promise((resolve) => setTimeout(resolve, 60));
      windowed.request('rw-third', 1, Date.now());
      await jobFor('rw-third');
      expect(await jobRooms('rw-first')).toEqual(['rw-first']);
      expect(await jobRooms('rw-second')).toEqual(['rw-second', 'rw-third']);
    } finally {
      await windowed.close();
    }
  });

  it('closing hands over the requests waiting for the window (a gateway stopping loses none)', async () => {
    const windowed = openQueue(60_000);
    windowed.request('rc-before', 1, Date.now());
    await jobFor('rc-before');
    windowed.request('rc-held', 1, Date.now());
    expect(windowed.backlog).toBe(1);
    await windowed.close();
    expect(windowed.backlog).toBe(0);
    expect(await jobRooms('rc-held')).toEqual(['rc-held']);
  });

  it("a full job's worth of rooms does not wait for the batch window", async () => {
    const windowed = openQueue(60_000);
    try {
      windowed.request('rf-before', 1, Date.now());
      await jobFor('rf-before');
      const rooms = Array.from({ length: MAX_BOARDS_PER_JOB }, (_, i) => `rf-${i}`);
      for (const roomId of rooms) windowed.request(roomId, 1, Date.now());
      await jobFor('rf-0');
      expect(await jobRooms('rf-0')).toEqual(rooms);
    } finally {
      await windowed.close();
    }
  });

  it('an explicit Recognize does not wait for the batch window, and takes what waits for it along', async () => {
    const windowed = openQueue(60_000);
    try {
      await new RoomRepository(pool).createRoom('rw-explicit');
      windowed.request('rw-before', 1, Date.now());
      await jobFor('rw-before');
      // Within a minute-long window: this one would wait out the minute…
      windowed.request('rw-waiting', 1, Date.now());
      // …but an explicit Recognize leaves now (its answer is awaited), and the waiting request with it.
      expect(await windowed.recognizeNow('rw-explicit')).toBe(0);
      expect(await jobRooms('rw-explicit')).toEqual(['rw-waiting', 'rw-explicit']);
    } finally {
      await windowed.close();
    }
  });
});

/** The rooms of the waiting job that names `roomId`. */
async function jobRooms(roomId: string): Promise<string[] | undefined> {
  const jobs = await queue.queue.getJobs(['waiting']);
  return jobs.find((j) => j.data.boards.some((b) => b.roomId === roomId))?.data.boards.map((b) => b.roomId);
}
