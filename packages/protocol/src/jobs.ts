/**
 * BullMQ recognition jobs between the gateways (producers) and the workers (consumers), and the Redis keys
 * both sides share. A job names rooms, not boards: the worker reads each room's latest board from Postgres
 * (only what changed since the board it last saw), so a job costs the same whatever the size of the board —
 * or, when the job carries the one change that made the revision and the worker holds the board before it,
 * applies that change without reading at all.
 */
import { z } from 'zod';
import { isPoint, type Point } from './drawing.js';
import { PipelineTraceSchema } from './pipeline-trace.js';

export const RECOGNITION_QUEUE = 'recognition';

/** Most rooms one recognition job names. */
export const MAX_BOARDS_PER_JOB = 64;

/** A non-empty array of points, each checked by `isPoint` (the rule of `PointSchema`). */
const arePoints = (value: unknown): value is Point[] => Array.isArray(value) && value.length > 0 && value.every(isPoint);

/**
 * The change that made a request's revision, when the gateway knows it whole: a worker holding the board at
 * the revision before (`baseRevision`) applies it instead of reading the board back from Postgres. Only the
 * change travels (one stroke, or nothing for a cleared board), never the board; a worker without that exact
 * board reads it as usual.
 */
export const BoardChangeSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('stroke-added'),
    drawingId: z.number().int().min(0),
    baseRevision: z.number().int().min(0),
    /** The strokes table's row id: the worker's board knows strokes by row. */
    rowId: z.number().int().min(0),
    strokeId: z.string(),
    /**
     * Checked with one plain loop rather than a schema per point: the gateway validated these points when they
     * arrived, and a job is the project's own data (a malformed one still fails here, as a whole).
     */
    points: z.custom<Point[]>(arePoints, 'expected a non-empty array of [x, y, t] points'),
  }),
  /** The board was cleared: an empty drawing, whatever came before. */
  z.object({ type: z.literal('cleared'), drawingId: z.number().int().min(0) }),
]);
export type BoardChange = z.infer<typeof BoardChangeSchema>;

/** Most points a change may carry in a job; a longer stroke is read from Postgres instead. */
export const MAX_CHANGE_POINTS = 600;

/**
 * A room that needs recognition. Whatever revision asked, the worker recognizes the room's latest one, so
 * one waiting request covers every change made before the worker reads the board.
 */
export const BoardRevisionSchema = z.object({
  roomId: z.string(),
  /** The revision that asked (the worker may find a newer one). */
  revision: z.number().int().min(0),
  /** Epoch ms when the oldest change this request covers was accepted: the start of its latency. */
  acceptedAtMs: z.number(),
  /**
   * An explicit Recognize asked for this room: its prediction is shown even when its revision was shown before.
   * (One asked while the room already had a job sets the room's `explicit` key instead; see `redisKeys`.)
   */
  explicit: z.boolean().optional(),
  /** What made `revision` (see `BoardChangeSchema`); absent when the request covers several changes. */
  change: BoardChangeSchema.optional(),
  /** Hop times so far, when the gateway traces the pipeline (`PIPELINE_TRACE`; see pipeline-trace.ts). */
  trace: PipelineTraceSchema.optional(),
});
export type BoardRevision = z.infer<typeof BoardRevisionSchema>;

/**
 * A recognition job: the rooms one gateway asked for in the same moment (usually one; several under load),
 * recognized with one batched model call and published together. At most one request per room waits in
 * the queue (see `redisKeys().pending`).
 */
export const RecognitionJobDataSchema = z.object({
  boards: z.array(BoardRevisionSchema).min(1).max(MAX_BOARDS_PER_JOB),
});
export type RecognitionJobData = z.infer<typeof RecognitionJobDataSchema>;

/** What became of one room of a job. */
export type BoardOutcome =
  /** Recognized, stored, and published to the room. */
  | { type: 'published'; roomId: string; revision: number; text: string; modelVersion: string }
  /** Its latest revision already had a stored prediction (a duplicate request): nothing to do. */
  | { type: 'up-to-date'; roomId: string; revision: number }
  /** Recognized, but another worker stored or showed a newer revision first: not shown. */
  | { type: 'stale'; roomId: string; revision: number }
  /** The room no longer exists. */
  | { type: 'gone'; roomId: string }
  /** Recognition failed; the job is retried for this room (the others are done). */
  | { type: 'failed'; roomId: string; revision: number; error: string };

export interface RecognitionJobResult {
  boards: BoardOutcome[];
}

export type RecognitionJobName = 'recognize';

/**
 * Retries of a recognition job: exponential from `baseMs`, capped at `maxMs`, `attempts` in all — about
 * 75 s of trying, so a job outlives a 30 s Postgres or Redis outage. The reconciler catches anything later.
 */
export const RECOGNITION_RETRY = { attempts: 20, baseMs: 200, maxMs: 5000 } as const;

/**
 * A room's pending marker expires after this long, so a room whose job was lost while its marker stayed
 * (a crash between the two writes) is asked for again by its next change or the reconciler. A job waiting
 * longer than this may get a second one for its room: harmless, the later finds the room up to date.
 */
export const PENDING_TTL_MS = 30_000;

/** Options of every recognition job (gateways and workers add them). */
export const RECOGNITION_JOB_OPTIONS = {
  attempts: RECOGNITION_RETRY.attempts,
  // Computed by the workers' backoff strategy (recognitionRetryDelayMs).
  backoff: { type: 'capped-exponential' },
  // Results live in Postgres; a finished job has nothing more to say.
  removeOnComplete: true,
  removeOnFail: { count: 2000 },
} as const;

/** Delay before retry number `attemptsMade` (1 = the first retry). */
export function recognitionRetryDelayMs(attemptsMade: number): number {
  return Math.min(RECOGNITION_RETRY.maxMs, RECOGNITION_RETRY.baseMs * 2 ** Math.max(0, attemptsMade - 1));
}

/** Redis keys and channels shared by gateways and workers, under a deployment-wide prefix. */
export function redisKeys(prefix: string) {
  return {
    /** Pub/sub channel carrying Prediction JSON to every gateway. */
    predictions: `${prefix}:predictions`,
    /**
     * Set (with an expiry) while a job for the room waits in the queue or runs: requests made meanwhile add
     * no job. The worker clears it when the room's board is done and, if `latestRevision` moved past the
     * revision it recognized, asks again itself — so a busy room has one job at a time, queued behind others.
     */
    pending: (roomId: string) => `${prefix}:room:${roomId}:pending`,
    /** Newest revision any gateway asked recognition for (only ever raised). */
    latestRevision: (roomId: string) => `${prefix}:room:${roomId}:latest`,
    /** When the oldest change asked for while the room's job was already pending was accepted (epoch ms). */
    waitingSince: (roomId: string) => `${prefix}:room:${roomId}:since`,
    /**
     * Set by an explicit Recognize made while the room already had a job (waiting or running): that job's
     * worker takes it when it finishes the room and asks again as explicit, so the request is never lost.
     */
    explicit: (roomId: string) => `${prefix}:room:${roomId}:explicit`,
    /** Explicit Recognize requests in the current window (per-room rate limit). */
    recognizeWindow: (roomId: string) => `${prefix}:room:${roomId}:recognize-window`,
    /** Newest revision a prediction was published for. */
    shownRevision: (roomId: string) => `${prefix}:room:${roomId}:shown`,
  };
}
