/**
 * The Socket.IO contract between browsers (and third-party clients) and the gateway. Every client → server
 * event takes a payload and an acknowledgement callback; the ack is `{ ok: true, ... }` or
 * `{ ok: false, error: { code, message } }`. Payloads are validated with the schemas below; an invalid one
 * is answered with `INVALID_PAYLOAD` and changes nothing.
 */
import { z } from 'zod';
import { IncomingPointsSchema, IncomingStrokeSchema, LIMITS, type PointSchema, type Stroke, StrokeIdSchema } from './drawing.js';
import type { AckResult, ErrorCode } from './errors.js';
import { RecognitionSchema } from './prediction.js';

export const RoomIdSchema = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'room ids are 8–64 letters, digits, "_" or "-"');
export const UserIdSchema = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'user ids are 8–64 letters, digits, "_" or "-"');

/** Controls, format characters (bidi overrides, zero-width), private use, unassigned, surrogates, line breaks. */
const FORBIDDEN_IN_NAME = /[\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Cs}\p{Zl}\p{Zp}]/u;
/** Letters that render as nothing (Hangul fillers, braille blank), and spaces other than U+0020. */
const BLANK_IN_NAME = /[\u115F\u1160\u3164\uFFA0\u2800]|(?! )\p{Zs}/u;
/** Stacked combining marks ("zalgo" text that spills over neighbouring lines). */
const STACKED_MARKS = /\p{M}{3,}/u;
const VISIBLE = /[\p{L}\p{N}\p{P}\p{S}]/u;

/**
 * A person's display name: 1–40 characters after trimming and NFC normalisation, with something visible
 * in it, and none of the characters that hide or disguise text (controls, bidi overrides, zero-width and
 * other format characters, blank letters, stacked combining marks).
 */
export const MemberNameSchema = z
  .string()
  .trim()
  .normalize('NFC')
  .min(1)
  .max(LIMITS.maxNameLength)
  .refine((n) => !FORBIDDEN_IN_NAME.test(n), 'names may not contain control, format (bidi, zero-width) or unassigned characters')
  .refine((n) => !BLANK_IN_NAME.test(n), 'names may not contain blank letters or unusual spaces')
  .refine((n) => !STACKED_MARKS.test(n), 'names may not stack combining marks')
  .refine((n) => VISIBLE.test(n), 'a name needs a visible character');

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

/**
 * Who you are is not part of any payload: the server gives a user id and a signed session token in the
 * `room:join` ack, and the client proves it on the next connection with `io(url, { auth: { token } })`.
 * A `userId` field is refused (INVALID_PAYLOAD) like any unknown field.
 */
export const JoinPayloadSchema = z
  .object({
    /** Omit to create a new room with an unguessable id. */
    roomId: RoomIdSchema.optional(),
    name: MemberNameSchema,
  })
  .strict();

export const LiveStrokePayloadSchema = z
  .object({
    strokeId: StrokeIdSchema,
    /** New points of a stroke still being drawn (not the whole stroke); times never decrease. */
    points: IncomingPointsSchema(LIMITS.maxLivePointsPerEvent),
  })
  .strict();

export const CommitPayloadSchema = z.object({ stroke: IncomingStrokeSchema }).strict();

export const EmptyPayloadSchema = z.object({}).strict();

/** The digits a drawing really shows, e.g. "7" or "42" (a label for retraining). */
export const LabelTextSchema = z.string().regex(/^\d{1,12}$/, 'a label is 1–12 digits');

export const LabelPayloadSchema = z
  .object({
    revision: z.number().int().min(0),
    text: LabelTextSchema,
  })
  .strict();

/**
 * Saved strokes to add in one revision; their ids are replaced by server-made ones. `replace: true` first
 * archives the drawing on the board into the history (as Clear does), so the loaded strokes stand alone.
 */
export const LoadPayloadSchema = z
  .object({ strokes: z.array(IncomingStrokeSchema).min(1).max(LIMITS.maxStrokesPerBoard), replace: z.boolean().optional() })
  .strict();

/** A stroke on the board, named the way every event names one: its author and the author's stroke id. */
export const StrokeRefSchema = z.object({ id: StrokeIdSchema, authorId: UserIdSchema }).strict();
export type StrokeRef = z.infer<typeof StrokeRefSchema>;

/** Strokes the eraser touched: all must be the caller's own and on the board, or nothing is erased. */
export const ErasePayloadSchema = z.object({ strokes: z.array(StrokeRefSchema).min(1).max(LIMITS.maxStrokesPerBoard) }).strict();

