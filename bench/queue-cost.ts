/**
 * `npm run bench:queue`: what one recognition job costs in BullMQ, apart from everything else. A producer and a
 * consumer in this process move `--jobs` jobs (default 2000) at `--rate` jobs/s (default 200, the target load's
 * rate of jobs) through a queue with Inkling's job options and worker settings (retries with backoff, locks,
 * stalled-job checks, removal on completion) and a processor that does nothing; then the same number of
 * messages through a bare Redis list (LPUSH / BRPOP: no retries, no recovery of a consumer's lost message, no
 * visibility). Prints client CPU (both sides, this process) and Redis CPU per job, read from the processes.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { RECOGNITION_JOB_OPTIONS, recognitionRetryDelayMs } from '@inkling/protocol';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { ensureServices } from '../scripts/local-services.js';
import { printTable } from './table.js';

const { values: flags } = parseArgs({ options: { jobs: { type: 'string', default: '2000' }, rate: { type: 'string', default: '200' } } });
const jobs = Number(flags.jobs);
const rate = Number(flags.rate);

async function redisCpuMs(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const value = (name: string) => Number(info.match(new RegExp(`${name}:([\\d.]+)`))?.[1] ?? 0);
  return (value('used_cpu_user') + value('used_cpu_sys')) * 1000;
}

const clientCpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

interface Cost {
  clientMs: number;
  redisMs: number;
}

/** Runs `send` `jobs` times at `rate`/s and waits for `done` to reach `jobs`; CPU per job of this process and Redis. */
async function measure(redis: Redis, send: (i: number) => Promise<unknown>, done: () => number): Promise<Cost> {
  const client0 = clientCpuMs();
  const redis0 = await redisCpuMs(redis);
  const started = performance.now();
  for (let i = 0; i < jobs; i++) {
    void send(i);
    const wait = started + ((i + 1) * 1000) / rate - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  while (done() < jobs) await new Promise((r) => setTimeout(r, 5));
  return { clientMs: (clientCpuMs() - client0) / jobs, redisMs: ((await redisCpuMs(redis)) - redis0) / jobs };
}

async function main(): Promise<void> {
  const services = await ensureServices({
    dataDir: join(import.meta.dirname, '..', '.data', 'bench'),
    databaseUrl: process.env.DATABASE_URL,
    redisUrl: process.env.REDIS_URL,
    log: (l) => process.stderr.write(`${l}\n`),
  });
  const prefix = `queuecost${process.pid}`;
  const admin = new Redis(services.redisUrl);
  const producer = new Redis(services.redisUrl, { maxRetriesPerRequest: null });
  const consumer = new Redis(services.redisUrl, { maxRetriesPerRequest: null });
  const rows: Record<string, string | number>[] = [];
  try {
    // BullMQ, as Inkling uses it.
    let completed = 0;
    const queue = new Queue('recognition', { connection: producer, prefix, defaultJobOptions: RECOGNITION_JOB_OPTIONS });
    const worker = new Worker('recognition', async () => ({ boards: [] }), {
      connection: consumer,
      prefix,
      concurrency: 16,
      lockDuration: 5000,
      stalledInterval: 2000,
      maxStalledCount: 3,
      settings: { backoffStrategy: (attemptsMade: number) => recognitionRetryDelayMs(attemptsMade) },
    });
    worker.on('completed', () => completed++);
    await worker.waitUntilReady();
    const bull = await measure(
      admin,
      (i) => queue.add('recognize', { boards: [{ roomId: `room${i % 50}`, revision: i, acceptedAtMs: Date.now() }] }, { jobId: `j${i}` }),
      () => completed,
    );
    await worker.close();
    await queue.close();
    rows.push({
      queue: 'BullMQ (retries, stalled-job recovery, locks, events)',
      jobs,
      'jobs/s': rate,
      'client CPU µs/job (producer + consumer)': Math.round(bull.clientMs * 1000),
      'Redis CPU µs/job': Math.round(bull.redisMs * 1000),
    });

    // A bare Redis list: the least a queue through Redis costs.
    let received = 0;
    const list = `${prefix}:list`;
    let running = true;
    const blocking = consumer.duplicate();
    const consume = (async () => {
      while (running) {
        const got = await blocking.brpop(list, 0.2);
        if (got) received++;
      }
    })();
    const bare = await measure(
      admin,
      (i) => producer.lpush(list, JSON.stringify({ boards: [{ roomId: `room${i % 50}`, revision: i, acceptedAtMs: Date.now() }] })),
      () => received,
    );
    running = false;
    await consume;
    await blocking.quit();
    rows.push({
      queue: 'bare Redis list (LPUSH / BRPOP)',
      jobs,
      'jobs/s': rate,
      'client CPU µs/job (producer + consumer)': Math.round(bare.clientMs * 1000),
      'Redis CPU µs/job': Math.round(bare.redisMs * 1000),
    });
  } finally {
    const keys = await admin.keys(`${prefix}:*`);
    if (keys.length > 0) await admin.del(...keys);
    await Promise.all([admin, producer, consumer].map((c) => c.quit().catch(() => undefined)));
    await services.stop();
  }
  printTable('bench:queue — one recognition job through BullMQ vs a bare Redis list (CPU per job, from the processes)', rows);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${(err as Error).stack}\n`);
    process.exit(1);
  },
);
