/**
 * The worker keeps its event loop free while the model runs: against real Postgres and Redis, a job naming 64
 * rooms with large boards is recognized in inference threads while the loop that renews the job's lock never
 * waits anywhere near the lock's duration. The lock is set to what recognizing the same boards costs when run
 * on this thread (as the worker once did): there, the loop would be blocked for the whole lock, the lock would
 * expire and the job would stall.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { LIMITS, MAX_BOARDS_PER_JOB, RECOGNITION_QUEUE, type Stroke } from '@inkling/protocol';
import { initBackend, Recognizer } from '@inkling/recognizer';
import { createPool, createTestDatabase, migrate, RoomRepository } from '@inkling/store';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type RecognitionWorker, startRecognitionWorker } from './worker.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const MODEL_DIR = join(ROOT, 'models', 'default');
const silent = pino({ level: 'silent' });

/** Strokes per board: 9 × 2,000 points, under the large-board threshold, so the boards are batched together. */
const STROKES_PER_BOARD = 9;
const LARGE_BOARD_POINTS = 20_000;

/** A 2,000-point scribble around one of ten places on the board. */
function scribble(id: string, slot: number): Stroke {
  const cx = 0.05 + (slot % 10) * 0.09;
  const cy = 0.1 + Math.floor(slot / 10) * 0.13;
  return {
    id,
    points: Array.from(
      { length: LIMITS.maxPointsPerStroke },
      (_, i) => [cx + 0.04 * Math.sin(i / 40 + slot), cy + 0.05 * Math.cos(i / 33), i] as [number, number, number],
    ),
  };
}

describe('recognition worker', () => {
  let db: { url: string; drop: () => Promise<void> };
  let pool: pg.Pool;
  let redis: Redis;
  let worker: RecognitionWorker | null = null;
  const prefix = `wloop${randomBytes(4).toString('hex')}`;
  const roomIds = Array.from({ length: MAX_BOARDS_PER_JOB }, (_, i) => `loop-${i}`);
  const boards = roomIds.map((roomId, r) => Array.from({ length: STROKES_PER_BOARD }, (_, i) => scribble(`${roomId}-${i}`, r + i)));

  beforeAll(async () => {
    db = await createTestDatabase(inject('databaseUrl'), 'inkling_worker_loop_test');
    pool = createPool(db.url, 4);
    await migrate(pool);
    const rooms = new RoomRepository(pool);
    for (const [r, roomId] of roomIds.entries()) {
      await rooms.createRoom(roomId);
      await rooms.commitStrokes((boards[r] ?? []).map((stroke) => ({ roomId, authorId: 'u', stroke })));
    }
    redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
  }, 180_000);
  afterAll(async () => {
    await worker?.close();
    const left = await redis.keys(`${prefix}:*`);
    if (left.length > 0) await redis.del(...left);
    await redis.quit();
    await pool.end();
    await db.drop();
  });

  it('recognizes a job of large boards without blocking the loop that renews its lock', async () => {
    const points = STROKES_PER_BOARD * LIMITS.maxPointsPerStroke;
    expect(points).toBeLessThan(LARGE_BOARD_POINTS);
    // What the same recognition costs on this thread, in one call (the worker's batch).
    await initBackend();
    const here = await Recognizer.load(MODEL_DIR);
    const started = performance.now();
    here.recognizeMany(
      boards,
      roomIds.map((id) => `here/${id}`),
    );
    const onThisThreadMs = performance.now() - started;
    const lockMs = Math.max(500, Math.ceil(onThisThreadMs));

    worker = await startRecognitionWorker(
      {
        DATABASE_URL: db.url,
        REDIS_URL: inject('redisUrl'),
        REDIS_PREFIX: prefix,
        MODEL_DIR,
        MODELS_DIR: join(ROOT, 'models'),
        LOG_LEVEL: 'silent',
        WORKER_LOCK_MS: lockMs,
        WORKER_STALLED_INTERVAL_MS: Math.max(200, Math.round(lockMs / 2)),
        WORKER_LARGE_BOARD_POINTS: LARGE_BOARD_POINTS,
      },
      silent,
    );
    const troubles: string[] = [];
    worker.worker.on('stalled', (jobId) => troubles.push(`stalled ${jobId}`));
    worker.worker.on('failed', (job, err) => troubles.push(`failed ${job?.id}: ${err.message}`));
    const done = new Promise<void>((resolve) => {
      worker?.worker.once('completed', () => resolve());
      worker?.worker.once('failed', () => resolve());
    });

    const queue = new Queue(RECOGNITION_QUEUE, { connection: redis, prefix });
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    await queue.add('recognize', { boards: roomIds.map((roomId) => ({ roomId, revision: 1, acceptedAtMs: Date.now() })) });
    await done;
    delay.disable();
    await queue.close();

    const { rows } = await pool.query<{ n: string }>(
      'SELECT count(*) AS n FROM rooms WHERE revision = recognized_revision AND revision > 0',
    );
    expect(Number(rows[0]?.n)).toBe(roomIds.length);
    expect(troubles).toEqual([]);
    const p99Ms = delay.percentile(99) / 1e6;
    const maxMs = delay.max / 1e6;
    // The lock is renewed every half lock: a loop held up for less than that never lets it expire.
    expect(maxMs, `max loop delay ${maxMs.toFixed(0)} ms, lock ${lockMs} ms`).toBeLessThan(lockMs / 2);
    expect(p99Ms, `p99 loop delay ${p99Ms.toFixed(0)} ms, lock ${lockMs} ms`).toBeLessThan(lockMs / 10);
  }, 180_000);
});
