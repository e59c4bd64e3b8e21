/**
 * Enqueues a recognition job for every new board revision. The room's newest wanted revision is kept in
 * Redis (only ever raised), so workers can skip jobs a newer one supersedes while the newest always runs.
 */

import {
  RECOGNITION_QUEUE,
  type RecognitionJobData,
  type RecognitionJobName,
  type RecognitionJobResult,
  redisKeys,
} from '@inkling/protocol';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';

const RAISE_SCRIPT = `
local current = tonumber(redis.call('GET', KEYS[1]) or '-1')
local wanted = tonumber(ARGV[1])
if wanted > current then redis.call('SET', KEYS[1], ARGV[1], 'EX', 86400) end
return current`;

export class RecognitionQueue {
  readonly queue: Queue<RecognitionJobData, RecognitionJobResult, RecognitionJobName>;
  private readonly keys: ReturnType<typeof redisKeys>;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.keys = redisKeys(prefix);
    this.queue = new Queue(RECOGNITION_QUEUE, {
      connection: redis.duplicate(),
      prefix,
      defaultJobOptions: {
        attempts: 3,
        backoff: { type: 'fixed', delay: 100 },
        removeOnComplete: { count: 2000 },
        removeOnFail: { count: 2000 },
      },
    });
  }

  async enqueue(data: RecognitionJobData): Promise<void> {
    await this.redis.eval(RAISE_SCRIPT, 1, this.keys.latestRevision(data.roomId), String(data.revision));
    const jobId = data.explicit ? `${data.roomId}-${data.revision}-x${Date.now()}` : `${data.roomId}-${data.revision}`;
    await this.queue.add('recognize', data, { jobId });
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
