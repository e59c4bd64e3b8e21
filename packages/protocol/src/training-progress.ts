/**
 * Progress of a training run, published by the trainer (CLI progress bar, admin UI curves over Socket.IO).
 * A union keyed on `type`.
 */
import { z } from 'zod';

const Common = {
  epoch: z.number().int().min(1),
  epochs: z.number().int().min(1),
  /** Mean loss / accuracy over the batches of this epoch so far. */
  loss: z.number(),
  accuracy: z.number().min(0).max(1),
  imagesPerSec: z.number().min(0),
  /** Estimated time to the end of the run, in seconds. */
  etaSec: z.number().min(0),
};

export const TrainingProgressSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('batch'), ...Common, batch: z.number().int().min(1), batches: z.number().int().min(1) }),
  z.object({
    type: z.literal('epoch'),
    ...Common,
    /** Accuracy on the validation images at the end of the epoch, in [0, 1]. */
    validationAccuracy: z.number().min(0).max(1).nullable(),
  }),
]);
export type TrainingProgress = z.infer<typeof TrainingProgressSchema>;
