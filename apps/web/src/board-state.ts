/**
 * The web app's helpers over the client's board view: the view itself (strokes, pending and refused strokes,
 * others' strokes in progress, members, the newest prediction) and the pure functions that keep it up to
 * date live in `@inkling/client`; what only drawing it needs stays here.
 */
import type { BoardView } from '@inkling/client';
import { colorFor } from '@inkling/protocol';

export type { BoardView, LiveStroke, RefusedStroke } from '@inkling/client';

/** Colour of a stroke's author: from the member list, else the same stable colour the server would give. */
export function authorColor(view: Pick<BoardView, 'members'>, authorId: string): string {
  return view.members.find((m) => m.userId === authorId)?.color ?? colorFor(authorId);
}

/** Ids of the strokes that are this user's, newest last (what Undo would take back). */
export function ownStrokeIds(view: Pick<BoardView, 'strokes'>, userId: string): string[] {
  return view.strokes.filter((s) => s.authorId === userId).map((s) => s.id);
}
