/**
 * Processes one recognition job (one or more rooms): takes the rooms' pending requests, reads each room's
 * latest board from Postgres (only what changed since this worker last saw it), recognizes them in the
 * inference threads, stores each prediction with the room's recognized revision, and only then publishes
 * it to the gateways — through an atomic compare-and-publish in Redis, so a room never sees a prediction
 * after a newer one. Rooms fail on their own: the others of the job are stored and published, and the job
 * is retried for the failed ones (already stored rooms find themselves up to date).
 */

import {
  type BoardOutcome,
  type BoardRevision,
  type Prediction,
  type RecognitionJobData,
  RecognitionJobDataSchema,
  type RecognitionJobName,
  type RecognitionJobResult,
  redisKeys,
} from '@inkling/protocol';
import type { BoardRead, RecognitionStore } from '@inkling/store';
import { type Job, UnrecoverableError } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { BoardToRecognize, RecognitionResult } from './inference-pool.js';
import type { WorkerMetrics } from './metrics.js';

/**
 * Takes the rooms' requests. KEYS: per room its pending and explicit keys. Returns per room 1 when an
 * explicit Recognize was asked for. Cleared before the boards are read, so a change made after the read
 * makes a new request.
 */
const CLAIM_SCRIPT = `
local out = {}
for i = 1, #KEYS / 2 do
  redis.call('DEL', KEYS[2 * i - 1])
  out[i] = redis.call('GETDEL', KEYS[2 * i]) and 1 or 0
end
return out`;

/** Marks rooms pending again while their job waits for a retry (ARGV[1]: expiry ms): no second job meanwhile. */
const REMARK_SCRIPT = `
for i, key in ipairs(KEYS) do redis.call('SET', key, 'retry', 'PX', ARGV[1]) end
return #KEYS`;

/**
 * KEYS: each prediction's shown-revision key. ARGV[1]: the predictions channel, then per prediction
 * revision, explicit flag ('1' may re-show the same revision) and message. Returns per prediction -1 when
 * published, else the revision already shown.
 */
const PUBLISH_SCRIPT = `
local results = {}
for i, key in ipairs(KEYS) do
  local rev = tonumber(ARGV[3 * i - 1])
  local shown = tonumber(redis.call('GET', key) or '-1')
  if rev > shown or (ARGV[3 * i] == '1' and rev == shown) then
    redis.call('SET', key, ARGV[3 * i - 1], 'EX', 86400)
    redis.call('PUBLISH', ARGV[1], ARGV[3 * i + 1])
    results[i] = -1
  else
    results[i] = shown
  end
end
return results`;

export interface ProcessorDeps {
  redis: Redis;
  prefix: string;
  store: RecognitionStore;
  recognize: (board: BoardToRecognize) => Promise<RecognitionResult>;
  log: Logger;
  metrics: WorkerMetrics;
  /** Expiry of a pending marker set while a failed job waits for its retry. */
  pendingTtlMs: number;
  /** Fault injection: wait this long after recognizing, before storing and publishing (0 = off). */
  faultDelayMs: number;
}

interface Recognized {
  prediction: Prediction;
  explicit: boolean;
}

