/**
 * The reconciler: finds rooms whose latest revision has no stored prediction (Postgres: revision ahead of
 * recognized revision) and asks for their recognition again. It covers every way a request can be lost —
 * a gateway killed between the commit and the enqueue, jobs lost with Redis, a job that failed for good —
 * and is safe to run on every gateway at once, since a room with a waiting request gets no second job.
 *
 * A full pass runs at start-up and whenever Redis comes back (jobs may have been lost with it). Periodic
 * passes only re-ask for rooms that were already lagging, at the same recognized revision, in the previous
 * pass: in steady state a room lags for a moment after every change, and those need nothing.
 */
import type { RecognitionStore } from '@inkling/store';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { RecognitionMetrics } from './recognition-metrics.js';

export interface ReconcilerDeps {
  store: RecognitionStore;
  request: (roomId: string, revision: number, acceptedAtMs: number) => void;
  /** Connection whose reconnections trigger a full pass. */
  redis: Redis;
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

export function startReconciler(deps: ReconcilerDeps): Reconciler {
  /** Lagging rooms of the previous pass: recognized revision then, and since when it has not moved. */
  let lagging = new Map<string, { recognizedRevision: number; sinceMs: number }>();
  let running: Promise<number> | null = null;
  /** A full pass was asked for while one ran: run it right after. */
  let rerunAll = false;
  /** A full pass failed (Postgres unavailable): the next periodic pass is a full one. */
  let retryAll = false;
  let closed = false;

  async function run(all: boolean): Promise<number> {
    const now = Date.now();
    const next = new Map<string, { recognizedRevision: number; sinceMs: number }>();
    let asked = 0;
    for (let after = ''; ; ) {
      const page = await deps.store.laggingRooms(after, PAGE);
      for (const room of page) {
        const before = lagging.get(room.roomId);
        const stuck = before !== undefined && before.recognizedRevision === room.recognizedRevision;
        next.set(room.roomId, { recognizedRevision: room.recognizedRevision, sinceMs: stuck ? before.sinceMs : now });
        if (all || stuck) {
          deps.request(room.roomId, room.revision, now);
          asked++;
        }
      }
      if (page.length < PAGE) break;
      after = page[page.length - 1]?.roomId ?? after;
    }
    lagging = next;
    let oldest = now;
    for (const { sinceMs } of next.values()) oldest = Math.min(oldest, sinceMs);
    deps.metrics.laggingRooms.set(next.size);
    deps.metrics.lagSeconds.set((now - oldest) / 1000);
    deps.metrics.reconciled.inc(asked);
    if (asked > 0) deps.log.info({ asked, lagging: next.size, all }, 'reconciler asked for lagging rooms to be recognized');
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
