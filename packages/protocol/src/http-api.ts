/**
 * The gateway's HTTP API: request parameters and response shapes, shared by the gateway (route validation
 * and the OpenAPI document at `/api/docs`) and its clients. A room id is the capability to read that
 * room: drawings are reachable only through their room, and a drawing of another room is answered exactly
 * like one that does not exist.
 */
import { z } from 'zod';
import { StrokeSchema } from './drawing.js';
import { LabelTextSchema, PredictionSchema, RoomIdSchema } from './events.js';

export const HistoryItemSchema = z.object({
  drawingId: z.number().int(),
  startedAt: z.string(),
  archivedAt: z.string(),
  finalRevision: z.number().int(),
  strokeCount: z.number().int(),
  prediction: PredictionSchema.pick({ text: true, confidence: true, lowConfidence: true, modelVersion: true, revision: true })
    /** Some shape of the drawing is not a digit (then `text` is empty). Absent from older gateways: false. */
    .extend({ notDigit: z.boolean().default(false) })
    .nullable(),
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
  /** The revision these strokes are at: the final one of an archived drawing, the room's for the current one. */
  revision: z.number().int(),
  startedAt: z.string(),
  archivedAt: z.string().nullable(),
  finalRevision: z.number().int().nullable(),
  strokes: z.array(StrokeSchema.extend({ authorId: z.string() })),
  predictions: z.array(PredictionSchema),
  labels: z.array(z.object({ text: z.string(), revision: z.number().int(), userId: z.string(), createdAt: z.string() })),
});
export type DrawingDetail = z.infer<typeof DrawingDetailSchema>;

export const HttpErrorSchema = z.object({
  error: z.object({
    /** Stable, e.g. NOT_FOUND, INVALID_QUERY, RATE_LIMITED, ADMIN_UNAUTHORIZED. */
    code: z.string(),
    message: z.string(),
  }),
});
export type HttpErrorBody = z.infer<typeof HttpErrorSchema>;

// ---- request parameters ----

export const RoomParamsSchema = z.object({ roomId: RoomIdSchema }).strict();

export const HistoryQuerySchema = z
  .object({
    /** Items per page, 1–100. */
    limit: z.coerce.number().int().min(1).max(100).default(20),
    /** `nextBefore` of the previous page. */
    before: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
  })
  .strict();

export const DrawingIdSchema = z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

export const DrawingParamsSchema = z.object({ roomId: RoomIdSchema, drawingId: DrawingIdSchema }).strict();

/** PNG sizes in pixels (a short list, so every picture can be cached). */
export const PNG_SIZES_PX = [28, 64, 128, 280, 512, 1024] as const;

export const PngQuerySchema = z
  .object({
    /** Width and height in pixels: one of 28, 64, 128, 280, 512, 1024 (default 280). */
    size: z.coerce
      .number()
      .int()
      .refine((n) => (PNG_SIZES_PX as readonly number[]).includes(n), `size is one of ${PNG_SIZES_PX.join(', ')}`)
      .default(280),
  })
  .strict();

export const HealthSchema = z.object({
  status: z.enum(['ok', 'degraded']),
  checks: z.record(z.string(), z.boolean()),
});

// ---- admin ----

export const JobIdParamsSchema = z.object({ id: z.string().regex(/^\d{1,12}$/, 'job ids are numbers') }).strict();

export const ReviewQuerySchema = z.object({ limit: z.coerce.number().int().min(1).max(200).default(50) }).strict();

export const ReviewLabelSchema = z
  .object({
    drawingId: z.number().int().min(1),
    revision: z.number().int().min(0),
    text: LabelTextSchema,
  })
  .strict();

export const ModelActionBodySchema = z.object({ reason: z.string().max(200).optional() }).strict();
