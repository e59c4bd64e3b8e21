import type { BoardStroke } from '@inkling/protocol';

/** A room's board at one revision: the current drawing and its active strokes, in drawing order. */
export interface BoardState {
  roomId: string;
  revision: number;
  drawingId: number;
  strokes: BoardStroke[];
}
