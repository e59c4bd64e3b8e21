/**
 * `metadata.json` of a model folder: written by the trainer, checked by every loader (the worker refuses a
 * model whose preprocessing version or input contract differs from its own).
 */
import { z } from 'zod';

/** Bumped whenever `preprocessDrawing` changes output for the same strokes. */
export const PREPROCESSING_VERSION = 1;

/** A model version: how folders, registry rows and the admin API name a model. */
export const ModelVersionSchema = z.string().regex(/^[\w.-]{1,64}$/, 'model versions are 1–64 letters, digits, ".", "-" or "_"');

export const ModelMetricsSchema = z.object({
  /** Accuracy on the 10k MNIST test set, in [0, 1]. */
  mnistTestAccuracy: z.number().min(0).max(1),
  /** Accuracy on the held-out user-labelled drawings, in [0, 1]; null when there were none. */
  userTestAccuracy: z.number().min(0).max(1).nullable().default(null),
  userTestCount: z.number().int().min(0).default(0),
  perClassAccuracy: z.array(z.number().min(0).max(1)).length(10),
  /** confusionMatrix[actual][predicted] = count. */
  confusionMatrix: z.array(z.array(z.number().int().min(0)).length(10)).length(10),
});
export type ModelMetrics = z.infer<typeof ModelMetricsSchema>;

export const ModelMetadataSchema = z.object({
  format: z.literal('inkling-model'),
  version: z.string().min(1).max(64),
  parentVersion: z.string().nullable().default(null),
  architecture: z.object({ name: z.string(), options: z.record(z.string(), z.unknown()), multiplyAdds: z.number().int() }),
  input: z.object({
    shape: z.tuple([z.literal(28), z.literal(28), z.literal(1)]),
    range: z.tuple([z.literal(0), z.literal(1)]),
    ink: z.literal('white-on-black'),
  }),
  preprocessingVersion: z.number().int(),
  dataset: z.object({
    fingerprint: z.string(),
    mnistTrainCount: z.number().int().min(0),
    userTrainCount: z.number().int().min(0).default(0),
    userTestCount: z.number().int().min(0).default(0),
  }),
  training: z.object({
    command: z.string(),
    epochs: z.number().int().min(0),
    batchSize: z.number().int().min(1),
    seed: z.number().int(),
    trainingTimeMs: z.number().min(0),
    backend: z.string(),
    imagesPerSec: z.number().min(0),
  }),
  metrics: ModelMetricsSchema,
  createdAt: z.string(),
});
export type ModelMetadata = z.infer<typeof ModelMetadataSchema>;
