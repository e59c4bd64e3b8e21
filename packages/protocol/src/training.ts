/**
 * The retraining contract: the `training` BullMQ queue's job payload and result, the model registry's
 * records, the model-change events workers follow, and the admin API's shapes.
 */
import { z } from 'zod';
import { StrokeSchema } from './drawing.js';
import { ModelMetricsSchema } from './model-metadata.js';
import { TrainingProgressSchema } from './training-progress.js';

export const TRAINING_QUEUE = 'training';

/** Options of every training job: run once (a crash fails it, never reruns it); keep the last 100 results. */
export const TRAINING_JOB_OPTIONS = { attempts: 1, removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } } as const;

/** Job states in which a training job counts as queued or running: one at a time, so a new request is refused. */
export const TRAINING_BUSY_STATES = ['active', 'waiting', 'delayed', 'prioritized'] as const;

export const RetrainOptionsSchema = z
  .object({
    epochs: z.number().int().min(1).max(50).default(3),
    /** Start from the promoted model (fine-tune) or from random weights. */
    mode: z.enum(['fine-tune', 'scratch']).default('fine-tune'),
    /** Share of each epoch's images drawn from user-labelled drawings (oversampled when there are few). */
    userShare: z.number().min(0).max(0.9).default(0.2),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 31 - 1)
      .default(1),
    /** Train on the first N MNIST training images only (fast runs); all 60,000 when absent. */
    mnistLimit: z.number().int().min(64).max(60000).optional(),
    /** Peak learning rate; fine-tuning defaults to a tenth of training from scratch. */
    learningRate: z.number().positive().max(1).optional(),
  })
  .strict();
export type RetrainOptions = z.infer<typeof RetrainOptionsSchema>;

export const TrainingJobDataSchema = z.object({
  options: RetrainOptionsSchema,
  requestedBy: z.string().max(64),
  requestedAt: z.string(),
});
export type TrainingJobData = z.infer<typeof TrainingJobDataSchema>;

export const GateDecisionSchema = z.object({
  promoted: z.boolean(),
  reason: z.string(),
  /** The promoted model's metrics on the same test sets, when there was one. */
  baseline: z.object({ version: z.string(), mnistTestAccuracy: z.number(), userTestAccuracy: z.number().nullable() }).nullable(),
});
export type GateDecision = z.infer<typeof GateDecisionSchema>;

export const TrainingJobResultSchema = z.object({
  version: z.string(),
  metrics: ModelMetricsSchema,
  decision: GateDecisionSchema,
  trainingTimeMs: z.number(),
});
export type TrainingJobResult = z.infer<typeof TrainingJobResultSchema>;

export const MODEL_STATUSES = ['candidate', 'promoted', 'rejected', 'retired'] as const;
export const ModelStatusSchema = z.enum(MODEL_STATUSES);
export type ModelStatus = z.infer<typeof ModelStatusSchema>;

export const ModelRecordSchema = z.object({
  version: z.string(),
  parentVersion: z.string().nullable(),
  status: ModelStatusSchema,
  /** Folder name under the shared models directory (MODELS_DIR). */
  folder: z.string(),
  metrics: ModelMetricsSchema,
  dataCounts: z.object({ mnistTrain: z.number().int(), userTrain: z.number().int(), userTest: z.number().int() }),
  trainingTimeMs: z.number(),
  backend: z.string(),
  reason: z.string().nullable(),
  createdAt: z.string(),
  promotedAt: z.string().nullable(),
});
export type ModelRecord = z.infer<typeof ModelRecordSchema>;

/** Published on the models channel; workers switch to the promoted folder. */
export const ModelEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('promoted'), version: z.string(), folder: z.string() }),
]);
export type ModelEvent = z.infer<typeof ModelEventSchema>;

export const TRAINING_JOB_STATES = [
  'waiting',
  'active',
  'completed',
  'failed',
  'delayed',
  'prioritized',
  'waiting-children',
  'unknown',
] as const;

export const TrainingJobViewSchema = z.object({
  id: z.string(),
  state: z.enum(TRAINING_JOB_STATES),
  options: RetrainOptionsSchema,
  requestedAt: z.string(),
  /** Progress events so far (epoch ends and a sample of batches), oldest first. */
  curve: z.array(TrainingProgressSchema),
  result: TrainingJobResultSchema.nullable(),
  failedReason: z.string().nullable(),
});
export type TrainingJobView = z.infer<typeof TrainingJobViewSchema>;

export const ReviewItemSchema = z.object({
  drawingId: z.number().int(),
  roomId: z.string(),
  revision: z.number().int(),
  strokes: z.array(StrokeSchema),
  predictedText: z.string(),
  confidence: z.number(),
  lowConfidence: z.boolean(),
  label: z.string().nullable(),
  at: z.string(),
});
export type ReviewItem = z.infer<typeof ReviewItemSchema>;

export const QueueCountsSchema = z.record(z.string(), z.number().int());
export const QueueStatsSchema = z.object({
  queues: z.array(
    z.object({
      name: z.string(),
      counts: QueueCountsSchema,
      workers: z.number().int(),
      failed: z.array(z.object({ id: z.string(), name: z.string(), failedReason: z.string(), at: z.string() })),
    }),
  ),
});
export type QueueStats = z.infer<typeof QueueStatsSchema>;

/** Redis keys of retraining, under the deployment prefix. */
export function trainingKeys(prefix: string) {
  return {
    /** Pub/sub channel of ModelEvent JSON. */
    models: `${prefix}:models`,
    /** List of TrainingProgress JSON of a job (its live curve). */
    curve: (jobId: string) => `${prefix}:training:${jobId}:curve`,
    /** Set when an admin cancels a job; the trainer stops at the next batch. */
    cancel: (jobId: string) => `${prefix}:training:${jobId}:cancel`,
  };
}
