/**
 * Enqueues a recognition job for every new board revision. Revisions accepted in the same turn of the event
 * loop (a group-committed batch of strokes, in any rooms), or while the previous job is being added, travel
 * as one job, so under load the per-job cost of the queue is shared. Each room's newest wanted revision is
 * kept in Redis (only ever raised), so workers can skip revisions a newer one supersedes while the newest
 * always runs.
 */

import {
  type BoardRevision,
  MAX_BOARDS_PER_JOB,
  RECOGNITION_QUEUE,
  type RecognitionJobData,
  type RecognitionJobName,
  type RecognitionJobResult,
  redisKeys,
} from '@inkling/protocol';
import { GroupCommit, type ItemResult } from '@inkling/store';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';

/** KEYS: each board's latest-revision key; ARGV: the matching revisions. */
const RAISE_SCRIPT = `
for i, key in ipairs(KEYS) do
  local current = tonumber(redis.call('GET', key) or '-1')
  if tonumber(ARGV[i]) > current then redis.call('SET', key, ARGV[i], 'EX', 86400) end
end
return #KEYS`;

export class RecognitionQueue {
  readonly queue: Queue<RecognitionJobData, RecognitionJobResult, RecognitionJobName>;
  private readonly keys: ReturnType<typeof redisKeys>;
  /**
   * One auto-pipelined connection for the revision marks and the job: Redis runs the marks first, and
   * both leave in one write.
   */
  private readonly redis: Redis;
  private readonly jobs: GroupCommit<BoardRevision, void>;

  constructor(
    redis: Redis,
    prefix: string,
    private readonly onEnqueued: (boards: number) => void = () => undefined,
  ) {
    this.keys = redisKeys(prefix);
    this.redis = redis.duplicate({ enableAutoPipelining: true });
    this.queue = new Queue(RECOGNITION_QUEUE, {
      connection: this.redis,
      prefix,
      defaultJobOptions: {
        attempts: 3,
        backoff: { type: 'fixed', delay: 100 },
        // Results live in Postgres; a finished job has nothing more to say.
        removeOnComplete: true,
        removeOnFail: { count: 2000 },
      },
    });
    this.jobs = new GroupCommit<BoardRevision, void>((boards) => this.add(boards), {
      maxInFlight: 1,
      maxBatch: MAX_BOARDS_PER_JOB,
      gatherTurn: true,
    });
  }

  /** Resolves once the revision is in a queued job. */
  enqueue(board: BoardRevision): Promise<void> {
    return this.jobs.submit(board);
  }

  private async add(boards: BoardRevision[]): Promise<ItemResult<void>[]> {
    await Promise.all([
      this.redis.eval(
        RAISE_SCRIPT,
        boards.length,
        ...boards.map((b) => this.keys.latestRevision(b.roomId)),
        ...boards.map((b) => String(b.revision)),
      ),
      this.queue.add('recognize', { boards }),
    ]);
    this.onEnqueued(boards.length);
    return boards.map(() => ({ ok: true, value: undefined }));
  }

  async close(): Promise<void> {
    await this.queue.close();
    await this.redis.quit().catch(() => undefined);
  }
}
