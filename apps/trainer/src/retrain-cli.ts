/**
 * `npm run retrain`: the admin page's retraining from the command line. Enqueues a job on the training
 * queue, follows its progress with a progress bar, and prints the result and the promotion decision.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  TRAINING_BUSY_STATES,
  TRAINING_JOB_OPTIONS,
  TRAINING_QUEUE,
  type TrainingJobData,
  type TrainingJobResult,
  TrainingJobResultSchema,
  TrainingProgressSchema,
  trainingKeys,
} from '@inkling/protocol';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import pino from 'pino';
import { createProgressReporter } from './progress-bar.js';
import { parseRetrainArgs, RETRAIN_USAGE } from './retrain-options.js';
import { CliUsageError } from './train-options.js';
import { startTrainerService, type TrainerService } from './training-service.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');

class BusyError extends Error {
  readonly code = 'TRAINING_BUSY';
}

function connection(): { databaseUrl: string; redisUrl: string } {
  let local: { databaseUrl?: string; redisUrl?: string } = {};
  const file = join(ROOT, '.data', 'services.json');
  if (existsSync(file)) local = JSON.parse(readFileSync(file, 'utf8'));
  const databaseUrl = process.env.DATABASE_URL ?? local.databaseUrl;
  const redisUrl = process.env.REDIS_URL ?? local.redisUrl;
  if (!databaseUrl || !redisUrl) throw new CliUsageError('set DATABASE_URL and REDIS_URL (or start the stack with `npm start` first)');
  return { databaseUrl, redisUrl };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${RETRAIN_USAGE}\n`);
    return;
  }
  const options = parseRetrainArgs(argv);
  const { databaseUrl, redisUrl } = connection();
  const prefix = process.env.REDIS_PREFIX ?? 'inkling';
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue<TrainingJobData, TrainingJobResult>(TRAINING_QUEUE, {
    connection: redis.duplicate(),
    prefix,
    defaultJobOptions: TRAINING_JOB_OPTIONS,
  });
  let local: TrainerService | null = null;
  try {
    const busy = await queue.getJobs([...TRAINING_BUSY_STATES]);
    if (busy.length > 0)
      throw new BusyError(`retraining job ${busy[0]?.id} is already ${await busy[0]?.getState()}; wait for it or cancel it`);
    if ((await queue.getWorkers()).length === 0) {
      process.stderr.write('no trainer process is running: training here\n');
      local = await startTrainerService(
        {
          DATABASE_URL: databaseUrl,
          REDIS_URL: redisUrl,
          REDIS_PREFIX: prefix,
          MODELS_DIR: process.env.MODELS_DIR ?? join(ROOT, 'models'),
          MODEL_DIR: process.env.MODEL_DIR ?? join(ROOT, 'models', 'default'),
        },
        pino({ level: 'warn' }),
      );
    }
    const job = await queue.add('retrain', { options, requestedBy: 'cli', requestedAt: new Date().toISOString() });
    process.stderr.write(`job ${job.id} queued: ${JSON.stringify(options)}\n`);
    const reporter = createProgressReporter();
    const curveKey = trainingKeys(prefix).curve(String(job.id));
    let shown = 0;
    for (;;) {
      const lines = await redis.lrange(curveKey, shown, -1);
      shown += lines.length;
      for (const line of lines) {
        const p = TrainingProgressSchema.safeParse(JSON.parse(line));
        if (p.success) reporter.onProgress(p.data);
      }
      const state = await job.getState();
      if (state === 'completed' || state === 'failed') break;
      await new Promise((r) => setTimeout(r, 300));
    }
    reporter.stop();
    const done = await queue.getJob(String(job.id));
    const result = TrainingJobResultSchema.safeParse(done?.returnvalue);
    if (!result.success) {
      process.stderr.write(`job ${job.id} failed: ${done?.failedReason ?? 'unknown reason'}\n`);
      process.exitCode = 1;
      return;
    }
    const r = result.data;
    const pct = (x: number | null) => (x === null ? 'n/a' : `${(x * 100).toFixed(2)}%`);
    process.stdout.write(
      `${r.version}: MNIST ${pct(r.metrics.mnistTestAccuracy)}, user drawings ${pct(r.metrics.userTestAccuracy)} (${r.metrics.userTestCount}), trained in ${(r.trainingTimeMs / 1000).toFixed(0)} s\n` +
        `${r.decision.promoted ? 'PROMOTED' : 'REJECTED'}: ${r.decision.reason}\n`,
    );
  } finally {
    await local?.close();
    await queue.close();
    await redis.quit();
  }
}

main().then(
  // BullMQ and the tfjs backend keep handles open; the command is done once its result is printed.
  () => process.exit(process.exitCode ?? 0),
  (err: unknown) => {
    const known = err instanceof CliUsageError || err instanceof BusyError;
    process.stderr.write(`${known ? `error: ${(err as Error).message}` : (err as Error).stack}\n`);
    process.exit(err instanceof CliUsageError ? 2 : 1);
  },
);
