/**
 * The recognition pipeline's side of Postgres. A room needs recognition while its revision is ahead of its
 * recognized revision (migration 6), so the wish to recognize is stored with every change at no extra cost.
 * Workers read the boards to recognize by reference — only the strokes changed since the board they last
 * saw — and store predictions together with the recognized revision, so a duplicate or late job stores
 * nothing. Gateways find lagging rooms here (the reconciler).
 */

import type { BoardChange, Prediction, Stroke } from '@inkling/protocol';
import type pg from 'pg';
import { GroupCommit, type ItemResult } from './group-commit.js';
import { PREDICTION_COLUMNS, type PredictionRow, toPrediction } from './room-repository.js';

/** A stroke as the recognizer needs it, with what orders it on the board. */
interface SeenStroke {
  /** The strokes table's row id (unique, unlike stroke ids across authors). */
  rowId: number;
  /** When it was added: boards list strokes by (added revision, row id). */
  addedRevision: number;
  stroke: Stroke;
}

interface SeenBoard {
  drawingId: number;
  revision: number;
  strokes: SeenStroke[];
  points: number;
}

/** A room's board to recognize, at one revision. */
export interface RecognitionBoard {
  roomId: string;
  drawingId: number;
  revision: number;
  /** Active strokes in drawing order. The same objects are reused across revisions while unchanged. */
  strokes: readonly Stroke[];
  /** Total points of the board (its cost). */
  points: number;
}

export type BoardRead =
  /** The room's latest revision already has a stored prediction (and no explicit request): nothing to do. */
  | { type: 'up-to-date'; roomId: string; revision: number }
  /** How the board was had: read whole, read as the changes since the cached board, or a job's change applied to it. */
  | { type: 'board'; board: RecognitionBoard; source: BoardSource }
  | { type: 'gone'; roomId: string };

export type BoardSource = 'full' | 'delta' | 'change';

export interface BoardRequest {
  roomId: string;
  /** Read the board even when its latest revision was recognized (an explicit Recognize). */
  explicit: boolean;
}

/** A prediction to store; `explicit` stores it even when its revision was recognized before. */
export interface PredictionToStore {
  prediction: Prediction;
  explicit: boolean;
}

type StrokeRow = [rowId: number, strokeId: string, addedRevision: number, points: Stroke['points'] | null];

interface BoardRow {
  room_id: string;
  revision: number;
  drawing_id: string;
  full_board: boolean;
  strokes: StrokeRow[] | null;
}

const boardRead = (roomId: string, board: SeenBoard, source: BoardSource): BoardRead => ({
  type: 'board',
  source,
  board: {
    roomId,
    drawingId: board.drawingId,
    revision: board.revision,
    strokes: board.strokes.map((s) => s.stroke),
    points: board.points,
  },
});

function assertNever(value: never): never {
  throw new Error(`unknown board change ${JSON.stringify(value)}`);
}

const pointsOf = (strokes: readonly SeenStroke[]) => strokes.reduce((n, s) => n + s.stroke.points.length, 0);
const byDrawingOrder = (a: SeenStroke, b: SeenStroke) => a.addedRevision - b.addedRevision || a.rowId - b.rowId;

export interface RecognitionStoreOptions {
  /** Points of boards kept between reads (least recently used dropped first). */
  cachePoints?: number;
  /** Called per board had: read whole, read as what changed, or made from a job's change without a read. */
  onRead?: (kind: BoardSource) => void;
}

export class RecognitionStore {
  /** The boards this process read last, newest revision per room, by recency (first = least recent). */
  private readonly seen = new Map<string, SeenBoard>();
  private seenPoints = 0;
  private readonly reads: GroupCommit<BoardRequest, BoardRead>;
  private readonly stores: GroupCommit<PredictionToStore, boolean>;
  private readonly cachePoints: number;

  constructor(
    private readonly pool: pg.Pool,
    private readonly options: RecognitionStoreOptions = {},
  ) {
    this.cachePoints = options.cachePoints ?? 2_000_000;
    // Reads and stores of jobs running at the same moment share one round trip.
    this.reads = new GroupCommit((requests) => this.readMany(requests), { maxInFlight: 2, gatherTurn: true });
    // Boards of one inference batch finish in the same turn: their predictions leave in one statement.
    this.stores = new GroupCommit((items) => this.storeMany(items), { maxInFlight: 2, gatherTurn: true });
  }

