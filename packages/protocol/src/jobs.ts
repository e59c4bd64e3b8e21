/** BullMQ job payloads between the gateway (producer) and the workers (consumers). */
import { z } from 'zod';
import { StrokeSchema } from './drawing.js';

export const RECOGNITION_QUEUE = 'recognition';

/** Most boards one recognition job carries. */
export const MAX_BOARDS_PER_JOB = 64;

/** One board revision to recognize. */
export const BoardRevisionSchema = z.object({
  roomId: z.string(),
  drawingId: z.number().int(),
  revision: z.number().int().min(0),
  /** The board's strokes at `revision`. */
  strokes: z.array(StrokeSchema),
  /** Epoch ms when the gateway accepted the change that led to this revision. */
  acceptedAtMs: z.number(),
  /** True for an explicit Recognize: never skipped as stale. */
  explicit: z.boolean().default(false),
});
export type BoardRevision = z.infer<typeof BoardRevisionSchema>;

/**
 * A recognition job: the board revisions one gateway accepted in the same moment (usually one; several
 * under load, in any rooms), recognized with one batched model call and published together.
 */
export const RecognitionJobDataSchema = z.object({
  boards: z.array(BoardRevisionSchema).min(1).max(MAX_BOARDS_PER_JOB),
});
export type RecognitionJobData = z.infer<typeof RecognitionJobDataSchema>;

/** What became of one board of a job. */
export type BoardOutcome =
  | { type: 'published'; roomId: string; revision: number; text: string; modelVersion: string }
  | { type: 'superseded'; roomId: string; revision: number; latestRevision: number }
  | { type: 'stale'; roomId: string; revision: number; shownRevision: number };

export interface RecognitionJobResult {
  boards: BoardOutcome[];
}

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
