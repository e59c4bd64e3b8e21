/**
 * `metadata.json` of a model folder: written by the trainer, checked by every loader (the worker refuses a
 * model whose preprocessing version or input contract differs from its own).
 */
import { z } from 'zod';

/** Bumped whenever `preprocessDrawing` changes output for the same strokes. */
export const PREPROCESSING_VERSION = 1;

/** A model version: how folders, registry rows and the admin API name a model. */
export const ModelVersionSchema = z.string().regex(/^[\w.-]{1,64}$/, 'model versions are 1–64 letters, digits, ".", "-" or "_"');

/**
 * Figures on the held-out pen writers (data/pendigits/split.json, test set), measured through the live path:
 * segmentation, preprocessing and the served inference graph. Absent for models measured before it existed.
 */
export const PenMetricsSchema = z.object({
  /** Single digits read right (as the whole board's text), in [0, 1]. */
  accuracy: z.number().min(0).max(1),
  count: z.number().int().min(0),
  writers: z.array(z.number().int()),
  /** Numbers of 2–4 held-out digits side by side read right as a whole, in [0, 1]. */
  numberAccuracy: z.number().min(0).max(1).nullable().default(null),
  numberCount: z.number().int().min(0).default(0),
  /** Share of held-out digits answered "not a digit" (a false rejection), in [0, 1]. */
  digitsRejected: z.number().min(0).max(1).nullable().default(null),
  /** Share of generated non-digits (dots, lines, scribbles, letters…) answered "not a digit", in [0, 1]. */
  nonDigitsRejected: z.number().min(0).max(1).nullable().default(null),
  /** Expected calibration error of the top-class probability on the held-out digits, in [0, 1]. */
  expectedCalibrationError: z.number().min(0).max(1).nullable().default(null),
});
export type PenMetrics = z.infer<typeof PenMetricsSchema>;

export const ModelMetricsSchema = z.object({
  /** Accuracy on the 10k MNIST test set, in [0, 1]. */
  mnistTestAccuracy: z.number().min(0).max(1),
  /** Accuracy on the held-out user-labelled drawings, in [0, 1]; null when there were none. */
  userTestAccuracy: z.number().min(0).max(1).nullable().default(null),
  userTestCount: z.number().int().min(0).default(0),
  perClassAccuracy: z.array(z.number().min(0).max(1)).length(10),
  /** confusionMatrix[actual][predicted] = count. */
  confusionMatrix: z.array(z.array(z.number().int().min(0)).length(10)).length(10),
  /** Held-out pen writers' figures (`npm run eval -- <model> --pen --record`); absent or null when not measured. */
  pen: PenMetricsSchema.nullable().optional(),
});
export type ModelMetrics = z.infer<typeof ModelMetricsSchema>;

/** How an 11-class model's probabilities were calibrated and what its "not a digit" threshold means. */
export const CalibrationSchema = z.object({
  /** Softmax temperature fitted on the validation writers; already folded into the output layer. */
  temperature: z.number().positive(),
  /** A digit group is "not a digit" when the calibrated probability of that class is at least this. */
  notDigitThreshold: z.number().min(0).max(1),
  /** On the validation writers and validation non-digits, at that threshold. */
  validationDigitsRejected: z.number().min(0).max(1),
  validationNonDigitsRejected: z.number().min(0).max(1),
  /** Expected calibration error (15 bins) on the validation set before and after temperature scaling. */
  eceBefore: z.number().min(0).max(1),
  eceAfter: z.number().min(0).max(1),
  validationCount: z.number().int().min(0),
});
export type Calibration = z.infer<typeof CalibrationSchema>;

export const ModelMetadataSchema = z.object({
  format: z.literal('inkling-model'),
  version: z.string().min(1).max(64),
  parentVersion: z.string().nullable().default(null),
  architecture: z.object({ name: z.string(), options: z.record(z.string(), z.unknown()), multiplyAdds: z.number().int() }),
  input: z.object({
    shape: z.tuple([z.literal(28), z.literal(28), z.literal(1)]),
    range: z.tuple([z.literal(0), z.literal(1)]),
    ink: z.literal('white-on-black'),
    /**
     * The pen width (px of the 28×28 image) the live path draws this model's input with; absent: the default
     * of `DEFAULT_PREPROCESS` (3.2 px, chosen for MNIST-only models). Chosen by measurement on the validation
     * writers when the model is calibrated (`npm run calibrate -- --pen-width-px`).
     */
    penWidthPx: z.number().min(0.5).max(8).optional(),
  }),
  preprocessingVersion: z.number().int(),
  dataset: z.object({
    fingerprint: z.string(),
    mnistTrainCount: z.number().int().min(0),
    userTrainCount: z.number().int().min(0).default(0),
    userTestCount: z.number().int().min(0).default(0),
    /** Pen-drawn digits trained on (training writers of data/pendigits); 0 for MNIST-only models. */
    penTrainCount: z.number().int().min(0).optional(),
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
  /** Present for models with the "not a digit" class. */
  calibration: CalibrationSchema.nullable().optional(),
  createdAt: z.string(),
});
export type ModelMetadata = z.infer<typeof ModelMetadataSchema>;
