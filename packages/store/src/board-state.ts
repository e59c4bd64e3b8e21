import type { BoardStroke } from '@inkling/protocol';

/** A room's board at one revision: the current drawing and its active strokes, in drawing order. */
export interface BoardState {
  roomId: string;
  revision: number;
  drawingId: number;
  strokes: BoardStroke[];
}

/** A board just after a stroke commit, and the new stroke's row in the strokes table. */
export interface CommittedBoard extends BoardState {
  strokeRowId: number;
}
