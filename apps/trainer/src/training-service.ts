/**
 * The trainer service: consumes the `training` queue one job at a time. Progress goes to the job and to a
 * Redis list (the live curve the admin page draws); a cancel flag stops the job at the next batch; a
 * trainer that crashes leaves its job failed (never retried automatically) and the served model untouched.
 */
import { resolve } from 'node:path';
import {
  TRAINING_QUEUE,
  type TrainingJobData,
  TrainingJobDataSchema,
  type TrainingJobResult,
  type TrainingProgress,
  trainingKeys,
} from '@inkling/protocol';
import { initBackend, readModelMetadata } from '@inkling/recognizer';
import { createPool, ModelRegistry, migrate, TrainingData } from '@inkling/store';
import { type Job, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { loadMnist, type Mnist } from './mnist.js';
import { RetrainCancelledError, retrain } from './retrain.js';

export interface TrainerConfig {
  DATABASE_URL: string;
  REDIS_URL: string;
  REDIS_PREFIX: string;
  /** Shared directory of model folders (every worker must see the same files). */
  MODELS_DIR: string;
  /** Folder served when the registry is empty (the shipped model). */
  MODEL_DIR: string;
  /** A job whose trainer stops renewing its lock this long is failed (a crashed trainer). Default 120 s. */
  TRAINER_LOCK_MS?: number;
  /** How often a trainer looks for such jobs. Default 60 s. */
  TRAINER_STALLED_INTERVAL_MS?: number;
}

export interface TrainerService {
  worker: Worker<TrainingJobData, TrainingJobResult>;
  registry: ModelRegistry;
  close: () => Promise<void>;
}

const CURVE_MAX_BATCH_POINTS = 60;

export async function startTrainerService(config: TrainerConfig, log: Logger): Promise<TrainerService> {
  const backend = await initBackend();
  const pool = createPool(config.DATABASE_URL, 4);
  await migrate(pool);
  const registry = new ModelRegistry(pool);
  const modelsDir = resolve(config.MODELS_DIR);
  const seedFolder = resolve(config.MODEL_DIR);
  await registry.seed(await readModelMetadata(seedFolder), seedFolder);
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null });
  redis.on('error', (err) => log.warn({ err: err.message }, 'redis connection error'));
  const keys = trainingKeys(config.REDIS_PREFIX);
  let mnist: Mnist | null = null;

  const processor = async (job: Job<TrainingJobData, TrainingJobResult>): Promise<TrainingJobResult> => {
    const parsed = TrainingJobDataSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`invalid training job: ${parsed.error.issues[0]?.message}`);
    const jobId = job.id ?? 'unknown';
    mnist ??= await loadMnist();
    const controller = new AbortController();
    const poll = setInterval(() => {
      redis.exists(keys.cancel(jobId)).then(
        (n) => {
          if (n > 0) controller.abort();
        },
        () => undefined,
      );
    }, 300);
    let pushed = Promise.resolve();
    const onProgress = (p: TrainingProgress) => {
      const every = p.type === 'batch' ? Math.max(1, Math.floor((p.batches * p.epochs) / CURVE_MAX_BATCH_POINTS)) : 1;
      const step = p.type === 'batch' ? (p.epoch - 1) * p.batches + p.batch : 0;
      if (p.type === 'epoch' || step % every === 0 || (p.type === 'batch' && p.batch === p.batches)) {
        const json = JSON.stringify(p);
        pushed = pushed
          .then(async () => {
            await redis.rpush(keys.curve(jobId), json);
            await redis.expire(keys.curve(jobId), 7 * 86400);
            await job.updateProgress(p);
          })
          .catch((err: unknown) => log.warn({ err: (err as Error).message }, 'could not publish training progress'));
      }
    };
    const version = `m${new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14)}-j${jobId}`;
    log.info({ jobId, options: parsed.data.options, version }, 'retraining started');
    try {
      const result = await retrain(
        {
          registry,
          data: new TrainingData(pool),
          redis,
          prefix: config.REDIS_PREFIX,
          modelsDir,
          mnist,
          backend,
          stillRunning: async () => (await job.getState()) === 'active',
        },
        parsed.data.options,
        version,
        onProgress,
        controller.signal,
      );
      await pushed;
      log.info({ jobId, version, promoted: result.decision.promoted, reason: result.decision.reason }, 'retraining finished');
      return result;
    } catch (err) {
      if (err instanceof RetrainCancelledError) throw new UnrecoverableError(err.message);
      throw err;
    } finally {
      clearInterval(poll);
      await redis.del(keys.cancel(jobId)).catch(() => undefined);
    }
  };

  const worker = new Worker<TrainingJobData, TrainingJobResult>(TRAINING_QUEUE, processor, {
    connection: redis.duplicate(),
    prefix: config.REDIS_PREFIX,
    concurrency: 1,
    // Training and evaluation yield between batches, so the lock is renewed even on a loaded machine (a step can
    // take seconds there); a dead trainer's job is failed within two minutes instead of rerunning.
    lockDuration: config.TRAINER_LOCK_MS ?? 120_000,
    stalledInterval: config.TRAINER_STALLED_INTERVAL_MS ?? 60_000,
    maxStalledCount: 0,
  });
  worker.on('error', (err) => log.error({ err: err.message }, 'trainer worker error'));
  worker.on('failed', (job, err) => log.warn({ jobId: job?.id, err: err.message }, 'retraining job failed'));
  await worker.waitUntilReady();
  return {
    worker,
    registry,
    close: async () => {
      await worker.close();
      await redis.quit().catch(() => undefined);
      await pool.end();
    },
  };
}
