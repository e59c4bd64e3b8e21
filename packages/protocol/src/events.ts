/**
 * The Socket.IO contract between browsers (and third-party clients) and the gateway. Every client → server
 * event takes a payload and an acknowledgement callback; the ack is `{ ok: true, ... }` or
 * `{ ok: false, error: { code, message } }`. Payloads are validated with the schemas below; an invalid one
 * is answered with `INVALID_PAYLOAD` and changes nothing.
 */
import { z } from 'zod';
import { LIMITS, PointSchema, type Stroke, StrokeIdSchema, StrokeSchema } from './drawing.js';
import type { AckResult } from './errors.js';
import { RecognitionSchema } from './prediction.js';

export const RoomIdSchema = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'room ids are 8–64 letters, digits, "_" or "-"');
export const UserIdSchema = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'user ids are 8–64 letters, digits, "_" or "-"');

export const MemberSchema = z.object({
  userId: z.string(),
  name: z.string(),
  /** CSS colour used to tint this person's strokes. */
  color: z.string(),
});
export type Member = z.infer<typeof MemberSchema>;

export type BoardStroke = Stroke & { authorId: string };

/** A prediction for one board revision, as broadcast to the room. */
export const PredictionSchema = RecognitionSchema.extend({
  roomId: z.string(),
  /** Identifies the drawing (the board between two clears) the prediction is for. */
  drawingId: z.number().int(),
  revision: z.number().int().min(0),
  /** Stroke commit received by the gateway → prediction published, in ms. */
  latencyMs: z.number().min(0),
  /** Time spent in preprocessing and the model, in ms. */
  inferenceMs: z.number().min(0),
});
export type Prediction = z.infer<typeof PredictionSchema>;

export interface Board {
  /** Increases with every change to the room's board (commit, undo, redo, clear, load). */
  revision: number;
  drawingId: number;
  strokes: BoardStroke[];
  members: Member[];
  /** The latest prediction for this drawing, or null before the first one. */
  prediction: Prediction | null;
}

// ---- client → server payloads ----

export const JoinPayloadSchema = z
  .object({
    /** Omit to create a new room with an unguessable id. */
    roomId: RoomIdSchema.optional(),
    name: z.string().trim().min(1).max(LIMITS.maxNameLength),
    /** The id the server gave this person before; sending it back keeps their undo history across reconnects. */
    userId: UserIdSchema.optional(),
  })
  .strict();

export const LiveStrokePayloadSchema = z
  .object({
    strokeId: StrokeIdSchema,
    /** New points of a stroke still being drawn (not the whole stroke). */
    points: z.array(PointSchema).min(1).max(LIMITS.maxLivePointsPerEvent),
  })
  .strict();

export const CommitPayloadSchema = z.object({ stroke: StrokeSchema.strict() }).strict();

export const EmptyPayloadSchema = z.object({}).strict();

/** The digits a drawing really shows, e.g. "7" or "42" (a label for retraining). */
export const LabelTextSchema = z.string().regex(/^\d{1,12}$/, 'a label is 1–12 digits');

export const LabelPayloadSchema = z
  .object({
    revision: z.number().int().min(0),
    text: LabelTextSchema,
  })
  .strict();

export const LoadPayloadSchema = z.object({ strokes: z.array(StrokeSchema.strict()).min(1).max(LIMITS.maxStrokesPerBoard) }).strict();

export type JoinPayload = z.infer<typeof JoinPayloadSchema>;
export type LiveStrokePayload = z.infer<typeof LiveStrokePayloadSchema>;
export type CommitPayload = z.infer<typeof CommitPayloadSchema>;
export type LabelPayload = z.infer<typeof LabelPayloadSchema>;
export type LoadPayload = z.infer<typeof LoadPayloadSchema>;
export type EmptyPayload = z.infer<typeof EmptyPayloadSchema>;

export type JoinAck = AckResult<{ roomId: string; userId: string; board: Board }>;
export type RevisionAck = AckResult<{ revision: number }>;
export type PlainAck = AckResult;

export interface ClientToServerEvents {
  /** Join (or create) a room. Ack: the room id, your user id and the whole board. */
  'room:join': (payload: JoinPayload, ack: (res: JoinAck) => void) => void;
  /** Points of a stroke being drawn, relayed to the other members as they arrive. Ack: `{ ok }`. */
  'stroke:live': (payload: LiveStrokePayload, ack: (res: PlainAck) => void) => void;
  /** A finished stroke: appended to the board, which is then recognized at the new revision. */
  'stroke:commit': (payload: CommitPayload, ack: (res: RevisionAck) => void) => void;
  /** Removes the caller's own most recent stroke (never someone else's). Payload `{}`. */
  'board:undo': (payload: EmptyPayload, ack: (res: RevisionAck) => void) => void;
  /** Restores the caller's most recently undone stroke. Payload `{}`. */
  'board:redo': (payload: EmptyPayload, ack: (res: RevisionAck) => void) => void;
  /** Archives the drawing into the room's history and starts an empty board. Payload `{}`. */
  'board:clear': (payload: EmptyPayload, ack: (res: RevisionAck) => void) => void;
  /** Asks for a fresh recognition of the current board (the Recognize button). Payload `{}`. */
  'board:recognize': (payload: EmptyPayload, ack: (res: RevisionAck) => void) => void;
  /** States what the drawing at `revision` (current or archived) really is; stored for retraining. */
  'board:label': (payload: LabelPayload, ack: (res: PlainAck) => void) => void;
  /** Adds saved strokes to the board in one revision (Load); they are recognized like a commit. */
  'board:load': (payload: LoadPayload, ack: (res: RevisionAck) => void) => void;
  /**
   * Liveness probe, payload `{}`: answered `{ ok: true }` at once, outside the connection's ordered queue
   * (a slow commit does not delay it) and without a room. A client sends it when it has heard nothing for
   * a moment, so it notices a dead network in about a second instead of after Socket.IO's heartbeat
   * (~45 s). At most 10 per second are answered per connection; more get no answer.
   */
  'connection:ping': (payload: EmptyPayload, ack: (res: PlainAck) => void) => void;
}

export interface ServerToClientEvents {
  /** Someone's stroke in progress (never echoed to its author). */
  'stroke:live': (payload: { strokeId: string; authorId: string; points: z.infer<typeof PointSchema>[] }) => void;
  /** A stroke was added to the board (a commit, a redo or a load). */
  'stroke:committed': (payload: { stroke: Stroke; authorId: string; revision: number }) => void;
  /** A stroke was taken off the board (an undo). */
  'stroke:removed': (payload: { strokeId: string; revision: number }) => void;
  /** The board was archived and is now empty. */
  'board:cleared': (payload: { revision: number; drawingId: number; archivedDrawingId: number }) => void;
  /** Everyone in the room now. */
  members: (payload: { members: Member[] }) => void;
  /** A recognition result; never sent for a revision older than one already sent to the room. */
  prediction: (payload: Prediction) => void;
}

export type InterServerEvents = Record<never, never>;

export interface SocketData {
  userId: string;
  name: string;
  roomId: string;
  color: string;
}
