import { randomBytes } from 'node:crypto';
import {
  digitDrawing,
  type Prediction,
  type Recognition,
  type RecognitionJobData,
  type RecognitionJobName,
  type RecognitionJobResult,
  redisKeys,
  type Stroke,
} from '@inkling/protocol';
import { createPool, createTestDatabase, migrate, RecognitionStore, RoomRepository } from '@inkling/store';
import { type Job, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { BoardToRecognize } from './inference-pool.js';
import { createWorkerMetrics } from './metrics.js';
import { createRecognitionProcessor } from './recognition-processor.js';

/**
 * The processor against real Postgres and Redis, with a stand-in model: rooms of one job succeed or fail on
 * their own, a slow board holds back no other, predictions are stored before they are published, and a room
 * asked for again while its job ran gets a new job.
 */
describe('recognition processor', () => {
  let db: { url: string; drop: () => Promise<void> };
  let pool: pg.Pool;
  let redis: Redis;
  let subscriber: Redis;
  let rooms: RoomRepository;
  const prefix = `proc${randomBytes(4).toString('hex')}`;
  const keys = redisKeys(prefix);
  const published: { roomId: string; revision: number; text: string; storedAtPublish: boolean }[] = [];

  beforeAll(async () => {
    db = await createTestDatabase(inject('databaseUrl'), 'inkling_processor_test');
    pool = createPool(db.url, 4);
    await migrate(pool);
    rooms = new RoomRepository(pool);
    redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
    subscriber = redis.duplicate();
    subscriber.on('message', (_channel: string, message: string) => {
      const p = JSON.parse(message) as Prediction;
      // Whether the prediction was already in Postgres when it was published (checked just after).
      void pool
        .query('SELECT 1 FROM predictions WHERE room_id = $1 AND revision = $2', [p.roomId, p.revision])
        .then((r) => published.push({ roomId: p.roomId, revision: p.revision, text: p.text, storedAtPublish: (r.rowCount ?? 0) > 0 }));
    });
    await subscriber.subscribe(keys.predictions);
  });
  afterAll(async () => {
    const leftovers = await redis.keys(`${prefix}:*`);
    if (leftovers.length > 0) await redis.del(...leftovers);
    await subscriber.quit();
    await redis.quit();
    await pool.end();
    await db.drop();
  });

  const fakeRecognize = async (board: BoardToRecognize): Promise<{ recognition: Recognition; inferenceMs: number }> => {
    if (board.strokes.some((s) => s.id.startsWith('bad'))) throw new Error('this board breaks the model');
    if (board.strokes.some((s) => s.id.startsWith('slow'))) await new Promise((resolve) => setTimeout(resolve, 400));
    const recognition = {
      text: String(board.strokes.length),
      digits: [],
      confidence: 1,
      lowConfidence: false,
      notDigit: false,
      modelVersion: 'fake',
    };
    return { recognition, inferenceMs: 1 };
  };
  /** Storing takes a while: a prediction published before it was stored would be caught by the subscriber. */
  class SlowStore extends RecognitionStore {
    override async storePrediction(item: Parameters<RecognitionStore['storePrediction']>[0]): Promise<boolean> {
      await new Promise((resolve) => setTimeout(resolve, 150));
      return super.storePrediction(item);
    }
  }
  const processor = () =>
    createRecognitionProcessor({
      redis,
      prefix,
      store: new SlowStore(pool),
      recognize: fakeRecognize,
      log: pino({ level: 'silent' }),
      metrics: createWorkerMetrics(),
      faultDelayMs: 0,
    });
  const job = (data: RecognitionJobData, attemptsStarted = 1, timestamp = Date.now()) =>
    ({ data, attemptsStarted, timestamp }) as Job<RecognitionJobData, RecognitionJobResult, RecognitionJobName>;
  const stroke = (id: string): Stroke => ({ ...(digitDrawing(1)[0] as Stroke), id });
  async function room(id: string, strokeIds: string[]): Promise<void> {
    await rooms.createRoom(id);
    for (const s of strokeIds) await rooms.commitStroke(id, 'u', stroke(s));
    await redis.set(keys.pending(id), 'queued', 'PX', 30_000);
  }
  const storedRevision = async (roomId: string) =>
    (await pool.query<{ recognized_revision: number }>('SELECT recognized_revision FROM rooms WHERE id = $1', [roomId])).rows[0]
      ?.recognized_revision;
  const until = async (condition: () => boolean) => {
    for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  };

  it('a failing board fails only itself, and a slow one holds back no other room of the job', async () => {
    await room('p-good', ['g1', 'g2']);
    await room('p-bad', ['bad1']);
    await room('p-slow', ['slow1', 'slow2', 'slow3']);
    const process = processor();
    const now = Date.now();
    const run = process(
      job({
        boards: [
          { roomId: 'p-slow', revision: 3, acceptedAtMs: now },
          { roomId: 'p-bad', revision: 1, acceptedAtMs: now },
          { roomId: 'p-good', revision: 2, acceptedAtMs: now },
        ],
      }),
    );
    await expect(run).rejects.toThrow('1 of 3 boards failed');
    await until(() => published.length >= 2);
    // The good room was shown first (it did not wait for the slow one), each only once stored.
    expect(published.map((p) => [p.roomId, p.revision, p.text])).toEqual([
      ['p-good', 2, '2'],
      ['p-slow', 3, '3'],
    ]);
    expect(published.every((p) => p.storedAtPublish)).toBe(true);
    expect([await storedRevision('p-good'), await storedRevision('p-slow'), await storedRevision('p-bad')]).toEqual([2, 3, 0]);
    // Finished rooms are no longer pending; the failed one stays pending for its retry (no second job).
    expect(await redis.exists(keys.pending('p-good'), keys.pending('p-slow'))).toBe(0);
    expect(await redis.get(keys.pending('p-bad'))).toBe('retry');
    // The retry finds the others up to date and fails the bad one again.
    await expect(process(job({ boards: [{ roomId: 'p-good', revision: 2, acceptedAtMs: now }] }, 2))).resolves.toEqual({
      boards: [{ type: 'up-to-date', roomId: 'p-good', revision: 2 }],
    });
    await process.close();
  });

  it('a room asked for again while its job ran gets a new job; a retried job shows what it had stored', async () => {
    await room('p-again', ['a1']);
    // A commit accepted while the job runs: the gateway raised the latest revision but added no job.
    await rooms.commitStroke('p-again', 'u', stroke('a2'));
    await redis.set(keys.latestRevision('p-again'), '3');
    await redis.set(keys.waitingSince('p-again'), '12345');
    const process = processor();
    const result = await process(job({ boards: [{ roomId: 'p-again', revision: 1, acceptedAtMs: Date.now() }] }));
    expect(result.boards).toEqual([{ type: 'published', roomId: 'p-again', revision: 2, text: '2', modelVersion: 'fake' }]);
    const queue = new Queue('recognition', { connection: redis, prefix });
    const jobs = await queue.getJobs(['waiting', 'delayed']);
    expect(jobs.map((j) => j.data)).toEqual([{ boards: [{ roomId: 'p-again', revision: 3, acceptedAtMs: 12345 }] }]);
    expect(await redis.get(keys.pending('p-again'))).toBe(jobs[0]?.id);
    await queue.obliterate({ force: true });

    // Stored but never shown (Redis failed at publication): the retry shows it.
    await redis.del(keys.shownRevision('p-again'));
    published.length = 0;
    const retried = await process(job({ boards: [{ roomId: 'p-again', revision: 2, acceptedAtMs: Date.now() }] }, 2));
    expect(retried.boards).toEqual([{ type: 'up-to-date', roomId: 'p-again', revision: 2 }]);
    await until(() => published.length >= 1);
    expect(published.map((p) => [p.roomId, p.revision])).toEqual([['p-again', 2]]);
    await process.close();
  });

  it('an explicit Recognize in the job re-shows a shown revision; one made while the job ran gets an explicit job of its own', async () => {
    await room('p-explicit', ['e1']);
    const process = processor();
    await process(job({ boards: [{ roomId: 'p-explicit', revision: 1, acceptedAtMs: Date.now() }] }));
    await until(() => published.some((p) => p.roomId === 'p-explicit'));
    published.length = 0;
    // The same revision again, asked for explicitly: recognized, stored and shown again.
    await redis.set(keys.pending('p-explicit'), 'queued', 'PX', 30_000);
    const again = await process(job({ boards: [{ roomId: 'p-explicit', revision: 1, acceptedAtMs: Date.now(), explicit: true }] }));
    expect(again.boards).toEqual([{ type: 'published', roomId: 'p-explicit', revision: 1, text: '1', modelVersion: 'fake' }]);
    await until(() => published.length >= 1);
    expect(published.map((p) => [p.roomId, p.revision])).toEqual([['p-explicit', 1]]);

    // Recognize pressed while a plain job for the room ran (the gateway left the explicit key): when the room is
    // done, the worker asks again, explicitly, for the same revision.
    await redis.set(keys.pending('p-explicit'), 'queued', 'PX', 30_000);
    await redis.set(keys.explicit('p-explicit'), '1', 'PX', 30_000);
    const plain = await process(job({ boards: [{ roomId: 'p-explicit', revision: 1, acceptedAtMs: 777 }] }));
    expect(plain.boards).toEqual([{ type: 'up-to-date', roomId: 'p-explicit', revision: 1 }]);
    const queue = new Queue<RecognitionJobData>('recognition', { connection: redis, prefix });
    // (The previous test's retried room was asked for again too: only this room's jobs count here.)
    const jobs = (await queue.getJobs(['waiting', 'delayed'])).filter((j) => j.data.boards.some((b) => b.roomId === 'p-explicit'));
    expect(jobs.map((j) => j.data.boards.map((b) => [b.roomId, b.revision, b.explicit]))).toEqual([[['p-explicit', 1, true]]]);
    expect(await redis.exists(keys.explicit('p-explicit'))).toBe(0);
    await queue.obliterate({ force: true });
    await process.close();
  });

  it('a job carrying the change that made its revision is recognized without a read when this worker holds the board before it', async () => {
    await room('p-change', ['c1']);
    const reads: string[] = [];
    const seen: string[][] = [];
    const process = createRecognitionProcessor({
      redis,
      prefix,
      store: new RecognitionStore(pool, { onRead: (kind) => reads.push(kind) }),
      recognize: async (board) => {
        seen.push(board.strokes.map((s) => s.id));
        return fakeRecognize(board);
      },
      log: pino({ level: 'silent' }),
      metrics: createWorkerMetrics(),
      faultDelayMs: 0,
    });
    await process(job({ boards: [{ roomId: 'p-change', revision: 1, acceptedAtMs: Date.now() }] }));
    const committed = await rooms.commitStroke('p-change', 'u', stroke('c2'));
    const change = {
      type: 'stroke-added' as const,
      drawingId: committed.drawingId,
      baseRevision: 1,
      rowId: committed.strokeRowId,
      strokeId: 'c2',
      points: stroke('c2').points,
    };
    await redis.set(keys.pending('p-change'), 'queued', 'PX', 30_000);
    const second = await process(job({ boards: [{ roomId: 'p-change', revision: 2, acceptedAtMs: Date.now(), change }] }));
    expect(second.boards).toEqual([{ type: 'published', roomId: 'p-change', revision: 2, text: '2', modelVersion: 'fake' }]);
    expect(await storedRevision('p-change')).toBe(2);
    // Another stroke lands while the worker holds revision 2, but its job names the change on a board the worker
    // never saw (revision 3 on 2 is fine; 4 on 3 is not): that one is read.
    await rooms.commitStroke('p-change', 'u', stroke('c3'));
    const fourth = await rooms.commitStroke('p-change', 'u', stroke('c4'));
    await redis.set(keys.pending('p-change'), 'queued', 'PX', 30_000);
    const stale = { ...change, baseRevision: 3, rowId: fourth.strokeRowId, strokeId: 'c4' };
    await process(job({ boards: [{ roomId: 'p-change', revision: 4, acceptedAtMs: Date.now(), change: stale }] }));
    expect(reads).toEqual(['full', 'change', 'delta']);
    expect(seen).toEqual([['c1'], ['c1', 'c2'], ['c1', 'c2', 'c3', 'c4']]);

    // A job that waited in the queue may have newer changes behind it: it reads, even holding the base board.
    const fifth = await rooms.commitStroke('p-change', 'u', stroke('c5'));
    await rooms.commitStroke('p-change', 'u', stroke('c6'));
    await redis.set(keys.pending('p-change'), 'queued', 'PX', 30_000);
    const waited = { ...change, baseRevision: 4, rowId: fifth.strokeRowId, strokeId: 'c5' };
    const late = await process(
      job({ boards: [{ roomId: 'p-change', revision: 5, acceptedAtMs: Date.now(), change: waited }] }, 1, Date.now() - 1000),
    );
    expect(late.boards).toEqual([{ type: 'published', roomId: 'p-change', revision: 6, text: '6', modelVersion: 'fake' }]);
    expect(reads.at(-1)).toBe('delta');
    await process.close();
  });
});