  /** The latest board of a room (or that nothing is to be done). Concurrent calls share one query. */
  readBoard(request: BoardRequest): Promise<BoardRead> {
    return this.reads.submit(request);
  }

  /** Resolves true when the prediction was stored (its revision is the room's newest recognized one). */
  storePrediction(item: PredictionToStore): Promise<boolean> {
    return this.stores.submit(item);
  }

  /** Reads several rooms' boards in one statement (one snapshot), sending only what changed since the cached board. */
  async readMany(requests: readonly BoardRequest[]): Promise<ItemResult<BoardRead>[]> {
    const known = requests.map((r) => this.seen.get(r.roomId));
    const { rows } = await this.pool.query<BoardRow>({
      name: 'inkling_recognition_boards',
      text: 'SELECT room_id, revision, drawing_id, full_board, strokes FROM inkling_recognition_boards($1, $2, $3, $4)',
      values: [
        requests.map((r) => r.roomId),
        known.map((b) => b?.drawingId ?? null),
        known.map((b) => b?.revision ?? null),
        requests.map((r) => r.explicit),
      ],
    });
    // unnest keeps the input order, but rows of unknown rooms are missing: match by position per room.
    const byRoom = new Map<string, BoardRow[]>();
    for (const row of rows) byRoom.set(row.room_id, [...(byRoom.get(row.room_id) ?? []), row]);
    return requests.map((request, i): ItemResult<BoardRead> => {
      const row = byRoom.get(request.roomId)?.shift();
      if (!row) return { ok: true, value: { type: 'gone', roomId: request.roomId } };
      if (row.strokes === null) return { ok: true, value: { type: 'up-to-date', roomId: request.roomId, revision: row.revision } };
      const source = row.full_board ? 'full' : 'delta';
      this.options.onRead?.(source);
      return { ok: true, value: boardRead(request.roomId, this.apply(known[i], row), source) };
    });
  }

  /**
   * The board at `revision` made from the change that made it, without a read — when this process holds the
   * board that change was made on (or the change needs none: a cleared board). Null otherwise: read it.
   * Only for a change the gateway reported with its revision (see `BoardChangeSchema`).
   */
  applyChange(roomId: string, revision: number, change: BoardChange): BoardRead | null {
    let board: SeenBoard;
    switch (change.type) {
      case 'cleared':
        board = { drawingId: change.drawingId, revision, strokes: [], points: 0 };
        break;
      case 'stroke-added': {
        const base = this.seen.get(roomId);
        if (!base || base.drawingId !== change.drawingId || base.revision !== change.baseRevision || revision !== change.baseRevision + 1)
          return null;
        const added: SeenStroke = { rowId: change.rowId, addedRevision: revision, stroke: { id: change.strokeId, points: change.points } };
        board = { drawingId: base.drawingId, revision, strokes: [...base.strokes, added], points: base.points + change.points.length };
        break;
      }
      default:
        return assertNever(change);
    }
    this.remember(roomId, board);
    this.options.onRead?.('change');
    return boardRead(roomId, board, 'change');
  }

  /** The board a row describes: a whole board, or `base` with the row's changes applied (base is not mutated). */
  private apply(base: SeenBoard | undefined, row: BoardRow): SeenBoard {
    const drawingId = Number(row.drawing_id);
    const changes = row.strokes ?? [];
    let strokes: SeenStroke[];
    if (row.full_board || !base) {
      strokes = changes.map(([rowId, id, addedRevision, points]) => ({ rowId, addedRevision, stroke: { id, points: points ?? [] } }));
    } else if (changes.length === 0) {
      strokes = base.strokes;
    } else {
      const byRow = new Map(base.strokes.map((s) => [s.rowId, s]));
      for (const [rowId, id, addedRevision, points] of changes) {
        if (points === null) byRow.delete(rowId);
        else byRow.set(rowId, { rowId, addedRevision, stroke: { id, points } });
      }
      strokes = [...byRow.values()].sort(byDrawingOrder);
    }
    const board: SeenBoard = { drawingId, revision: row.revision, strokes, points: pointsOf(strokes) };
    this.remember(row.room_id, board);
    return board;
  }

