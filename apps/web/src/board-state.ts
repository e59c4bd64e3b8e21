/**
 * The client's view of a room's board, as plain data changed by pure functions: server events, strokes
 * drawn here and not yet acknowledged (pending, drawn while offline too), others' strokes in progress, and
 * the newest prediction (an older revision never replaces a newer one).
 */
import { type Board, type BoardStroke, colorFor, type Member, type Point, type Prediction, type Stroke } from '@inkling/protocol';

export interface LiveStroke {
  authorId: string;
  points: Point[];
  updatedAt: number;
}

export interface BoardView {
  revision: number;
  drawingId: number;
  strokes: BoardStroke[];
  /** Strokes drawn here that the server has not confirmed yet, oldest first. */
  pending: Stroke[];
  live: Map<string, LiveStroke>;
  members: Member[];
  prediction: Prediction | null;
}

export function emptyBoard(): BoardView {
  return { revision: 0, drawingId: 0, strokes: [], pending: [], live: new Map(), members: [], prediction: null };
}

/** The board as the server sent it on (re)join; our pending strokes already on it were delivered before. */
export function fromServer(board: Board, pending: readonly Stroke[], selfId?: string | null): BoardView {
  const onBoard = new Set(board.strokes.filter((s) => s.authorId === selfId).map((s) => s.id));
  return {
    revision: board.revision,
    drawingId: board.drawingId,
    strokes: board.strokes,
    pending: pending.filter((s) => !onBoard.has(s.id)),
    live: new Map(),
    members: board.members,
    prediction: board.prediction,
  };
}

export function addPending(view: BoardView, stroke: Stroke): void {
  view.pending.push(stroke);
}

export function dropPending(view: BoardView, strokeId: string): void {
  view.pending = view.pending.filter((s) => s.id !== strokeId);
}

/** Key of a stroke in progress: stroke ids are unique per author only. */
export const liveKey = (authorId: string, strokeId: string) => `${authorId}\u0000${strokeId}`;

/**
 * A committed stroke (ids are unique per author: someone else's stroke with the id of one of ours is a
 * different stroke). It confirms our pending stroke of that id only when `selfId` is its author.
 */
export function applyCommitted(view: BoardView, e: { stroke: Stroke; authorId: string; revision: number }, selfId?: string | null): void {
  if (!view.strokes.some((s) => s.id === e.stroke.id && s.authorId === e.authorId))
    view.strokes.push({ ...e.stroke, authorId: e.authorId });
  if (selfId != null && e.authorId === selfId) dropPending(view, e.stroke.id);
  view.live.delete(liveKey(e.authorId, e.stroke.id));
  view.revision = Math.max(view.revision, e.revision);
}

export function applyRemoved(view: BoardView, e: { strokeId: string; authorId: string; revision: number }): void {
  view.strokes = view.strokes.filter((s) => !(s.id === e.strokeId && s.authorId === e.authorId));
  view.revision = Math.max(view.revision, e.revision);
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
  for (const [id, live] of view.live) if (now - live.updatedAt > maxAgeMs) view.live.delete(id);
}

/** Keeps the newest prediction: one for an older revision than the one shown is ignored. */
export function applyPrediction(view: BoardView, p: Prediction): boolean {
  if (view.prediction && p.revision < view.prediction.revision) return false;
  view.prediction = p;
  return true;
}

/** Colour of a stroke's author: from the member list, else the same stable colour the server would give. */
export function authorColor(view: BoardView, authorId: string): string {
  return view.members.find((m) => m.userId === authorId)?.color ?? colorFor(authorId);
}

/** Ids of the strokes that are this user's, newest last (what Undo would take back). */
export function ownStrokeIds(view: BoardView, userId: string): string[] {
  return view.strokes.filter((s) => s.authorId === userId).map((s) => s.id);
}
