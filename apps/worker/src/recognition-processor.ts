/**
 * Processes one recognition job: skip it if a newer revision of the board is already queued, else
 * recognize the strokes, publish the prediction to the gateways only if no newer revision was published
 * for the room meanwhile (an atomic compare-and-publish in Redis), and store it.
 */

import {
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

/** Returns -1 when published, else the revision already shown. */
const PUBLISH_SCRIPT = `
local shown = tonumber(redis.call('GET', KEYS[1]) or '-1')
local rev = tonumber(ARGV[1])
if rev > shown or (ARGV[2] == '1' and rev == shown) then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', 86400)
  redis.call('PUBLISH', ARGV[3], ARGV[4])
  return -1
end
return shown`;

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
  return async (job: Job<RecognitionJobData, RecognitionJobResult, RecognitionJobName>): Promise<RecognitionJobResult> => {
    const parsed = RecognitionJobDataSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`invalid recognition job: ${parsed.error.issues[0]?.message}`);
    const data = parsed.data;
    if (!data.explicit) {
      const latest = Number((await deps.redis.get(keys.latestRevision(data.roomId))) ?? -1);
      if (latest > data.revision) return { type: 'superseded', revision: data.revision, latestRevision: latest };
    }
    const { recognition, inferenceMs } = await deps.batcher.recognize(data.strokes);
    if (deps.faultDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, deps.faultDelayMs));
    const prediction: Prediction = {
      ...recognition,
      roomId: data.roomId,
      drawingId: data.drawingId,
      revision: data.revision,
      inferenceMs,
      latencyMs: Math.max(0, Date.now() - data.acceptedAtMs),
    };
    const shown = Number(
      await deps.redis.eval(
        PUBLISH_SCRIPT,
        1,
        keys.shownRevision(data.roomId),
        String(data.revision),
        data.explicit ? '1' : '0',
        keys.predictions,
        JSON.stringify(prediction),
      ),
    );
    // Stored after it is shown (the room sees it sooner); a failed insert fails the job, whose retry stores it.
    await deps.rooms.insertPrediction(prediction);
    if (shown !== -1) return { type: 'stale', revision: data.revision, shownRevision: shown };
    return { type: 'published', revision: data.revision, text: recognition.text, modelVersion: recognition.modelVersion };
  };
}