export function createRecognitionProcessor(deps: ProcessorDeps) {
  const keys = redisKeys(deps.prefix);

  /** One request per room (the oldest acceptance time counts). */
  function distinctRooms(boards: readonly BoardRevision[]): BoardRevision[] {
    const byRoom = new Map<string, BoardRevision>();
    for (const b of boards) {
      const seen = byRoom.get(b.roomId);
      if (!seen) byRoom.set(b.roomId, b);
      else byRoom.set(b.roomId, { ...seen, acceptedAtMs: Math.min(seen.acceptedAtMs, b.acceptedAtMs) });
    }
    return [...byRoom.values()];
  }

  /** Publishes predictions (compare-and-publish); resolves per prediction whether it was shown. */
  async function publish(items: readonly Recognized[]): Promise<boolean[]> {
    if (items.length === 0) return [];
    const shown = (await deps.redis.eval(
      PUBLISH_SCRIPT,
      items.length,
      ...items.map((r) => keys.shownRevision(r.prediction.roomId)),
      keys.predictions,
      ...items.flatMap((r) => [String(r.prediction.revision), r.explicit ? '1' : '0', JSON.stringify(r.prediction)]),
    )) as number[];
    return items.map((_, i) => Number(shown[i]) === -1);
  }

  return async (job: Job<RecognitionJobData, RecognitionJobResult, RecognitionJobName>): Promise<RecognitionJobResult> => {
    const started = performance.now();
    const parsed = RecognitionJobDataSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`invalid recognition job: ${parsed.error.issues[0]?.message}`);
    const rooms = distinctRooms(parsed.data.boards);
    let remarked = false;
    try {
      const explicit = (await deps.redis.eval(
        CLAIM_SCRIPT,
        rooms.length * 2,
        ...rooms.flatMap((r) => [keys.pending(r.roomId), keys.explicit(r.roomId)]),
      )) as number[];
      const reads: BoardRead[] = await Promise.all(
        rooms.map((r, i) => deps.store.readBoard({ roomId: r.roomId, explicit: explicit[i] === 1 })),
      );

      const outcomes: BoardOutcome[] = [];
      const failed: BoardRevision[] = [];
      const upToDate: string[] = [];
      const work: { request: BoardRevision; read: Extract<BoardRead, { type: 'board' }>; explicit: boolean }[] = [];
      reads.forEach((read, i) => {
        const request = rooms[i] as BoardRevision;
        if (read.type === 'gone') outcomes.push({ type: 'gone', roomId: read.roomId });
        else if (read.type === 'up-to-date') {
          outcomes.push({ type: 'up-to-date', roomId: read.roomId, revision: read.revision });
          upToDate.push(read.roomId);
        } else work.push({ request, read, explicit: explicit[i] === 1 });
      });

      const results = await Promise.allSettled(
        work.map(({ read }) =>
          deps.recognize({
            strokes: read.board.strokes,
            drawingKey: `${read.board.roomId}/${read.board.drawingId}`,
            points: read.board.points,
          }),
        ),
      );
      if (deps.faultDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, deps.faultDelayMs));

      const recognized: Recognized[] = [];
      results.forEach((result, i) => {
        const { request, read, explicit: isExplicit } = work[i] as (typeof work)[number];
        if (result.status === 'rejected') {
          const error = (result.reason as Error)?.message ?? String(result.reason);
          deps.log.warn({ roomId: request.roomId, revision: read.board.revision, err: error }, 'recognition of a board failed');
          outcomes.push({ type: 'failed', roomId: request.roomId, revision: read.board.revision, error });
          failed.push(request);
          return;
        }
        const { recognition, inferenceMs } = result.value;
        recognized.push({
          explicit: isExplicit,
          prediction: {
            ...recognition,
            roomId: read.board.roomId,
            drawingId: read.board.drawingId,
            revision: read.board.revision,
            inferenceMs,
            latencyMs: Math.max(0, Date.now() - request.acceptedAtMs),
          },
        });
      });

      // Stored first, so that a room rejoined after seeing a prediction always finds it.
      const stored = await Promise.all(recognized.map((r) => deps.store.storePrediction(r)));
      const toPublish = recognized.filter((_, i) => stored[i]);
      // A retried job may have stored predictions whose publication failed (Redis down): show them now.
      const republish: Recognized[] =
        job.attemptsStarted > 1 && upToDate.length > 0
          ? (await deps.store.latestPredictions(upToDate)).map((prediction) => ({ prediction, explicit: false }))
          : [];
      const shown = await publish([...toPublish, ...republish]);
      recognized.forEach((r, i) => {
        const p = r.prediction;
        const published = stored[i] === true && shown[toPublish.indexOf(r)] === true;
        outcomes.push(
          published
            ? { type: 'published', roomId: p.roomId, revision: p.revision, text: p.text, modelVersion: p.modelVersion }
            : { type: 'stale', roomId: p.roomId, revision: p.revision },
        );
      });
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

  async function remark(rooms: readonly BoardRevision[]): Promise<void> {
    await deps.redis.eval(REMARK_SCRIPT, rooms.length, ...rooms.map((r) => keys.pending(r.roomId)), String(deps.pendingTtlMs));
  }
}