/** Where this person's pointer is over the board, in board units ([0, 1]², origin top-left); null: it left the board. */
export const PointerPayloadSchema = z
  .object({ position: z.tuple([z.number().min(0).max(1), z.number().min(0).max(1)]).nullable() })
  .strict();

export type JoinPayload = z.infer<typeof JoinPayloadSchema>;
export type LiveStrokePayload = z.infer<typeof LiveStrokePayloadSchema>;
export type CommitPayload = z.infer<typeof CommitPayloadSchema>;
export type LabelPayload = z.infer<typeof LabelPayloadSchema>;
export type LoadPayload = z.infer<typeof LoadPayloadSchema>;
export type EmptyPayload = z.infer<typeof EmptyPayloadSchema>;
export type ErasePayload = z.infer<typeof ErasePayloadSchema>;
export type PointerPayload = z.infer<typeof PointerPayloadSchema>;

export type JoinAck = AckResult<{
  roomId: string;
  /** Your user id (the same one again when the connection carried a valid token). */
  userId: string;
  /** Signed session token naming `userId`: send it as `auth: { token }` on every later connection. */
  token: string;
  board: Board;
}>;
export type RevisionAck = AckResult<{ revision: number }>;
export type PlainAck = AckResult;

export interface ClientToServerEvents {
  /** Join (or create) a room. Ack: the room id, your user id, your session token and the whole board. */
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
  /**
   * Adds saved strokes to the board in one revision (Load, and "Draw again" from the history); they are
   * recognized like a commit. With `replace: true` the board is first archived into the history (as by
   * `board:clear`, announced with `board:cleared`), then the strokes are added. Ack: the final revision.
   */
  'board:load': (payload: LoadPayload, ack: (res: RevisionAck) => void) => void;
  /**
   * The eraser: takes the named strokes off the board in one revision, each announced with
   * `stroke:removed`, and recognizes the board again. Only the caller's own strokes: one of someone else's
   * refuses the whole request with NOT_YOUR_STROKE, one not on the board with STROKE_NOT_FOUND. An erase is
   * one step of the caller's undo history: `board:undo` brings the strokes back (`stroke:committed`), and
   * `board:redo` erases them again. Ack: the new revision.
   */
  'board:erase': (payload: ErasePayload, ack: (res: RevisionAck) => void) => void;
  /**
   * Where the sender's pointer is over the board (hovering or drawing), so others see it with the name;
   * clients send at most ~15 per second. Relayed to the others as `presence:pointer`, never stored; past
   * 30 per second per connection answered RATE_LIMITED and not relayed. Ack: `{ ok }`.
   */
  'presence:pointer': (payload: PointerPayload, ack: (res: PlainAck) => void) => void;
  /**
   * Liveness probe, payload `{}`: answered `{ ok: true }` at once, outside the connection's ordered queue
   * (a slow commit does not delay it) and without a room. A client sends it when it has heard nothing for
   * a moment, so it notices a dead network in about a second instead of after Socket.IO's heartbeat
   * (~45 s). At most 10 per second are answered per connection; more get no answer.
   */
  'connection:ping': (payload: EmptyPayload, ack: (res: PlainAck) => void) => void;
}

export interface ServerToClientEvents {
  /** Someone's stroke in progress (never echoed to its author). A stroke is named by `authorId` and `strokeId` together. */
  'stroke:live': (payload: { strokeId: string; authorId: string; points: z.infer<typeof PointSchema>[] }) => void;
  /** A stroke was added to the board (a commit, a redo or a load). */
  'stroke:committed': (payload: { stroke: Stroke; authorId: string; revision: number }) => void;
  /** A stroke was taken off the board (an undo or the eraser). Stroke ids are unique per author: match both. */
  'stroke:removed': (payload: { strokeId: string; authorId: string; revision: number }) => void;
  /** The board was archived and is now empty. */
  'board:cleared': (payload: { revision: number; drawingId: number; archivedDrawingId: number }) => void;
  /**
   * Someone entered the room (their first connection to it). The join ack carries the whole list; after
   * that only changes travel, so a join costs the room O(1) per member, not the whole list.
   */
  'member:joined': (payload: { member: Member }) => void;
  /** Someone's last connection to the room closed. */
  'member:left': (payload: { userId: string }) => void;
  /**
   * The server is about to close this connection for a reason the client should show (e.g. RATE_LIMITED
   * for a flood of events). Then the connection closes with "io server disconnect".
   */
  'connection:closed': (payload: { code: ErrorCode; message: string }) => void;
  /** Someone's pointer over the board moved (`position` in board units), or left it (`null`). Not stored. */
  'presence:pointer': (payload: { userId: string; position: [number, number] | null }) => void;
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
