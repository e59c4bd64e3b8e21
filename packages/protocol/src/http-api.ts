/** Shapes of the gateway's HTTP API responses, shared by the gateway and its clients. */
import { z } from 'zod';
import { StrokeSchema } from './drawing.js';
import { PredictionSchema } from './events.js';

export const HistoryItemSchema = z.object({
  drawingId: z.number().int(),
  startedAt: z.string(),
  archivedAt: z.string(),
  finalRevision: z.number().int(),
  strokeCount: z.number().int(),
  prediction: PredictionSchema.pick({ text: true, confidence: true, lowConfidence: true, modelVersion: true, revision: true }).nullable(),
  label: z.object({ text: z.string(), createdAt: z.string() }).nullable(),
});
export type HistoryItem = z.infer<typeof HistoryItemSchema>;

export const HistoryPageSchema = z.object({
  items: z.array(HistoryItemSchema),
  /** Pass as `before` to get the next (older) page; null on the last page. */
  nextBefore: z.number().int().nullable(),
});
export type HistoryPage = z.infer<typeof HistoryPageSchema>;

export const DrawingDetailSchema = z.object({
  drawingId: z.number().int(),
  roomId: z.string(),
  startedAt: z.string(),
  archivedAt: z.string().nullable(),
  finalRevision: z.number().int().nullable(),
  strokes: z.array(StrokeSchema.extend({ authorId: z.string() })),
  predictions: z.array(PredictionSchema),
  labels: z.array(z.object({ text: z.string(), revision: z.number().int(), userId: z.string(), createdAt: z.string() })),
});
export type DrawingDetail = z.infer<typeof DrawingDetailSchema>;

export const HttpErrorSchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });
