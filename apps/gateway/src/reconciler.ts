/**
 * The reconciler: finds rooms whose latest revision has no stored prediction (Postgres: revision ahead of
 * recognized revision) and asks for their recognition again. It covers every way a request can be lost —
 * a gateway killed between the commit and the enqueue, jobs lost with Redis, a job that failed for good —
 * and is safe to run on every gateway at once, since a room with a waiting request gets no second job.
 *
 * A full pass runs at start-up and whenever Redis comes back (jobs may have been lost with it). Periodic
 * passes only re-ask for rooms that were already lagging, at the same recognized revision, in the previous
 * pass: in steady state a room lags for a moment after every change, and those need nothing.
 *
 * Before asking again, it clears a room's pending marker that no unfinished job stands behind: a gateway
 * killed between setting the marker and adding its job would otherwise leave the room unrecognized until
 * the marker expires (PENDING_TTL_MS), every request in between being a no-op.
 */
import { defineScript, redisKeys } from '@inkling/protocol';
import type { RecognitionStore } from '@inkling/store';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { RecognitionMetrics } from './recognition-metrics.js';
import { batchJobId } from './recognition-queue.js';

export interface ReconcilerDeps {
  store: RecognitionStore;
  request: (roomId: string, revision: number, acceptedAtMs: number) => void;
  /** Connection whose reconnections trigger a full pass; also reads and clears pending markers. */
  redis: Redis;
  /** The deployment's Redis key prefix (REDIS_PREFIX). */
  prefix: string;
  /** The Redis key of a recognition job's hash, from its id (BullMQ `queue.toKey(jobId)`). */
  jobKey: (jobId: string) => string;
  intervalMs: number;
  metrics: RecognitionMetrics;
  log: Logger;
}

export interface Reconciler {
  /** One pass now; `all` re-asks for every lagging room, else only those stuck since the previous pass. */
  pass: (all: boolean) => Promise<number>;
  close: () => Promise<void>;
}

const PAGE = 500;

/** A pass does not wait longer than this for the marker checks (Redis slow or gone): it asks anyway. */
const MARKER_CHECK_TIMEOUT_MS = 2000;

/**
 * Clears a room's pending marker when no unfinished job stands behind it; returns 1 if it did. A marker holds
 * a gateway batch's token (its job is `batchJobId(token)`) or a worker's re-request token (its job's own id);
 * `retry` (set while a job waits for its retry) names no job and is left to expire. A marker checked in the
 * instant between its gateway setting it and adding its job is cleared too: the room then gets a second
 * job, which finds it up to date. KEYS: the marker. ARGV: job key prefix, batch job id prefix.
 */
const CLEAR_ORPHANED_MARKER_SCRIPT = `
local marker = redis.call('GET', KEYS[1])
if not marker or marker == 'retry' then return 0 end
for _, id in ipairs({ ARGV[2] .. marker, marker }) do
  local job = ARGV[1] .. id
  if redis.call('EXISTS', job) == 1 and redis.call('HEXISTS', job, 'finishedOn') == 0 then return 0 end
end
redis.call('DEL', KEYS[1])
return 1`;

export function startReconciler(deps: ReconcilerDeps): Reconciler {
  /** Lagging rooms of the previous pass: recognized revision then, and since when it has not moved. */
  let lagging = new Map<string, { recognizedRevision: number; sinceMs: number }>();
  let running: Promise<number> | null = null;
  /** A full pass was asked for while one ran: run it right after. */
  let rerunAll = false;
  /** A full pass failed (Postgres unavailable): the next periodic pass is a full one. */
  let retryAll = false;
  let closed = false;
  const keys = redisKeys(deps.prefix);
  const clearOrphanedMarker = defineScript<number>(deps.redis, 'inklingClearOrphanedMarker', CLEAR_ORPHANED_MARKER_SCRIPT);

  /** Clears the orphaned pending markers of these rooms (see CLEAR_ORPHANED_MARKER_SCRIPT); resolves with how many. */
  async function clearOrphanedMarkers(roomIds: readonly string[]): Promise<number> {
    // Redis down: nothing to check, and the requests wait in the queue until it is back anyway.
    if (roomIds.length === 0 || deps.redis.status !== 'ready') return 0;
    const jobPrefix = deps.jobKey('');
    const checks = Promise.all(roomIds.map((id) => clearOrphanedMarker([keys.pending(id)], [jobPrefix, batchJobId('')]))).catch(
      (err: unknown) => {
        deps.log.warn({ err: (err as Error).message }, 'reconciler could not check pending markers; asking anyway');
        return [] as number[];
      },
    );
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<number[]>((resolve) => {
      timer = setTimeout(() => resolve([]), MARKER_CHECK_TIMEOUT_MS);
    });
    try {
      return (await Promise.race([checks, late])).filter((n) => n === 1).length;
    } finally {
      clearTimeout(timer);
    }
  }

  async function run(all: boolean): Promise<number> {
    const now = Date.now();
    const next = new Map<string, { recognizedRevision: number; sinceMs: number }>();
    let asked = 0;
    let cleared = 0;
    for (let after = ''; ; ) {
      const page = await deps.store.laggingRooms(after, PAGE);
      const ask: typeof page = [];
      for (const room of page) {
        const before = lagging.get(room.roomId);
        const stuck = before !== undefined && before.recognizedRevision === room.recognizedRevision;
        next.set(room.roomId, { recognizedRevision: room.recognizedRevision, sinceMs: stuck ? before.sinceMs : now });
        if (all || stuck) ask.push(room);
      }
      cleared += await clearOrphanedMarkers(ask.map((r) => r.roomId));
      for (const room of ask) deps.request(room.roomId, room.revision, now);
      asked += ask.length;
      if (page.length < PAGE) break;
      after = page[page.length - 1]?.roomId ?? after;
    }
    lagging = next;
    let oldest = now;
    for (const { sinceMs } of next.values()) oldest = Math.min(oldest, sinceMs);
    deps.metrics.laggingRooms.set(next.size);
    deps.metrics.lagSeconds.set((now - oldest) / 1000);
    deps.metrics.reconciled.inc(asked);
    if (asked > 0)
      deps.log.info({ asked, lagging: next.size, all, clearedMarkers: cleared }, 'reconciler asked for lagging rooms to be recognized');
    return asked;
  }

  /** Runs a pass unless one is running (then a full pass asked for meanwhile runs right after it). */
  function pass(all: boolean): Promise<number> {
    if (closed) return Promise.resolve(0);
    if (running) {
      rerunAll ||= all;
      return running;
    }
    running = run(all)
      .catch((err: unknown) => {
        deps.log.warn({ err: (err as Error).message }, 'reconciler pass failed; trying again at the next one');
        retryAll ||= all;
        return 0;
      })
      .finally(() => {
        running = null;
        if (rerunAll && !closed) {
          rerunAll = false;
          void pass(true);
        }
      });
    return running;
  }

  // Redis reconnected: jobs may have been lost with it (a restart without persistence).
  let connectedBefore = deps.redis.status === 'ready';
  const onReady = () => {
    if (connectedBefore) void pass(true);
    connectedBefore = true;
  };
  deps.redis.on('ready', onReady);
  const timer = setInterval(() => {
    const all = retryAll;
    retryAll = false;
    void pass(all);
  }, deps.intervalMs);
  timer.unref();
  void pass(true);

  return {
    pass,
    close: async () => {
      closed = true;
      clearInterval(timer);
      deps.redis.off('ready', onReady);
      await running;
    },
  };
}
