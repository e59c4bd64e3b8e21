/** BullMQ job payloads between the gateway (producer) and the workers (consumers). */
import { z } from 'zod';
import { StrokeSchema } from './drawing.js';

export const RECOGNITION_QUEUE = 'recognition';

export const RecognitionJobDataSchema = z.object({
  roomId: z.string(),
  drawingId: z.number().int(),
  revision: z.number().int().min(0),
  /** The board's strokes at `revision`. */
  strokes: z.array(StrokeSchema),
  /** Epoch ms when the gateway accepted the change that led to this job. */
  acceptedAtMs: z.number(),
  /** True for an explicit Recognize: never skipped as stale. */
  explicit: z.boolean().default(false),
});
export type RecognitionJobData = z.infer<typeof RecognitionJobDataSchema>;

export type RecognitionJobResult =
  | { type: 'published'; revision: number; text: string; modelVersion: string }
  | { type: 'superseded'; revision: number; latestRevision: number }
  | { type: 'stale'; revision: number; shownRevision: number };

export type RecognitionJobName = 'recognize';

/** Redis keys and channels shared by gateways and workers, under a deployment-wide prefix. */
export function redisKeys(prefix: string) {
  return {
    /** Pub/sub channel carrying Prediction JSON to every gateway. */
    predictions: `${prefix}:predictions`,
    /** Newest revision the gateway has enqueued for a room. */
    latestRevision: (roomId: string) => `${prefix}:room:${roomId}:latest`,
    /** Newest revision a prediction was published for. */
    shownRevision: (roomId: string) => `${prefix}:room:${roomId}:shown`,
  };
}
