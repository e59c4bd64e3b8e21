/**
 * Processes one recognition job (one or more rooms): reads each room's latest board from Postgres (only
 * what changed since this worker last saw it; nothing when the job carries the change and this worker holds
 * the board before it), recognizes it in the inference threads, stores the
 * prediction with the room's recognized revision, and only then publishes it to the gateways — through an
 * atomic compare-and-publish in Redis, so a room never sees a prediction after a newer one. Each room goes
 * its own way: a slow or failing board holds back no other room of the job (the job is retried for the
 * failed ones only; the others find themselves up to date).
 *
 * A room's pending marker stays set while its job runs, so a busy room has one job at a time. When its
 * board is done the marker is cleared and, if a gateway asked for a newer revision meanwhile, the worker
 * asks again — a new job at the back of the queue, delayed by what the last recognition cost when that was
 * large, so a room with a huge board cannot take more than its share.
 */

import { randomBytes } from 'node:crypto';
import {
  type BoardOutcome,
  type BoardRevision,
  defineScript,
  PENDING_TTL_MS,
  type PipelineTrace,
  type Prediction,
  RECOGNITION_JOB_OPTIONS,
  RECOGNITION_QUEUE,
  type RecognitionJobData,
  RecognitionJobDataSchema,
  type RecognitionJobName,
  type RecognitionJobResult,
  redisKeys,
  type TracedPrediction,
  traceHop,
  traceNowMs,
} from '@inkling/protocol';
import type { BoardRead, RecognitionStore } from '@inkling/store';
import { type Job, Queue, UnrecoverableError } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { BoardToRecognize, RecognitionResult } from './inference-pool.js';
import type { WorkerMetrics } from './metrics.js';

/** Keeps rooms pending while their job waits for a retry (ARGV[1]: expiry ms): no second job meanwhile. */
const REMARK_SCRIPT = `
for i, key in ipairs(KEYS) do redis.call('SET', key, 'retry', 'PX', ARGV[1]) end
return #KEYS`;

/**
 * Finishes one room: publishes its prediction unless a newer one was shown (ARGV[4] empty: nothing to
 * publish); then, if a newer revision (latest above ARGV[2]) or an explicit Recognize was asked for while the
 * room's job waited or ran, keeps the room pending under the token ARGV[5] — the caller then adds the job
 * `ARGV[5]` — else clears its pending marker (always with ARGV[5] empty: the room is gone). Returns {1 if
 * published, the latest revision asked for, the waiting-since time, 1 if an explicit Recognize came, 1 if
 * the room stays pending}. KEYS: shown, pending, latest, since, explicit. ARGV: channel, revision, explicit
 * ('1' may re-show the same revision), message, token, marker expiry (ms).
 *
 * Keeping the marker, rather than clearing it here and setting it again in a second call, saves a round trip
 * per room asked for again.
 */
const FINISH_SCRIPT = `
local published = 0
if ARGV[4] ~= '' then
  local rev = tonumber(ARGV[2])
  local shown = tonumber(redis.call('GET', KEYS[1]) or '-1')
  if rev > shown or (ARGV[3] == '1' and rev == shown) then
    redis.call('SET', KEYS[1], ARGV[2], 'EX', 86400)
    redis.call('PUBLISH', ARGV[1], ARGV[4])
    published = 1
  end
end
local latest = tonumber(redis.call('GET', KEYS[3]) or '-1')
local since = redis.call('GETDEL', KEYS[4]) or ''
local explicit = redis.call('GETDEL', KEYS[5]) and 1 or 0
local again = 0
if ARGV[5] ~= '' and (latest > tonumber(ARGV[2]) or explicit == 1) then
  redis.call('SET', KEYS[2], ARGV[5], 'PX', ARGV[6])
  again = 1
else
  redis.call('DEL', KEYS[2])
end
return { published, latest, since, explicit, again }`;

export interface ProcessorDeps {
  redis: Redis;
  prefix: string;
  store: RecognitionStore;
  recognize: (board: BoardToRecognize) => Promise<RecognitionResult>;
  log: Logger;
  metrics: WorkerMetrics;
  /** Expiry of a pending marker (default PENDING_TTL_MS). */
  pendingTtlMs?: number;
  /** Re-asking for a room is delayed by its last recognition's cost above this (ms). */
  fairDelayAboveMs?: number;
  /** Fault injection: wait this long after recognizing, before storing and publishing (0 = off). */
  faultDelayMs: number;
  /** A job's carried change is applied only when the job is taken within this long of being added (ms). */
  changeFreshMs?: number;
}

/**
 * Default of `changeFreshMs`. Measured at 800 commits/s: applying every carried change made ten times as many
 * second jobs (a room's newer changes waited behind the job) and tripled p99; jobs taken this fast rarely have any.
 */
export const CHANGE_FRESH_MS = 10;

