/**
 * Asks the workers to recognize rooms. A request names a room, not a board: the worker reads the room's
 * latest board from Postgres, so one waiting request covers every change made before the worker takes it.
 * Each room therefore has at most one request in the queue: a Redis marker per room, set atomically with
 * the decision to add a job and cleared by the worker that takes it, turns later requests into no-ops.
 *
 * Requests never hold up an acknowledgement: they wait here, one entry per room, and leave in batches (all
 * rooms asked for in one event-loop turn travel as one job). One batch is being added at a time
 * (`MAX_BATCHES_IN_FLIGHT`), and batches leave at most once per `batchWindowMs`: requests made meanwhile
 * gather into the next, as stroke commits do. A request after a quiet spell leaves at once; a batch with an
 * explicit Recognize in it, or with a full job's worth of rooms (`MAX_BOARDS_PER_JOB`), does not wait for the
 * window.
 * If Redis is down they stay here (still one per room) and leave when it is back; if this process dies
 * first, the reconciler finds the rooms in Postgres (their revision is ahead of their recognized one).
 */

import { randomBytes } from 'node:crypto';
import {
  type BoardChange,
  type BoardRevision,
  defineScript,
  InklingError,
  MAX_BOARDS_PER_JOB,
  MAX_CHANGE_POINTS,
  PENDING_TTL_MS,
  type PipelineTrace,
  RECOGNITION_JOB_OPTIONS,
  RECOGNITION_QUEUE,
  type RecognitionJobData,
  type RecognitionJobName,
  type RecognitionJobResult,
  redisKeys,
  type ScriptCall,
  traceHop,
} from '@inkling/protocol';
import type { RecognitionStore } from '@inkling/store';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { RecognitionMetrics } from './recognition-metrics.js';

/**
 * Marks rooms as pending. KEYS: per room its pending, explicit, recognize-window, latest-revision and
 * waiting-since keys. ARGV: batch token, marker expiry (ms), rate window (ms), explicit requests allowed per
 * window, then per room '1' if explicit, its revision and acceptance time. Returns per room 1 (newly
 * pending: put it in the job), 2 (the same, for an explicit request: the job says so), 0 (a job for it waits
 * or runs; that job's worker sees the raised latest revision, or the explicit key set here, and asks again,
 * from the recorded waiting-since time) or -1 (explicit request refused by the rate limit). A marker holding this batch's token counts as new, so a batch resent after a lost reply still gets
 * its job.
 */
const MARK_SCRIPT = `
local out = {}
for i = 1, #KEYS / 5 do
  local pending, explicit, window, latest, since = KEYS[5 * i - 4], KEYS[5 * i - 3], KEYS[5 * i - 2], KEYS[5 * i - 1], KEYS[5 * i]
  local revision = tonumber(ARGV[3 + 3 * i])
  if revision > tonumber(redis.call('GET', latest) or '-1') then redis.call('SET', latest, revision, 'EX', 86400) end
  local asked = ARGV[2 + 3 * i] == '1'
  local refused = false
  if asked then
    local count = redis.call('INCR', window)
    if count == 1 then redis.call('PEXPIRE', window, ARGV[3]) end
    refused = count > tonumber(ARGV[4])
  end
  if refused then
    out[i] = -1
  elseif redis.call('SET', pending, ARGV[1], 'NX', 'PX', ARGV[2]) or redis.call('GET', pending) == ARGV[1] then
    out[i] = asked and 2 or 1
  else
    if asked then redis.call('SET', explicit, '1', 'PX', ARGV[2]) end
    redis.call('SET', since, ARGV[4 + 3 * i], 'NX', 'PX', ARGV[2])
    out[i] = 0
  end
end
return out`;

/**
 * Batches being added at once (the per-room markers keep one job per room whatever the order of batches).
 * One: requests that come during a batch's two round trips (mark, add) wait for them, but then leave as one
 * job — and every job costs BullMQ its round trips in the gateway, the worker and Redis. Against 4 (A/B,
 * target load, quick bench, quiet runs): 2–3 % less server CPU per commit, p50 and p99 no worse; committed → flushed
 * p50 0.3 → 0.8 ms (p99 8 → 23 ms, single runs), flushed → enqueued p50 2.0 → 1.5 ms.
 */
const MAX_BATCHES_IN_FLIGHT = 1;

interface Waiter {
  resolve: () => void;
  reject: (err: unknown) => void;
}

