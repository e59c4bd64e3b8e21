/**
 * The boards this process last saw, newest revision per room, so a stroke commit need not read the whole
 * board back from Postgres: the commit sends the revision it knows, and the database returns the board only
 * when that revision is not the one the stroke was added to (another gateway changed the room meanwhile, or
 * the room is not cached). Least recently used rooms are dropped beyond a budget of points.
 */
import type { BoardState } from './board-state.js';

const pointsOf = (b: BoardState) => b.strokes.reduce((n, s) => n + s.points.length, 0);

export class BoardCache {
  /** Map order is recency order: the first entry is the least recently used. */
  private readonly boards = new Map<string, { board: BoardState; points: number }>();
  private points = 0;

  constructor(private readonly maxPoints = 1_000_000) {}

  get(roomId: string): BoardState | undefined {
    const entry = this.boards.get(roomId);
    if (!entry) return undefined;
    this.boards.delete(roomId);
    this.boards.set(roomId, entry);
    return entry.board;
  }

  /** Keeps `board` unless a newer revision of the room is already cached. Boards are never mutated. */
  remember(board: BoardState): void {
    const previous = this.boards.get(board.roomId);
    if (previous && previous.board.revision >= board.revision) return;
    if (previous) this.forget(board.roomId);
    const points = pointsOf(board);
    if (points > this.maxPoints) return;
    this.boards.set(board.roomId, { board, points });
    this.points += points;
    for (const roomId of this.boards.keys()) {
      if (this.points <= this.maxPoints) break;
      this.forget(roomId);
    }
  }

  private forget(roomId: string): void {
    const entry = this.boards.get(roomId);
    if (!entry) return;
    this.points -= entry.points;
    this.boards.delete(roomId);
  }
}
