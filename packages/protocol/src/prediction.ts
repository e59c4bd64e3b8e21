/** What the recognizer says about a board: the number read left to right, and each digit's details. */
import { z } from 'zod';
import { BoxSchema } from './drawing.js';

/** Below this confidence a digit (or the whole number) is shown as "not sure". */
export const LOW_CONFIDENCE = 0.6;

export const DigitPredictionSchema = z.object({
  digit: z.number().int().min(0).max(9),
  /** Probability of `digit`, in [0, 1]. */
  confidence: z.number().min(0).max(1),
  /** The 10 class probabilities, index = digit. */
  probabilities: z.array(z.number().min(0).max(1)).length(10),
  /** Where this digit's strokes lie on the board (board units). */
  box: BoxSchema,
  /** Ids of the strokes that form this digit. */
  strokeIds: z.array(z.string()),
  /**
   * True when these strokes are not a digit: the model's answer is "not a digit" (a dot, a scribble, a line, a
   * letter), or the ink is a speck too small to be a digit (`isSpeck`, whatever the model). `digit` and
   * `confidence` then describe the most likely digit, which is not shown as the reading. Models without a
   * not-a-digit class say true only for specks. Absent in data written before it existed.
   */
  notDigit: z.boolean().default(false),
  /** The model's calibrated probability that these strokes are not a digit (0 for models without that class). */
  notDigitProbability: z.number().min(0).max(1).default(0),
});
export type DigitPrediction = z.infer<typeof DigitPredictionSchema>;

export const RecognitionSchema = z.object({
  /** The digits read left to right ("2026"), specks left out; "" for an empty board and when `notDigit` is true. */
  text: z.string(),
  digits: z.array(DigitPredictionSchema),
  /** Probability that the whole number is right: the product of the digits' confidences (1 when empty). */
  confidence: z.number().min(0).max(1),
  /** True when `confidence` is below LOW_CONFIDENCE: the UI says "not sure". */
  lowConfidence: z.boolean(),
  /**
   * True when some group of strokes on the board is not a digit (see DigitPrediction.notDigit), specks aside, or
   * the board holds specks alone: the board is not read as a number, `text` is "" and the UI says "not a digit".
   * Specks beside other ink are left out of `text` and `confidence`. Absent in data written before it existed.
   */
  notDigit: z.boolean().default(false),
  modelVersion: z.string(),
});
export type Recognition = z.infer<typeof RecognitionSchema>;
