/**
 * Processes one recognition job (one or more board revisions, in any rooms): boards a newer revision
 * supersedes are skipped, the rest are recognized together in one batched model call, each prediction is
 * published to the gateways only if no newer revision of its room was published meanwhile (an atomic
 * compare-and-publish in Redis, one script call for the whole job), and all are stored with one INSERT.
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
import type { RoomRepository } from '@inkling/store';
import { type Job, UnrecoverableError } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { RecognitionBatcher } from './batcher.js';

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
  rooms: RoomRepository;
  batcher: RecognitionBatcher;
  log: Logger;
  faultDelayMs: number;
}

export function createRecognitionProcessor(deps: ProcessorDeps) {
  const keys = redisKeys(deps.prefix);

  /** Boards still worth recognizing: explicit ones, and those no newer revision of the room supersedes. */
  async function current(boards: BoardRevision[]): Promise<{ live: BoardRevision[]; skipped: BoardOutcome[] }> {
    const latest = await deps.redis.mget(...boards.map((b) => keys.latestRevision(b.roomId)));
    const live: BoardRevision[] = [];
    const skipped: BoardOutcome[] = [];
    boards.forEach((b, i) => {
      const newest = Number(latest[i] ?? -1);
      if (!b.explicit && newest > b.revision)
        skipped.push({ type: 'superseded', roomId: b.roomId, revision: b.revision, latestRevision: newest });
      else live.push(b);
    });
    return { live, skipped };
  }

  return async (job: Job<RecognitionJobData, RecognitionJobResult, RecognitionJobName>): Promise<RecognitionJobResult> => {
    const parsed = RecognitionJobDataSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`invalid recognition job: ${parsed.error.issues[0]?.message}`);
    const { live, skipped } = await current(parsed.data.boards);
    if (live.length === 0) return { boards: skipped };
    // Requests made in one turn share one model call.
    const results = await Promise.all(live.map((b) => deps.batcher.recognize(b.strokes, `${b.roomId}/${b.drawingId}`)));
    if (deps.faultDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, deps.faultDelayMs));
    const predictions: Prediction[] = live.map((b, i) => {
      const { recognition, inferenceMs } = results[i] as (typeof results)[number];
      return {
        ...recognition,
        roomId: b.roomId,
        drawingId: b.drawingId,
        revision: b.revision,
        inferenceMs,
        latencyMs: Math.max(0, Date.now() - b.acceptedAtMs),
      };
    });
    const shown = (await deps.redis.eval(
      PUBLISH_SCRIPT,
      live.length,
      ...live.map((b) => keys.shownRevision(b.roomId)),
      keys.predictions,
      ...predictions.flatMap((p, i) => [String(p.revision), live[i]?.explicit ? '1' : '0', JSON.stringify(p)]),
    )) as number[];
    // Stored after they are shown (the room sees them sooner); a failed insert fails the job, whose retry
    // stores them (already shown ones are not shown again).
    await Promise.all(predictions.map((p) => deps.rooms.insertPrediction(p)));
    const outcomes = predictions.map((p, i): BoardOutcome => {
      const s = Number(shown[i]);
      return s === -1
        ? { type: 'published', roomId: p.roomId, revision: p.revision, text: p.text, modelVersion: p.modelVersion }
        : { type: 'stale', roomId: p.roomId, revision: p.revision, shownRevision: s };
    });
    return { boards: [...outcomes, ...skipped] };
  };
}