  private remember(roomId: string, board: SeenBoard): void {
    const previous = this.seen.get(roomId);
    if (previous && previous.revision >= board.revision) return;
    if (previous) {
      this.seen.delete(roomId);
      this.seenPoints -= previous.points;
    }
    if (board.points > this.cachePoints) return;
    this.seen.set(roomId, board);
    this.seenPoints += board.points;
    for (const [id, b] of this.seen) {
      if (this.seenPoints <= this.cachePoints) break;
      this.seen.delete(id);
      this.seenPoints -= b.points;
    }
  }

  /** Stores predictions (and advances recognized revisions) in one statement; true per item stored. */
  async storeMany(items: readonly PredictionToStore[]): Promise<ItemResult<boolean>[]> {
    // Room id order: the order in which stroke commits lock rooms, so the two never deadlock. A room named
    // twice keeps only its newest prediction.
    const order = items
      .map((item, i) => ({ item, i }))
      .sort((a, b) =>
        a.item.prediction.roomId < b.item.prediction.roomId ? -1 : a.item.prediction.roomId > b.item.prediction.roomId ? 1 : 0,
      );
    const ps = order.map((o) => o.item.prediction);
    const { rows } = await this.pool.query<{ ord: number }>({
      name: 'inkling_store_predictions',
      text: 'SELECT ord FROM inkling_store_predictions($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)',
      values: [
        ps.map((p) => p.roomId),
        ps.map((p) => p.drawingId),
        ps.map((p) => p.revision),
        order.map((o) => o.item.explicit),
        ps.map((p) => p.text),
        ps.map((p) => p.confidence),
        ps.map((p) => p.lowConfidence),
        JSON.stringify(ps.map((p) => p.digits)),
        ps.map((p) => p.modelVersion),
        ps.map((p) => p.latencyMs),
        ps.map((p) => p.inferenceMs),
      ],
    });
    const stored = new Array<boolean>(items.length).fill(false);
    for (const { ord } of rows) {
      const entry = order[ord];
      if (entry) stored[entry.i] = true;
    }
    return stored.map((value) => ({ ok: true, value }));
  }

  /** The newest stored prediction of each room's current drawing (rooms without one are left out). */
  async latestPredictions(roomIds: readonly string[]): Promise<Prediction[]> {
    const { rows } = await this.pool.query<PredictionRow & { room_id: string }>(
      `SELECT r.id AS room_id, p.* FROM rooms r
         CROSS JOIN LATERAL (SELECT ${PREDICTION_COLUMNS} FROM predictions
                              WHERE drawing_id = r.current_drawing_id ORDER BY revision DESC, id DESC LIMIT 1) p
        WHERE r.id = ANY ($1)`,
      [roomIds],
    );
    return rows.map((r) => toPrediction(r, r.room_id));
  }

  /** The room's current revision, or null when it does not exist. */
  async currentRevision(roomId: string): Promise<number | null> {
    const { rows } = await this.pool.query<{ revision: number }>('SELECT revision FROM rooms WHERE id = $1', [roomId]);
    return rows[0]?.revision ?? null;
  }

  /**
   * Rooms whose latest revision has no stored prediction, in id order after `afterRoomId` (paging). A
   * sequential scan of `rooms` (an index on the lag would make every stroke commit update it).
   */
  async laggingRooms(afterRoomId: string, limit: number): Promise<{ roomId: string; revision: number; recognizedRevision: number }[]> {
    const { rows } = await this.pool.query<{ id: string; revision: number; recognized_revision: number }>(
      'SELECT id, revision, recognized_revision FROM rooms WHERE revision > recognized_revision AND id > $1 ORDER BY id LIMIT $2',
      [afterRoomId, limit],
    );
    return rows.map((r) => ({ roomId: r.id, revision: r.revision, recognizedRevision: r.recognized_revision }));
  }
}