interface Waiting {
  revision: number;
  acceptedAtMs: number;
  /** Explicit Recognize requests waiting for their verdict (rate limit). */
  explicit: Waiter[];
  /** Hop times of the first request of this entry, when tracing. */
  trace?: PipelineTrace;
  /** The change that made `revision`, while this entry covers only that one change. */
  change?: BoardChange;
}

/** What a request may add to the room and revision it names. */
export interface RequestDetails {
  /** When the change was committed (`traceNowMs()`): starts the request's trace when tracing is on. */
  committedAtMs?: number;
  /** The change that made the revision, so a worker holding the board before it need not read the board. */
  change?: BoardChange;
}

export interface RecognitionQueueOptions {
  redis: Redis;
  prefix: string;
  store: RecognitionStore;
  log: Logger;
  metrics: RecognitionMetrics;
  /** Explicit Recognize requests allowed per room per window. */
  recognizeLimit: number;
  recognizeWindowMs: number;
  /** Expiry of a room's pending marker (default PENDING_TTL_MS). */
  pendingTtlMs?: number;
  /**
   * Batches leave at most once per this many ms (0, the default here: as soon as the previous one is added;
   * the gateway's RECOGNITION_BATCH_MS sets it). Every job costs BullMQ its scripts and round trips in the
   * gateway, a worker and Redis: at the target load a 40–60 ms window cut the server's CPU per commit by 13–28 %
   * with p50 and p99 no worse, the wait in the window made up by less queueing for CPU (README, issue 13).
   */
  batchWindowMs?: number;
  /** Test hook: wait this long between accepting a change and queueing its request (0 = off). */
  faultEnqueueDelayMs?: number;
  /** Carry hop times in the jobs (PIPELINE_TRACE; see pipeline-trace.ts). */
  trace?: boolean;
}

export class RecognitionQueue {
  readonly queue: Queue<RecognitionJobData, RecognitionJobResult, RecognitionJobName>;
  /** Auto-pipelined: marks of concurrent batches leave in one write. */
  readonly redis: Redis;
  /**
   * BullMQ's, without auto-pipelining: BullMQ defines its ~40 scripts on its connection, and ioredis copies
   * every defined script into each auto-pipeline it makes (measured: a fifth of the queue's Redis time).
   */
  private readonly bullConnection: Redis;
  private readonly keys: ReturnType<typeof redisKeys>;
  private readonly waiting = new Map<string, Waiting>();
  /** The batches being sent. */
  private readonly inFlight = new Set<Promise<void>>();
  private readonly mark: ScriptCall<number[]>;
  private scheduled = false;
  /** The next batch waits for the window (`batchWindowMs`) on this timer. */
  private windowTimer: NodeJS.Timeout | null = null;
  /** When (performance.now()) the window of the last batch ends. */
  private windowEndsAt = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  private failures = 0;
  private closed = false;
  /** Batch tokens: unique per gateway process (random) and batch (counter), without a random draw per batch. */
  private readonly tokenPrefix = randomBytes(9).toString('base64url');
  private batches = 0;

  constructor(private readonly options: RecognitionQueueOptions) {
    this.keys = redisKeys(options.prefix);
    this.redis = options.redis.duplicate({ enableAutoPipelining: true });
    this.redis.on('error', (err) => options.log.warn({ err: err.message }, 'recognition queue: redis connection error'));
    this.mark = defineScript(this.redis, 'inklingMarkPending', MARK_SCRIPT);
    this.bullConnection = options.redis.duplicate({ enableAutoPipelining: false });
    this.bullConnection.on('error', (err) => options.log.warn({ err: err.message }, 'recognition queue: redis connection error'));
    this.queue = new Queue(RECOGNITION_QUEUE, {
      connection: this.bullConnection,
      prefix: options.prefix,
      defaultJobOptions: RECOGNITION_JOB_OPTIONS,
    });
    // Redis is back: whatever waited here goes now, without waiting out a retry delay.
    this.redis.on('ready', () => {
      if (this.retryTimer) clearTimeout(this.retryTimer);
      this.retryTimer = null;
      this.schedule();
    });
  }

  /** Number of rooms waiting to be queued (not yet in Redis). */
  get backlog(): number {
    return this.waiting.size;
  }

