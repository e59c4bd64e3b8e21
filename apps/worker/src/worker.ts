/**
 * A recognition worker: starts the model in inference threads, consumes the recognition queue, and closes
 * cleanly (finishing in-flight jobs) on request. Usable in-process (tests) or as the worker process (main.ts).
 */
import type { Server } from 'node:http';
import { resolve } from 'node:path';
import {
  RECOGNITION_QUEUE,
  type RecognitionJobData,
  type RecognitionJobName,
  type RecognitionJobResult,
  recognitionRetryDelayMs,
} from '@inkling/protocol';
import { readModelMetadata } from '@inkling/recognizer';
import { createPool, ModelRegistry, migrate, RecognitionStore } from '@inkling/store';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import pino, { type Logger } from 'pino';
import { type WorkerConfigInput, WorkerConfigSchema } from './config.js';
import { InferencePool } from './inference-pool.js';
import { createWorkerMetrics, serveMetrics, type WorkerMetrics } from './metrics.js';
import { followPromotions } from './model-follower.js';
import { createRecognitionProcessor } from './recognition-processor.js';

export interface RecognitionWorker {
  /** The served model (run in inference threads). */
  recognizer: InferencePool;
  worker: Worker<RecognitionJobData, RecognitionJobResult, RecognitionJobName>;
  metrics: WorkerMetrics;
  close: () => Promise<void>;
}

/** `options` are the configuration variables; defaults apply to those left out. */
export async function startRecognitionWorker(options: WorkerConfigInput, logger?: Logger): Promise<RecognitionWorker> {
  const config = WorkerConfigSchema.parse(options);
  logger ??= pino({ level: config.LOG_LEVEL });
  const log = logger.child({ area: 'worker' });
  const metrics = createWorkerMetrics();
  const pool = createPool(config.DATABASE_URL, 5, {
    asyncCommit: true,
    retry: { deadlineMs: config.PG_RETRY_DEADLINE_MS, onRetry: () => metrics.postgresRetries.inc() },
  });
  const modelsDir = resolve(config.MODELS_DIR);
  // The served model's folder: the registry's promoted one (seeded with the shipped model).
  const served = (async () => {
    await migrate(pool);
    const seedFolder = resolve(config.MODEL_DIR);
    const record = await new ModelRegistry(pool).seed(await readModelMetadata(seedFolder), seedFolder);
    return resolve(modelsDir, record.folder);
  })();
  const { pool: inference, backend } = await InferencePool.start({
    folder: served,
    largeBoardPoints: config.WORKER_LARGE_BOARD_POINTS,
    log: logger.child({ area: 'worker:infer' }),
  });
  log.info({ backend, model: inference.modelVersion, folder: inference.folder }, 'model loaded');
  // Commands of one event-loop turn (a batch of finished predictions) share one write to Redis; BullMQ's
  // own connection stays a plain one.
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null, enableAutoPipelining: true });
  redis.on('error', (err) => log.warn({ err: err.message }, 'redis connection error'));
  const follower = await followPromotions({ redis, prefix: config.REDIS_PREFIX, modelsDir, recognizer: inference, log });
  const store = new RecognitionStore(pool, { onRead: (kind) => metrics.boardReads.inc({ kind }) });
  const processor = createRecognitionProcessor({
    redis,
    prefix: config.REDIS_PREFIX,
    store,
    recognize: (board) => inference.recognize(board),
    log: logger.child({ area: 'worker:job' }),
    metrics,
    faultDelayMs: config.WORKER_FAULT_DELAY_MS,
  });
  // BullMQ does not close a connection it was given: closed below.
  const bullConnection = redis.duplicate({ enableAutoPipelining: false });
  const worker = new Worker<RecognitionJobData, RecognitionJobResult, RecognitionJobName>(RECOGNITION_QUEUE, processor, {
    connection: bullConnection,
    prefix: config.REDIS_PREFIX,
    concurrency: config.WORKER_CONCURRENCY,
    lockDuration: config.WORKER_LOCK_MS,
    stalledInterval: config.WORKER_STALLED_INTERVAL_MS,
    maxStalledCount: 3,
    // Capped exponential backoff (see RECOGNITION_RETRY): retries outlive a 30 s outage without waiting
    // long once it is over.
    settings: { backoffStrategy: (attemptsMade: number) => recognitionRetryDelayMs(attemptsMade) },
  });
  // A failing job or connection must never take the worker down: log and carry on.
  worker.on('error', (err) => log.error({ err: err.message }, 'worker error'));
  worker.on('failed', (job, err) =>
    log.warn({ jobId: job?.id, attempt: job?.attemptsMade, err: err.message }, 'recognition job attempt failed'),
  );
  await worker.waitUntilReady();
  let metricsServer: Server | null = null;
  if (config.WORKER_METRICS_PORT !== undefined) {
    metricsServer = await serveMetrics(metrics, config.WORKER_METRICS_PORT, config.WORKER_METRICS_HOST);
  }
  return {
    recognizer: inference,
    worker,
    metrics,
    close: async () => {
      await worker.close();
      await processor.close();
      await follower.close();
      await inference.close();
      metricsServer?.close();
      await Promise.all([redis, bullConnection].map((c) => c.quit().catch(() => undefined)));
      await pool.end();
    },
  };
}
