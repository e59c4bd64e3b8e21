/**
 * A client's view of its room's board, as plain data changed in place by pure functions: the board as the
 * server last told it (strokes, revision, drawing, members, newest prediction), this client's strokes not
 * yet acknowledged (pending) or refused for good (kept to be shown, never silently removed), and others'
 * strokes in progress. Stroke ids are unique per author only, so a stroke is named by author and id.
 */
import type { Board, BoardStroke, ErrorCode, Member, Point, Prediction, Stroke } from '@inkling/protocol';

export interface LiveStroke {
  authorId: string;
  points: Point[];
  /** When the last points arrived (ms, the client's clock). */
  updatedAt: number;
}

/** A stroke the server will not take as it is, with the reason it gave. */
export interface RefusedStroke {
  stroke: Stroke;
  code: ErrorCode;
  message: string;
}

export interface BoardView {
  /** The newest board revision this client knows of. */
  revision: number;
  drawingId: number;
  strokes: BoardStroke[];
  /** Strokes drawn here that the server has not acknowledged yet, in drawing order. */
  pending: Stroke[];
  /** Strokes drawn here that the server refused for good, oldest first. */
  refused: RefusedStroke[];
  /** Others' strokes in progress, by `liveKey(authorId, strokeId)`. */
  live: Map<string, LiveStroke>;
  members: Member[];
  prediction: Prediction | null;
  /** Where others' pointers are over the board (board units), by user id; never stored by the server. */
  pointers: Map<string, PointerView>;
}

export interface PointerView {
  position: [number, number];
  /** When it last moved (ms, the client's clock). */
  updatedAt: number;
}

/** A pointer that has not moved for this long is no longer shown (its owner may have left without a word). */
export const POINTER_MAX_AGE_MS = 10_000;

export function emptyBoard(): BoardView {
  return {
    revision: 0,
    drawingId: 0,
    strokes: [],
    pending: [],
    refused: [],
    live: new Map(),
    members: [],
    prediction: null,
    pointers: new Map(),
  };
}

/** Key of a stroke in progress: stroke ids are unique per author only. */
export const liveKey = (authorId: string, strokeId: string): string => `${authorId}\u0000${strokeId}`;

const sameStroke = (s: BoardStroke, authorId: string, strokeId: string) => s.id === strokeId && s.authorId === authorId;

/**
 * Replaces what the server owns with the board of a (re)join, which holds everything missed while
 * disconnected: strokes added and removed, clears, members and the latest stored prediction. Pending and
 * refused strokes are the client's and stay.
 */
export function resyncBoard(view: BoardView, board: Board): void {
  view.revision = board.revision;
  view.drawingId = board.drawingId;
  view.strokes = board.strokes;
  view.members = board.members;
  view.live.clear();
  // The stored prediction is the latest the server has; keep ours only if it is newer (it cannot be
  // older than the board's drawing: revisions grow across clears).
  if (!view.prediction || !board.prediction || board.prediction.revision >= view.prediction.revision) view.prediction = board.prediction;
}

/** Adds a committed stroke unless it is already there; returns whether the board changed. */
export function applyCommitted(view: BoardView, e: { stroke: Stroke; authorId: string; revision: number }): boolean {
  view.live.delete(liveKey(e.authorId, e.stroke.id));
  view.revision = Math.max(view.revision, e.revision);
  if (view.strokes.some((s) => sameStroke(s, e.authorId, e.stroke.id))) return false;
  view.strokes.push({ id: e.stroke.id, points: e.stroke.points, authorId: e.authorId });
  return true;
}

/**
 * Takes a stroke off the board (an undo). Servers that scope stroke ids to their author name the author;
 * without one the id alone names the stroke.
 */
export function applyRemoved(view: BoardView, e: { strokeId: string; authorId?: string; revision: number }): boolean {
  const before = view.strokes.length;
  view.strokes = view.strokes.filter((s) => !(s.id === e.strokeId && (e.authorId === undefined || s.authorId === e.authorId)));
  view.revision = Math.max(view.revision, e.revision);
  return view.strokes.length !== before;
}

export function applyCleared(view: BoardView, e: { revision: number; drawingId: number }): void {
  view.strokes = [];
  view.live.clear();
  view.drawingId = e.drawingId;
  view.revision = Math.max(view.revision, e.revision);
}

export function applyLive(view: BoardView, e: { strokeId: string; authorId: string; points: Point[] }, now: number): void {
  const key = liveKey(e.authorId, e.strokeId);
  const live = view.live.get(key);
  if (live) {
    live.points.push(...e.points);
    live.updatedAt = now;
  } else view.live.set(key, { authorId: e.authorId, points: [...e.points], updatedAt: now });
}

/** Forgets strokes in progress whose author went quiet (closed the tab mid-stroke). */
export function expireLive(view: BoardView, now: number, maxAgeMs = 5000): void {
  for (const [key, live] of view.live) if (now - live.updatedAt > maxAgeMs) view.live.delete(key);
  for (const [userId, p] of view.pointers) if (now - p.updatedAt > POINTER_MAX_AGE_MS) view.pointers.delete(userId);
}

/** Someone's pointer moved over the board, or left it (`null`). */
export function applyPointer(view: BoardView, e: { userId: string; position: [number, number] | null }, now: number): void {
  if (e.position) view.pointers.set(e.userId, { position: e.position, updatedAt: now });
  else view.pointers.delete(e.userId);
}

/** Keeps the newest prediction: one for an older revision than the one shown is ignored. */
export function applyPrediction(view: BoardView, p: Prediction): boolean {
  if (view.prediction && p.revision < view.prediction.revision) return false;
  view.prediction = p;
  return true;
}

export function applyMembers(view: BoardView, members: Member[]): void {
  view.members = members;
}

export function applyMemberJoined(view: BoardView, member: Member): void {
  view.members = [...view.members.filter((m) => m.userId !== member.userId), member];
}

export function applyMemberLeft(view: BoardView, userId: string): void {
  view.members = view.members.filter((m) => m.userId !== userId);
  view.pointers.delete(userId);
}

/** Whether the board holds `strokeId` by `authorId` (a pending stroke of ours that already landed). */
export function hasStroke(view: Pick<BoardView, 'strokes'>, authorId: string, strokeId: string): boolean {
  return view.strokes.some((s) => sameStroke(s, authorId, strokeId));
}
