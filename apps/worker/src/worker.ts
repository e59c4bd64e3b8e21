/**
 * A recognition worker: loads the model, consumes the recognition queue, and closes cleanly (finishing
 * in-flight jobs) on request. Usable in-process (tests) or as the worker process (main.ts).
 */
import { resolve } from 'node:path';
import { RECOGNITION_QUEUE, type RecognitionJobData, type RecognitionJobName, type RecognitionJobResult } from '@inkling/protocol';
import { initBackend, Recognizer, readModelMetadata } from '@inkling/recognizer';
import { createPool, ModelRegistry, migrate, RoomRepository } from '@inkling/store';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import pino, { type Logger } from 'pino';
import { RecognitionBatcher } from './batcher.js';
import type { WorkerConfig } from './config.js';
import { followPromotions } from './model-follower.js';
import { createRecognitionProcessor } from './recognition-processor.js';

export interface RecognitionWorker {
  recognizer: Recognizer;
  worker: Worker<RecognitionJobData, RecognitionJobResult, RecognitionJobName>;
  close: () => Promise<void>;
}

export async function startRecognitionWorker(
  config: WorkerConfig,
  logger: Logger = pino({ level: config.LOG_LEVEL }),
): Promise<RecognitionWorker> {
  const log = logger.child({ area: 'worker' });
  const backend = await initBackend();
  const pool = createPool(config.DATABASE_URL, 5, { asyncCommit: true });
  await migrate(pool);
  const modelsDir = resolve(config.MODELS_DIR);
  const seedFolder = resolve(config.MODEL_DIR);
  const served = await new ModelRegistry(pool).seed(await readModelMetadata(seedFolder), seedFolder);
  const recognizer = await Recognizer.load(resolve(modelsDir, served.folder));
  log.info({ backend, model: recognizer.modelVersion, folder: recognizer.folder }, 'model loaded');
  // Commands of one event-loop turn (a batch of finished predictions) share one write to Redis; BullMQ's
  // own connection stays a plain one.
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null, enableAutoPipelining: true });
  redis.on('error', (err) => log.warn({ err: err.message }, 'redis connection error'));
  const follower = await followPromotions({ redis, prefix: config.REDIS_PREFIX, modelsDir, recognizer, log });
  const processor = createRecognitionProcessor({
    redis,
    prefix: config.REDIS_PREFIX,
    rooms: new RoomRepository(pool),
    batcher: new RecognitionBatcher(() => recognizer),
    log: logger.child({ area: 'worker:infer' }),
    faultDelayMs: config.WORKER_FAULT_DELAY_MS,
  });
  const worker = new Worker<RecognitionJobData, RecognitionJobResult, RecognitionJobName>(RECOGNITION_QUEUE, processor, {
    connection: redis.duplicate({ enableAutoPipelining: false }),
    prefix: config.REDIS_PREFIX,
    concurrency: config.WORKER_CONCURRENCY,
    lockDuration: config.WORKER_LOCK_MS,
    stalledInterval: config.WORKER_STALLED_INTERVAL_MS,
    maxStalledCount: 3,
  });
  // A failing job or connection must never take the worker down: log and carry on.
  worker.on('error', (err) => log.error({ err: err.message }, 'worker error'));
  worker.on('failed', (job, err) => log.warn({ jobId: job?.id, err: err.message }, 'recognition job failed'));
  await worker.waitUntilReady();
  return {
    recognizer,
    worker,
    close: async () => {
      await worker.close();
      await follower.close();
      await redis.quit().catch(() => undefined);
      await pool.end();
    },
  };
}
