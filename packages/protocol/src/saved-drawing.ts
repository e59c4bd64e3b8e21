/**
 * The JSON file written by Save and read by Load: every stroke with all its points and timings, so a saved
 * drawing loses nothing.
 */
import { z } from 'zod';
import { LIMITS, StrokeSchema } from './drawing.js';

export const SAVED_DRAWING_FORMAT = 'inkling-drawing';

export const SavedDrawingSchema = z
  .object({
    format: z.literal(SAVED_DRAWING_FORMAT),
    version: z.literal(1),
    savedAt: z.string(),
    roomId: z.string().optional(),
    revision: z.number().int().min(0).optional(),
    /** What the recognizer said when it was saved, for reference. */
    prediction: z.object({ text: z.string(), confidence: z.number() }).nullable().optional(),
    strokes: z.array(StrokeSchema).min(1).max(LIMITS.maxStrokesPerBoard),
  })
  .strict();
export type SavedDrawing = z.infer<typeof SavedDrawingSchema>;

export class SavedDrawingError extends Error {
  readonly code = 'INVALID_DRAWING_FILE';
  constructor(message: string) {
    super(message);
    this.name = 'SavedDrawingError';
  }
}

/** Parses a saved drawing's text; anything else is a SavedDrawingError with a readable reason. */
export function parseSavedDrawing(text: string): SavedDrawing {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new SavedDrawingError('the file is not JSON');
  }
  const parsed = SavedDrawingSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SavedDrawingError(`not an Inkling drawing: ${issue?.path.join('.') || 'file'}: ${issue?.message}`);
  }
  return parsed.data;
}