  /** Asks for recognition of the room's latest board. Returns at once; never fails. */
  request(roomId: string, revision: number, acceptedAtMs: number, details: RequestDetails = {}): void {
    const { committedAtMs } = details;
    const trace = this.options.trace && committedAtMs !== undefined ? [acceptedAtMs, committedAtMs] : undefined;
    const change = details.change && carriable(details.change) ? details.change : undefined;
    const delayMs = this.options.faultEnqueueDelayMs ?? 0;
    if (delayMs > 0) setTimeout(() => this.add(roomId, revision, acceptedAtMs, null, trace, change), delayMs);
    else this.add(roomId, revision, acceptedAtMs, null, trace, change);
  }

  /**
   * An explicit Recognize: recognizes the room's current board and shows the result even if that revision
   * was shown before. Resolves with the revision; RATE_LIMITED past the room's limit, UNAVAILABLE when Redis
   * does not answer within `timeoutMs`.
   */
  async recognizeNow(roomId: string, timeoutMs = 3000): Promise<number> {
    const revision = await this.options.store.currentRevision(roomId);
    if (revision === null) throw new InklingError('ROOM_NOT_FOUND', 'this room no longer exists');
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        new Promise<void>((resolve, reject) => this.add(roomId, revision, Date.now(), { resolve, reject })),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new InklingError('UNAVAILABLE', 'recognition is unavailable right now; try again')), timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
    return revision;
  }

  private add(
    roomId: string,
    revision: number,
    acceptedAtMs: number,
    explicit: Waiter | null,
    trace?: PipelineTrace,
    change?: BoardChange,
  ): void {
    if (this.closed) {
      explicit?.reject(new InklingError('UNAVAILABLE', 'the server is shutting down'));
      return;
    }
    const entry = this.waiting.get(roomId);
    if (entry) {
      entry.revision = Math.max(entry.revision, revision);
      entry.acceptedAtMs = Math.min(entry.acceptedAtMs, acceptedAtMs);
      if (explicit) entry.explicit.push(explicit);
      // The entry now covers several changes: the worker reads the board.
      entry.change = undefined;
      this.options.metrics.requests.inc({ outcome: 'coalesced' });
    } else {
      this.waiting.set(roomId, { revision, acceptedAtMs, explicit: explicit ? [explicit] : [], trace, change });
    }
    // An explicit Recognize waits for no window (someone is waiting for its answer), nor does a full job.
    if (this.windowTimer && (explicit || this.waiting.size >= MAX_BOARDS_PER_JOB)) {
      clearTimeout(this.windowTimer);
      this.windowTimer = null;
      this.scheduled = false;
    }
    this.schedule();
  }

  /**
   * Flushes after the current event-loop turn, so everything asked for in one turn leaves together — or, within
   * the last batch's window, when the window ends (unless an explicit Recognize waits, or a full job's worth of
   * rooms, which leave at once).
   */
  private schedule(): void {
    if (this.closed || this.scheduled || this.inFlight.size >= MAX_BATCHES_IN_FLIGHT || this.retryTimer || this.waiting.size === 0) return;
    this.scheduled = true;
    const go = () => {
      this.scheduled = false;
      this.windowTimer = null;
      void this.flush();
    };
    const waitMs = this.windowEndsAt - performance.now();
    if (waitMs > 0 && this.waiting.size < MAX_BOARDS_PER_JOB && !this.explicitWaiting()) this.windowTimer = setTimeout(go, waitMs);
    else setImmediate(go);
  }

  /** Whether an explicit Recognize waits here for its verdict. */
  private explicitWaiting(): boolean {
    for (const entry of this.waiting.values()) if (entry.explicit.length > 0) return true;
    return false;
  }

  /** Sends a batch (or, with every slot taken, waits for one to finish); resolves when it is done. */
  private flush(): Promise<void> {
    if (this.waiting.size === 0) return this.settled();
    if (this.inFlight.size >= MAX_BATCHES_IN_FLIGHT) return Promise.race(this.inFlight);
    const sending: Promise<void> = this.flushBatch().finally(() => {
      this.inFlight.delete(sending);
      this.schedule();
    });
    this.inFlight.add(sending);
    return sending;
  }

  /** Resolves when every batch being sent has finished (or failed back into the waiting list). */
  private async settled(): Promise<void> {
    await Promise.all(this.inFlight);
  }

  private async flushBatch(): Promise<void> {
    this.windowEndsAt = performance.now() + (this.options.batchWindowMs ?? 0);
    const batch: [string, Waiting][] = [];
    for (const [roomId, entry] of this.waiting) {
      traceHop(entry.trace, 'flushed');
      batch.push([roomId, entry]);
      this.waiting.delete(roomId);
      if (batch.length === MAX_BOARDS_PER_JOB) break;
    }
    try {
      await this.send(batch);
      this.failures = 0;
    } catch (err) {
      this.failures++;
      this.options.metrics.enqueueErrors.inc();
      this.options.log.warn({ err: (err as Error).message, rooms: batch.length }, 'could not queue recognition; retrying');
      for (const [roomId, entry] of batch) {
        for (const w of entry.explicit) w.reject(new InklingError('UNAVAILABLE', 'recognition is unavailable right now; try again'));
        entry.explicit = [];
        const newer = this.waiting.get(roomId);
        if (newer) {
          newer.revision = Math.max(newer.revision, entry.revision);
          newer.acceptedAtMs = Math.min(newer.acceptedAtMs, entry.acceptedAtMs);
          newer.change = undefined;
        } else this.waiting.set(roomId, entry);
      }
      const delay = Math.min(10_000, 250 * 2 ** Math.min(this.failures - 1, 6));
      if (this.retryTimer) clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => {
        this.retryTimer = null;
        this.schedule();
      }, delay);
    }
  }

  private async send(batch: [string, Waiting][]): Promise<void> {
    const o = this.options;
    const token = `${this.tokenPrefix}${(this.batches++).toString(36)}`;
    const marks = await this.mark(
      batch.flatMap(([roomId]) => [
        this.keys.pending(roomId),
        this.keys.explicit(roomId),
        this.keys.recognizeWindow(roomId),
        this.keys.latestRevision(roomId),
        this.keys.waitingSince(roomId),
      ]),
      [
        token,
        String(o.pendingTtlMs ?? PENDING_TTL_MS),
        String(o.recognizeWindowMs),
        String(o.recognizeLimit),
        ...batch.flatMap(([, entry]) => [entry.explicit.length > 0 ? '1' : '0', String(entry.revision), String(entry.acceptedAtMs)]),
      ],
    );
    const boards: BoardRevision[] = [];
    batch.forEach(([roomId, entry], i) => {
      if (marks[i] !== 1 && marks[i] !== 2) return;
      const board: BoardRevision = { roomId, revision: entry.revision, acceptedAtMs: entry.acceptedAtMs };
      if (marks[i] === 2) board.explicit = true;
      if (entry.change) board.change = entry.change;
      const trace = traceHop(entry.trace, 'enqueued');
      if (trace) board.trace = trace;
      boards.push(board);
    });
    // The job id is the batch's: a resent add after a lost reply does not make a second job.
    if (boards.length > 0) await this.queue.add('recognize', { boards }, { jobId: batchJobId(token) });
    o.metrics.requests.inc({ outcome: 'enqueued' }, boards.length);
    o.metrics.requests.inc({ outcome: 'already-pending' }, marks.filter((m) => m === 0).length);
    if (boards.length > 0) o.metrics.onEnqueued(boards.length);
    batch.forEach(([, entry], i) => {
      for (const w of entry.explicit) {
        if (marks[i] === -1) {
          o.metrics.requests.inc({ outcome: 'rate-limited' });
          w.reject(
            new InklingError(
              'RATE_LIMITED',
              `at most ${o.recognizeLimit} Recognize requests per room every ${o.recognizeWindowMs / 1000} s`,
            ),
          );
        } else w.resolve();
      }
    });
  }

  async close(): Promise<void> {
    // Hand over what waits here if Redis answers soon; anything left is in Postgres as a lagging room, which
    // the reconciler of a running or the next gateway finds.
    const until = Date.now() + 1000;
    while (this.waiting.size > 0 && this.redis.status === 'ready' && Date.now() < until) {
      await this.flush();
      if (this.retryTimer) break;
    }
    this.closed = true;
    // Batches still being sent finish (or fail into the waiting list) before their connection goes.
    await this.settled();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.windowTimer) clearTimeout(this.windowTimer);
    await this.queue.close();
    await Promise.all([this.redis, this.bullConnection].map((c) => c.quit().catch(() => undefined)));
  }
}

/** A change travels in the job only while it is small: a long stroke is cheaper read than carried. */
const carriable = (change: BoardChange): boolean => change.type !== 'stroke-added' || change.points.length <= MAX_CHANGE_POINTS;

/** The id of the job a batch adds: a room's pending marker holds the batch token, so the marker names its job. */
export const batchJobId = (token: string): string => `b${token}`;
