/**
 * The recognition queue against real Redis: a request made by one change carries that change in its job (so a
 * worker holding the board before it need not read the board); a request covering several changes, or a
 * change too long to carry, carries none. Requests made while a batch is being sent leave together in the next.
 */
import { randomBytes } from 'node:crypto';
import { type BoardChange, MAX_CHANGE_POINTS, type Point } from '@inkling/protocol';
import { createPool, RecognitionStore } from '@inkling/store';
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

beforeAll(async () => {
  redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
  pool = createPool(inject('databaseUrl'), 1);
  queue = new RecognitionQueue({
    redis,
    prefix,
    // Only explicit Recognize requests read the store (none here): the pool never connects.
    store: new RecognitionStore(pool),
    log: pino({ level: 'silent' }),
    metrics: createRecognitionMetrics(new Registry()),
    recognizeLimit: 5,
    recognizeWindowMs: 10_000,
  });
});
afterAll(async () => {
  await queue.close();
  const left = await redis.keys(`${prefix}:*`);
  if (left.length > 0) await redis.del(...left);
  await redis.quit();
  await pool.end();
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
    const jobs = await queue.queue.getJobs(['waiting']);
    const rooms = (id: string) => jobs.find((j) => j.data.boards.some((b) => b.roomId === id))?.data.boards.map((b) => b.roomId);
    expect(rooms('rq-first')).toEqual(['rq-first']);
    expect(rooms('rq-second')).toEqual(['rq-second', 'rq-third']);
  });
});