export function createRecognitionProcessor(deps: ProcessorDeps) {
  const keys = redisKeys(deps.prefix);
  const ttl = String(deps.pendingTtlMs ?? PENDING_TTL_MS);
  // Called by SHA1 (EVALSHA), not sent as text with every call.
  const remarkScript = defineScript<number>(deps.redis, 'inklingRemarkPending', REMARK_SCRIPT);
  const finishScript = defineScript<[number, number, string, number, number]>(deps.redis, 'inklingFinishRoom', FINISH_SCRIPT);
  // Re-request tokens (job ids): unique per worker process (random) and request (counter), no random draw each.
  const tokenPrefix = `w${randomBytes(6).toString('base64url')}`;
  let tokens = 0;
  // BullMQ gets a connection of its own without auto-pipelining: ioredis copies every script defined on a
  // connection (BullMQ's ~40) into each auto-pipeline, which made every finished board's write expensive.
  const bullConnection = deps.redis.duplicate({ enableAutoPipelining: false });
  bullConnection.on('error', (err) => deps.log.warn({ err: err.message }, 'redis connection error (asking again)'));
  const queue = new Queue<RecognitionJobData, RecognitionJobResult, RecognitionJobName>(RECOGNITION_QUEUE, {
    connection: bullConnection,
    prefix: deps.prefix,
    defaultJobOptions: RECOGNITION_JOB_OPTIONS,
  });

  /** One request per room (the oldest acceptance time counts; explicit if any was). */
  function distinctRooms(boards: readonly BoardRevision[]): BoardRevision[] {
    const byRoom = new Map<string, BoardRevision>();
    for (const b of boards) {
      const seen = byRoom.get(b.roomId);
      if (!seen) byRoom.set(b.roomId, b);
      else {
        // Two requests for one room: the board is read (neither change alone makes the latest revision).
        const { change: _change, ...first } = seen;
        byRoom.set(b.roomId, {
          ...first,
          revision: Math.max(seen.revision, b.revision),
          acceptedAtMs: Math.min(seen.acceptedAtMs, b.acceptedAtMs),
          ...(seen.explicit || b.explicit ? { explicit: true } : {}),
        });
      }
    }
    return [...byRoom.values()];
  }

  /**
   * Publishes the room's prediction (if any, and if no newer one was shown), and clears its marker or, if a
   * newer revision or an explicit Recognize was asked for meanwhile, keeps it for a new job it adds. Resolves
   * whether the prediction was shown. (`revision` MAX_SAFE_INTEGER: the room is gone; nothing is asked again.)
   */
  async function finish(
    roomId: string,
    revision: number,
    publish: { prediction: TracedPrediction; explicit: boolean } | null,
    costMs: number,
    trace?: PipelineTrace,
  ): Promise<boolean> {
    // The room is gone: nothing is asked again.
    const token = revision === Number.MAX_SAFE_INTEGER ? '' : `${tokenPrefix}${(tokens++).toString(36)}`;
    const [published, latest, since, explicitAgain, again] = await finishScript(
      [keys.shownRevision(roomId), keys.pending(roomId), keys.latestRevision(roomId), keys.waitingSince(roomId), keys.explicit(roomId)],
      [keys.predictions, String(revision), publish?.explicit ? '1' : '0', publish ? JSON.stringify(publish.prediction) : '', token, ttl],
    );
    if (again === 1) {
      const acceptedAtMs = Number(since) || Date.now();
      const request: BoardRevision = { roomId, revision: Math.max(latest, revision), acceptedAtMs };
      if (explicitAgain === 1) request.explicit = true;
      // Traced: the wait of a change made while this room's job ran shows as accepted → enqueued.
      if (trace) request.trace = traceHop([acceptedAtMs], 'enqueued');
      // At the back of the queue, delayed by what this board cost when that was large (fairness).
      const delay = costMs > (deps.fairDelayAboveMs ?? 50) ? Math.min(Math.round(costMs), 2000) : 0;
      await queue.add('recognize', { boards: [request] }, { jobId: token, delay });
    }
    return published === 1;
  }

  const processJob = async (job: Job<RecognitionJobData, RecognitionJobResult, RecognitionJobName>): Promise<RecognitionJobResult> => {
    const started = performance.now();
    const pickedAtMs = traceNowMs();
    const parsed = RecognitionJobDataSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`invalid recognition job: ${parsed.error.issues[0]?.message}`);
    const rooms = distinctRooms(parsed.data.boards);
    let remarked = false;
    try {
      // Explicit Recognize requests travel in the job (or, made while the room had a job, in its explicit key,
      // which that job's finish takes): no Redis round trip here.
      const explicit = rooms.map((r) => r.explicit === true);
      // A job that carries the change making its revision needs no read when this worker holds the board
      // before it (its last job of the room) — if the job was taken at once: one that waited may have newer
      // changes behind it (coalesced into it by the pending marker), which only a read sees; applying the old
      // change would then cost a second job for the room. An explicit Recognize always reads (it may re-show).
      const fresh = Date.now() - job.timestamp <= (deps.changeFreshMs ?? CHANGE_FRESH_MS);
      const reads: BoardRead[] = await Promise.all(
        rooms.map(
          (r, i) =>
            (fresh && !explicit[i] && r.change && deps.store.applyChange(r.roomId, r.revision, r.change)) ||
            deps.store.readBoard({ roomId: r.roomId, explicit: explicit[i] === true }),
        ),
      );
      const readAtMs = traceNowMs();
      for (const r of rooms) {
        if (!r.trace) continue;
        r.trace = [...r.trace];
        traceHop(r.trace, 'picked', pickedAtMs);
        traceHop(r.trace, 'read', readAtMs);
      }

      const outcomes: BoardOutcome[] = [];
      const failed: BoardRevision[] = [];
      const upToDate: string[] = [];
      const work: { request: BoardRevision; read: Extract<BoardRead, { type: 'board' }>; explicit: boolean }[] = [];
      const finishing: Promise<unknown>[] = [];
      reads.forEach((read, i) => {
        const request = rooms[i] as BoardRevision;
        if (read.type === 'gone') {
          outcomes.push({ type: 'gone', roomId: read.roomId });
          finishing.push(finish(read.roomId, Number.MAX_SAFE_INTEGER, null, 0));
        } else if (read.type === 'up-to-date') {
          outcomes.push({ type: 'up-to-date', roomId: read.roomId, revision: read.revision });
          upToDate.push(read.roomId);
        } else work.push({ request, read, explicit: explicit[i] === true });
      });
      // A retried job may have stored predictions whose publication failed (Redis down): show them now.
      const stored = job.attemptsStarted > 1 && upToDate.length > 0 ? await deps.store.latestPredictions(upToDate) : [];
      for (const roomId of upToDate) {
        const prediction = stored.find((p) => p.roomId === roomId);
        const read = reads.find((r) => r.type === 'up-to-date' && r.roomId === roomId) as Extract<BoardRead, { type: 'up-to-date' }>;
        finishing.push(finish(roomId, read.revision, prediction ? { prediction, explicit: false } : null, 0));
      }
      const finished = Promise.all(finishing);
      // Awaited below; if a board throws first, this one's failure must not go unhandled.
      finished.catch(() => undefined);

      // Each board goes its own way (recognize, store, publish): a slow board — a huge one in the large
      // lane — never holds back the prediction of another room in the same job.
      const handled = await Promise.all(work.map((w) => handleBoard(w.request, w.read, w.explicit)));
      for (const outcome of handled) {
        outcomes.push(outcome);
        if (outcome.type === 'failed') failed.push(rooms.find((r) => r.roomId === outcome.roomId) as BoardRevision);
      }
      await finished;
      for (const o of outcomes) deps.metrics.boards.inc({ outcome: o.type });
      if (failed.length > 0) {
        await remark(failed);
        remarked = true;
        throw new Error(`${failed.length} of ${rooms.length} boards failed; retrying them`);
      }
      return { boards: outcomes };
    } catch (err) {
      deps.metrics.jobFailures.inc();
      // The job's retry is these rooms' pending request: no second job for them meanwhile.
      if (!remarked && !(err instanceof UnrecoverableError)) await remark(rooms).catch(() => undefined);
      throw err;
    } finally {
      deps.metrics.jobDuration.observe((performance.now() - started) / 1000);
    }
  };

  /** Recognizes one board, stores its prediction, then publishes it. */
  async function handleBoard(
    request: BoardRevision,
    read: Extract<BoardRead, { type: 'board' }>,
    explicit: boolean,
  ): Promise<BoardOutcome> {
    const { board } = read;
    let result: RecognitionResult;
    try {
      result = await deps.recognize({ strokes: board.strokes, drawingKey: `${board.roomId}/${board.drawingId}`, points: board.points });
    } catch (err) {
      const error = (err as Error)?.message ?? String(err);
      deps.log.warn({ roomId: board.roomId, revision: board.revision, err: error }, 'recognition of a board failed');
      return { type: 'failed', roomId: board.roomId, revision: board.revision, error };
    }
    const trace = traceHop(request.trace, 'recognized');
    if (deps.faultDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, deps.faultDelayMs));
    const prediction: Prediction = {
      ...result.recognition,
      roomId: board.roomId,
      drawingId: board.drawingId,
      revision: board.revision,
      inferenceMs: result.inferenceMs,
      latencyMs: Math.max(0, Date.now() - request.acceptedAtMs),
    };
    // Stored first, so that a room rejoined after seeing a prediction always finds it.
    const stored = await deps.store.storePrediction({ prediction, explicit });
    const published: TracedPrediction = trace ? { ...prediction, trace: traceHop(trace, 'stored') } : prediction;
    traceHop(trace, 'published');
    const shown = await finish(
      board.roomId,
      board.revision,
      stored ? { prediction: published, explicit } : null,
      result.inferenceMs,
      trace,
    );
    return shown
      ? { type: 'published', roomId: board.roomId, revision: board.revision, text: prediction.text, modelVersion: prediction.modelVersion }
      : { type: 'stale', roomId: board.roomId, revision: board.revision };
  }

  async function remark(rooms: readonly BoardRevision[]): Promise<void> {
    await remarkScript(
      rooms.map((r) => keys.pending(r.roomId)),
      [ttl],
    );
  }

  /** The processor, and `close` for the queue it asks again on. */
  return Object.assign(processJob, {
    close: async () => {
      await queue.close();
      await bullConnection.quit().catch(() => undefined);
    },
  });
}
