/**
 * Rooms and their boards in Postgres. Every change to a room runs in one transaction holding the room's row
 * lock, so revisions increase by exactly one per change whichever gateway made it, and a gateway restart
 * loses nothing that was acknowledged.
 */

import { randomBytes } from 'node:crypto';
import { type BoardStroke, InklingError, LIMITS, type Prediction, pointCount, type Stroke } from '@inkling/protocol';
import type pg from 'pg';
import { BoardCache } from './board-cache.js';
import type { BoardState, CommittedBoard } from './board-state.js';
import { inTransaction } from './database.js';
import { GroupCommit, type ItemResult } from './group-commit.js';

interface StrokeRow {
  stroke_id: string;
  author_id: string;
  points: Stroke['points'];
}

const toBoardStroke = (r: StrokeRow): BoardStroke => ({ id: r.stroke_id, points: r.points, authorId: r.author_id });

const roomNotFound = (roomId: string) => new InklingError('ROOM_NOT_FOUND', `room ${roomId} does not exist`);
const roomExpired = (roomId: string) =>
  new InklingError('ROOM_EXPIRED', `room ${roomId} expired after a long idle time; its history is still readable; start a new room`);
export const boardFull = () =>
  new InklingError(
    'BOARD_FULL',
    `a board holds at most ${LIMITS.maxStrokesPerBoard} strokes and ${LIMITS.maxPointsPerBoard} points (and stores at most ${LIMITS.maxStoredStrokesPerDrawing} strokes with undone ones); clear it first`,
  );

async function lockRoom(client: pg.PoolClient, roomId: string): Promise<{ revision: number; drawingId: number }> {
  const { rows } = await client.query<{ revision: number; current_drawing_id: string; expired: boolean }>(
    'SELECT revision, current_drawing_id, expired_at IS NOT NULL AS expired FROM rooms WHERE id = $1 FOR UPDATE',
    [roomId],
  );
  const row = rows[0];
  if (!row) throw roomNotFound(roomId);
  if (row.expired) throw roomExpired(roomId);
  return { revision: row.revision, drawingId: Number(row.current_drawing_id) };
}

/** What the board holds now, for the budget: active strokes and their points, and all stored strokes. */
async function boardUsage(client: pg.PoolClient, drawingId: number): Promise<{ strokes: number; points: number; stored: number }> {
  const { rows } = await client.query<{ strokes: string; points: string; stored: string }>(
    `SELECT count(*) FILTER (WHERE state = 'active') AS strokes, coalesce(sum(point_count) FILTER (WHERE state = 'active'), 0) AS points,
            count(*) AS stored
       FROM strokes WHERE drawing_id = $1`,
    [drawingId],
  );
  return { strokes: Number(rows[0]?.strokes ?? 0), points: Number(rows[0]?.points ?? 0), stored: Number(rows[0]?.stored ?? 0) };
}

/** Refuses (BOARD_FULL) a change that would add `strokes` strokes of `points` points (`stored` new rows). */
function checkBudget(usage: { strokes: number; points: number; stored: number }, strokes: number, points: number, stored: number): void {
  if (
    usage.strokes + strokes > LIMITS.maxStrokesPerBoard ||
    usage.points + points > LIMITS.maxPointsPerBoard ||
    usage.stored + stored > LIMITS.maxStoredStrokesPerDrawing
  )
    throw boardFull();
}

/** A server-made stroke id (Load): unguessable, so no client can claim it first. */
const serverStrokeId = () => `srv-${randomBytes(12).toString('base64url')}`;

async function activeStrokes(client: pg.PoolClient | pg.Pool, drawingId: number): Promise<BoardStroke[]> {
  const { rows } = await client.query<StrokeRow>(
    "SELECT stroke_id, author_id, points FROM strokes WHERE drawing_id = $1 AND state = 'active' ORDER BY added_revision, id",
    [drawingId],
  );
  return rows.map(toBoardStroke);
}

async function bumpRevision(client: pg.PoolClient, roomId: string): Promise<number> {
  const { rows } = await client.query<{ revision: number }>(
    'UPDATE rooms SET revision = revision + 1, last_active_at = now() WHERE id = $1 RETURNING revision',
    [roomId],
  );
  return (rows[0] as { revision: number }).revision;
}

/** The board after appending `item`'s stroke to `board` (a new object; `board` is left as it was). */
const appended = (board: BoardState, item: StrokeCommit): BoardState => ({
  ...board,
  revision: board.revision + 1,
  strokes: [...board.strokes, { id: item.stroke.id, points: item.stroke.points, authorId: item.authorId }],
});

/** What an undo or a redo changed on the board: strokes taken off (ids of the caller's) and put back. */
export interface StepChanges {
  revision: number;
  removed: string[];
  restored: BoardStroke[];
}
/** An undo: `strokeId` is the stroke taken off, or null when an erasure was undone. */
export type UndoneStep = StepChanges & { strokeId: string | null };
/** A redo: `stroke` is the stroke put back, or null when an erasure was redone. */
export type RedoneStep = StepChanges & { stroke: BoardStroke | null };

interface ErasureRow {
  id: string;
  stroke_ids: string[];
  state_revision: number;
}

/** The caller's latest erasure in `state`; an undone one only while they have not drawn or loaded since. */
async function lastErasure(client: pg.PoolClient, drawingId: number, userId: string, state: 'done' | 'undone'): Promise<ErasureRow | null> {
  const { rows } = await client.query<ErasureRow>(
    `SELECT e.id, e.stroke_ids, e.state_revision FROM erasures e
      WHERE e.drawing_id = $1 AND e.author_id = $2 AND e.state = $3
        AND ($3 = 'done' OR NOT EXISTS (SELECT 1 FROM strokes s WHERE s.drawing_id = $1 AND s.author_id = $2 AND s.added_revision > e.state_revision))
      ORDER BY e.state_revision DESC, e.id DESC LIMIT 1`,
    [drawingId, userId, state],
  );
  return rows[0] ?? null;
}

/**
 * Undoes (`undone`: its strokes come back, within the budget) or redoes (`done`: erased again) an erasure
 * as a new revision. Strokes the caller changed otherwise since are left as they are.
 */
async function setErasure(
  client: pg.PoolClient,
  roomId: string,
  drawingId: number,
  erasure: ErasureRow,
  to: 'done' | 'undone',
): Promise<StepChanges & { strokeId: null }> {
  const from = to === 'undone' ? 'erased' : 'active';
  if (to === 'undone') {
    const { rows } = await client.query<{ n: string; points: string }>(
      'SELECT count(*) AS n, coalesce(sum(point_count), 0) AS points FROM strokes WHERE id = ANY ($1::bigint[]) AND state = $2',
      [erasure.stroke_ids, from],
    );
    checkBudget(await boardUsage(client, drawingId), Number(rows[0]?.n ?? 0), Number(rows[0]?.points ?? 0), 0);
  }
  const revision = await bumpRevision(client, roomId);
  const { rows } = await client.query<StrokeRow>(
    `UPDATE strokes SET state = $3, state_revision = $2, toggled_at = array_append(toggled_at, $2)
      WHERE id = ANY ($1::bigint[]) AND state = $4
      RETURNING stroke_id, author_id, points, added_revision, id`,
    [erasure.stroke_ids, revision, to === 'undone' ? 'active' : 'erased', from],
  );
  await client.query('UPDATE erasures SET state = $2, state_revision = $3 WHERE id = $1', [erasure.id, to, revision]);
  const strokes = rows.map(toBoardStroke);
  return to === 'undone'
    ? { revision, removed: [], restored: strokes, strokeId: null }
    : { revision, removed: strokes.map((s) => s.id), restored: [], strokeId: null };
}

/** One stroke to append to a room's board. */
export interface StrokeCommit {
  roomId: string;
  authorId: string;
  stroke: Stroke;
}

interface CommitRow {
  ord: number;
  revision: number | null;
  drawing_id: string | null;
  row_id: string | null;
  strokes: BoardStroke[] | null;
  error: 'IK404' | 'IK409' | 'IK410' | 'IK413' | null;
}

export class RoomRepository {
  /** Boards this process has seen, so stroke commits rarely need the board sent back. */
  private readonly boards = new BoardCache();
  private readonly strokeCommits = new GroupCommit<StrokeCommit, CommittedBoard>((items) => this.commitStrokes(items));
  private readonly predictionInserts = new GroupCommit<Prediction, void>((ps) => this.insertPredictions(ps));

  constructor(private readonly pool: pg.Pool) {}

  async createRoom(roomId: string): Promise<BoardState> {
    const board = await inTransaction(this.pool, async (client) => {
      await client.query('INSERT INTO rooms (id) VALUES ($1)', [roomId]);
      const { rows } = await client.query<{ id: string }>('INSERT INTO drawings (room_id) VALUES ($1) RETURNING id', [roomId]);
      const drawingId = Number(rows[0]?.id);
      await client.query('UPDATE rooms SET current_drawing_id = $2 WHERE id = $1', [roomId, drawingId]);
      return { roomId, revision: 0, drawingId, strokes: [] };
    });
    this.seen(board);
    return board;
  }

  /** Remembers a board read under the room's lock (so revision and strokes belong together). */
  private seen(board: BoardState): void {
    this.boards.remember({ roomId: board.roomId, revision: board.revision, drawingId: board.drawingId, strokes: board.strokes });
  }

  /**
   * The board of a room someone is joining: ROOM_NOT_FOUND or ROOM_EXPIRED otherwise. A join counts as
   * activity (the room's idle clock restarts, written at most once a minute).
   */
  async openRoom(roomId: string): Promise<BoardState> {
    const { rows } = await this.pool.query<{ expired: boolean; stale: boolean }>(
      "SELECT expired_at IS NOT NULL AS expired, last_active_at < now() - interval '1 minute' AS stale FROM rooms WHERE id = $1",
      [roomId],
    );
    const row = rows[0];
    if (!row) throw roomNotFound(roomId);
    if (row.expired) throw roomExpired(roomId);
    if (row.stale) await this.pool.query('UPDATE rooms SET last_active_at = now() WHERE id = $1', [roomId]);
    const board = await this.loadBoard(roomId);
    if (!board) throw roomNotFound(roomId);
    return board;
  }

  /**
   * Expires rooms idle for longer than `idleMs` (no change and no join): the current drawing, unless
   * empty, is archived into the room's history, and the room takes no more changes or members. Safe to
   * run on several gateways at once. Returns the expired room ids.
   */
  async expireIdleRooms(idleMs: number, limit = 500): Promise<string[]> {
    const { rows } = await this.pool.query<{ id: string }>(
      `WITH idle AS (
         SELECT id FROM rooms WHERE expired_at IS NULL AND last_active_at < now() - $1 * interval '1 millisecond'
          ORDER BY last_active_at LIMIT $2 FOR UPDATE SKIP LOCKED
       ), archived AS (
         UPDATE drawings d SET archived_at = now(), final_revision = r.revision
           FROM rooms r JOIN idle ON idle.id = r.id
          WHERE d.id = r.current_drawing_id AND d.archived_at IS NULL
            AND EXISTS (SELECT 1 FROM strokes s WHERE s.drawing_id = d.id AND s.state = 'active')
       )
       UPDATE rooms r SET expired_at = now() FROM idle WHERE r.id = idle.id RETURNING r.id`,
      [idleMs, limit],
    );
    return rows.map((r) => r.id);
  }

  async loadBoard(roomId: string): Promise<BoardState | null> {
    const { rows } = await this.pool.query<{ revision: number; current_drawing_id: string }>(
      'SELECT revision, current_drawing_id FROM rooms WHERE id = $1',
      [roomId],
    );
    const row = rows[0];
    if (!row) return null;
    const drawingId = Number(row.current_drawing_id);
    return { roomId, revision: row.revision, drawingId, strokes: await activeStrokes(this.pool, drawingId) };
  }

  /**
   * Appends a finished stroke; the author's redo history is discarded, as in any editor. Commits arriving
   * while earlier ones are being written share one round trip and one transaction (group commit).
   */
  commitStroke(roomId: string, authorId: string, stroke: Stroke): Promise<CommittedBoard> {
    return this.strokeCommits.submit({ roomId, authorId, stroke });
  }

  /**
   * Commits several strokes (any rooms, applied in order) in one round trip and one transaction. Each item
   * fails on its own: room not found, duplicate stroke, board full.
   */
  async commitStrokes(items: readonly StrokeCommit[]): Promise<ItemResult<CommittedBoard>[]> {
    // The board each item is expected to land on: the cached one, or for a room's later item in this batch,
    // the board its earlier item should make. The database sends the board only where that is wrong.
    const expected = new Map<string, BoardState | undefined>();
    const known = items.map((item) => {
      const before = expected.has(item.roomId) ? expected.get(item.roomId) : this.boards.get(item.roomId);
      expected.set(item.roomId, before && appended(before, item));
      return before;
    });
    const { rows } = await this.pool.query<CommitRow>({
      name: 'inkling_commit_strokes_v9',
      text: 'SELECT ord, revision, drawing_id, row_id, strokes, error FROM inkling_commit_strokes($1, $2, $3, $4, $5, $6, $7, $8)',
      values: [
        items.map((i) => i.roomId),
        items.map((i) => i.authorId),
        items.map((i) => i.stroke.id),
        JSON.stringify(items.map((i) => i.stroke.points)),
        known.map((b) => b?.revision ?? -1),
        LIMITS.maxStrokesPerBoard,
        LIMITS.maxPointsPerBoard,
        LIMITS.maxStoredStrokesPerDrawing,
      ],
    });
    const byOrd = new Map(rows.map((r) => [r.ord, r]));
    return items.map((item, i): ItemResult<CommittedBoard> => {
      const row = byOrd.get(i);
      if (!row) return { ok: false, error: new Error(`stroke commit ${i} of ${items.length} returned no row`) };
      switch (row.error) {
        case null: {
          const before = known[i];
          const board: BoardState | undefined = row.strokes
            ? { roomId: item.roomId, revision: row.revision as number, drawingId: Number(row.drawing_id), strokes: row.strokes }
            : before && appended(before, item);
          if (!board) return { ok: false, error: new Error(`stroke commit ${i}: no board returned for an unknown revision`) };
          this.boards.remember(board);
          return { ok: true, value: { ...board, strokeRowId: Number(row.row_id) } };
        }
        case 'IK404':
          return { ok: false, error: roomNotFound(item.roomId) };
        case 'IK410':
          return { ok: false, error: roomExpired(item.roomId) };
        case 'IK409':
          return { ok: false, error: new InklingError('DUPLICATE_STROKE', `you already committed stroke ${item.stroke.id} to this board`) };
        case 'IK413':
          return { ok: false, error: boardFull() };
        default:
          return { ok: false, error: new Error(`stroke commit failed with unknown code ${row.error}`) };
      }
    });
  }

  /**
   * Adds several strokes in one revision (Load), within the board's budget, under new server-made ids
   * (unguessable, so no one can take them first).
   */
  async addStrokes(roomId: string, authorId: string, strokes: Stroke[]): Promise<BoardState & { added: BoardStroke[] }> {
    const board = await inTransaction(this.pool, async (client) => {
      const { drawingId } = await lockRoom(client, roomId);
      checkBudget(await boardUsage(client, drawingId), strokes.length, pointCount(strokes), strokes.length);
      const revision = await bumpRevision(client, roomId);
      const added: BoardStroke[] = strokes.map((s) => ({ id: serverStrokeId(), points: s.points, authorId }));
      await client.query(
        `INSERT INTO strokes (drawing_id, stroke_id, author_id, points, point_count, added_revision, state_revision)
         SELECT $1, e.s ->> 'id', $2, e.s -> 'points', jsonb_array_length(e.s -> 'points'), $3, $3
           FROM jsonb_array_elements($4::jsonb) WITH ORDINALITY AS e(s, ord) ORDER BY e.ord`,
        [drawingId, authorId, revision, JSON.stringify(added.map(({ id, points }) => ({ id, points })))],
      );
      return { roomId, revision, drawingId, strokes: await activeStrokes(client, drawingId), added };
    });
    this.seen(board);
    return board;
  }

  /**
   * Takes back the caller's most recent step: the last stroke they drew (or redid) comes off the board, or
   * when their last step was an erasure, the strokes it erased come back (within the board's budget).
   */
  async undo(roomId: string, userId: string): Promise<BoardState & UndoneStep> {
    const board = await inTransaction(this.pool, async (client) => {
      const { drawingId } = await lockRoom(client, roomId);
      const { rows } = await client.query<{ id: string; stroke_id: string; step: number }>(
        `SELECT id, stroke_id, coalesce(action_revision, state_revision) AS step FROM strokes
          WHERE drawing_id = $1 AND author_id = $2 AND state = 'active' ORDER BY step DESC, id DESC LIMIT 1`,
        [drawingId, userId],
      );
      const target = rows[0];
      const erasure = await lastErasure(client, drawingId, userId, 'done');
      if (erasure && (!target || erasure.state_revision > target.step)) {
        const restored = await setErasure(client, roomId, drawingId, erasure, 'undone');
        return { roomId, ...restored, drawingId, strokes: await activeStrokes(client, drawingId) };
      }
      if (!target) throw new InklingError('NOTHING_TO_UNDO', 'you have no stroke on this board to undo');
      const revision = await bumpRevision(client, roomId);
      await client.query(
        "UPDATE strokes SET state = 'undone', state_revision = $2, action_revision = NULL, toggled_at = array_append(toggled_at, $2) WHERE id = $1",
        [target.id, revision],
      );
      return {
        roomId,
        revision,
        drawingId,
        strokes: await activeStrokes(client, drawingId),
        strokeId: target.stroke_id,
        removed: [target.stroke_id],
        restored: [],
      };
    });
    this.seen(board);
    return board;
  }

  /**
   * Puts back the caller's most recently undone step, within the board's budget (others may have drawn
   * meanwhile): an undone stroke, or an undone erasure (its strokes are erased again). An undone erasure
   * is forgotten once the caller draws or loads again, as an undone stroke is.
   */
  async redo(roomId: string, userId: string): Promise<BoardState & RedoneStep> {
    const board = await inTransaction(this.pool, async (client) => {
      const { drawingId } = await lockRoom(client, roomId);
      const { rows } = await client.query<StrokeRow & { id: string; point_count: number; state_revision: number }>(
        "SELECT id, stroke_id, author_id, points, point_count, state_revision FROM strokes WHERE drawing_id = $1 AND author_id = $2 AND state = 'undone' ORDER BY state_revision DESC, id DESC LIMIT 1",
        [drawingId, userId],
      );
      const target = rows[0];
      const erasure = await lastErasure(client, drawingId, userId, 'undone');
      if (erasure && (!target || erasure.state_revision > target.state_revision)) {
        const erased = await setErasure(client, roomId, drawingId, erasure, 'done');
        return { roomId, ...erased, drawingId, strokes: await activeStrokes(client, drawingId), stroke: null };
      }
      if (!target) throw new InklingError('NOTHING_TO_REDO', 'you have nothing to redo');
      checkBudget(await boardUsage(client, drawingId), 1, target.point_count, 0);
      const revision = await bumpRevision(client, roomId);
      await client.query(
        "UPDATE strokes SET state = 'active', state_revision = $2, toggled_at = array_append(toggled_at, $2) WHERE id = $1",
        [target.id, revision],
      );
      const stroke = toBoardStroke(target);
      return { roomId, revision, drawingId, strokes: await activeStrokes(client, drawingId), stroke, removed: [], restored: [stroke] };
    });
    this.seen(board);
    return board;
  }

  /** Archives the current drawing (kept in history) and starts an empty one. One round trip. */
  async clear(roomId: string): Promise<BoardState & { archivedDrawingId: number }> {
    try {
      const { rows } = await this.pool.query<{ revision: number; drawing_id: string; archived_drawing_id: string }>({
        name: 'inkling_clear_board',
        text: 'SELECT revision, drawing_id, archived_drawing_id FROM inkling_clear_board($1)',
        values: [roomId],
      });
      const row = rows[0] as { revision: number; drawing_id: string; archived_drawing_id: string };
      const board = {
        roomId,
        revision: row.revision,
        drawingId: Number(row.drawing_id),
        strokes: [],
        archivedDrawingId: Number(row.archived_drawing_id),
      };
      this.seen(board);
      return board;
    } catch (err) {
      if ((err as { code?: string }).code === 'IK404') throw roomNotFound(roomId);
      if ((err as { code?: string }).code === 'IK410') throw roomExpired(roomId);
      throw err;
    }
  }

  /**
   * Stores what the drawing at `revision` really shows: the current board when `revision` is the room's
   * revision, else the archived drawing whose final revision it is. A label is a reference to that drawing
   * revision (its strokes are read from the drawing's history when needed), one per person and revision:
   * labelling again replaces the text. Works in an expired room too (its history stays usable).
   */
  async label(roomId: string, userId: string, revision: number, text: string): Promise<{ labelId: number; drawingId: number }> {
    return inTransaction(this.pool, async (client) => {
      const { rows: roomRows } = await client.query<{ revision: number; current_drawing_id: string }>(
        'SELECT revision, current_drawing_id FROM rooms WHERE id = $1 FOR SHARE',
        [roomId],
      );
      if (!roomRows[0]) throw roomNotFound(roomId);
      const room = { revision: roomRows[0].revision, drawingId: Number(roomRows[0].current_drawing_id) };
      let drawingId: number;
      if (revision === room.revision) drawingId = room.drawingId;
      else {
        const { rows } = await client.query<{ id: string }>('SELECT id FROM drawings WHERE room_id = $1 AND final_revision = $2', [
          roomId,
          revision,
        ]);
        if (!rows[0])
          throw new InklingError('UNKNOWN_REVISION', `revision ${revision} is neither the current board nor an archived drawing`);
        drawingId = Number(rows[0].id);
      }
      const { rows: inked } = await client.query("SELECT 1 FROM strokes WHERE drawing_id = $1 AND state = 'active' LIMIT 1", [drawingId]);
      if (inked.length === 0) throw new InklingError('INVALID_PAYLOAD', 'an empty board cannot be labelled');
      const { rows } = await client.query<{ id: string }>(
        `INSERT INTO labels (drawing_id, revision, text, user_id) VALUES ($1, $2, $3, $4)
         ON CONFLICT (drawing_id, revision, user_id) DO UPDATE SET text = EXCLUDED.text, created_at = now()
         RETURNING id`,
        [drawingId, revision, text, userId],
      );
      return { labelId: Number(rows[0]?.id), drawingId };
    });
  }

  /** Stores a prediction; predictions arriving while earlier ones are being written share one INSERT. */
  insertPrediction(p: Prediction): Promise<void> {
    return this.predictionInserts.submit(p);
  }

  /** Stores several predictions with one INSERT. */
  async insertPredictions(ps: readonly Prediction[]): Promise<ItemResult<void>[]> {
    await this.pool.query({
      name: 'inkling_insert_predictions',
      text: `INSERT INTO predictions (room_id, drawing_id, revision, text, confidence, low_confidence, digits, model_version, latency_ms, inference_ms)
             SELECT * FROM unnest($1::text[], $2::bigint[], $3::integer[], $4::text[], $5::float8[], $6::boolean[], $7::jsonb[], $8::text[],
                                  $9::float8[], $10::float8[])`,
      values: [
        ps.map((p) => p.roomId),
        ps.map((p) => p.drawingId),
        ps.map((p) => p.revision),
        ps.map((p) => p.text),
        ps.map((p) => p.confidence),
        ps.map((p) => p.lowConfidence),
        ps.map((p) => JSON.stringify(p.digits)),
        ps.map((p) => p.modelVersion),
        ps.map((p) => p.latencyMs),
        ps.map((p) => p.inferenceMs),
      ],
    });
    return ps.map(() => ({ ok: true, value: undefined }));
  }

  /** The newest stored prediction of a drawing, at or below `maxRevision`. */
  async latestPrediction(roomId: string, drawingId: number, maxRevision: number): Promise<Prediction | null> {
    const { rows } = await this.pool.query<PredictionRow>(
      `SELECT ${PREDICTION_COLUMNS} FROM predictions WHERE drawing_id = $1 AND revision <= $2 ORDER BY revision DESC, id DESC LIMIT 1`,
      [drawingId, maxRevision],
    );
    return rows[0] ? toPrediction(rows[0], roomId) : null;
  }

  /**
   * The eraser: takes the caller's strokes `strokeIds` off the board in one revision, as one step of their
   * undo history (undo brings them back, redo erases them again), and forgets what they could redo, as any
   * new change does. STROKE_NOT_FOUND, changing nothing, when one of them is not on the board.
   */
  async erase(roomId: string, userId: string, strokeIds: readonly string[]): Promise<BoardState & { removed: string[] }> {
    const ids = [...new Set(strokeIds)];
    const board = await inTransaction(this.pool, async (client) => {
      const { drawingId } = await lockRoom(client, roomId);
      const { rows } = await client.query<{ id: string }>(
        "SELECT id FROM strokes WHERE drawing_id = $1 AND author_id = $2 AND state = 'active' AND stroke_id = ANY ($3::text[])",
        [drawingId, userId, ids],
      );
      if (rows.length !== ids.length)
        throw new InklingError('STROKE_NOT_FOUND', `${ids.length - rows.length} of the strokes to erase are not on the board`);
      const revision = await bumpRevision(client, roomId);
      const rowIds = rows.map((r) => r.id);
      await client.query(
        `UPDATE strokes SET state = 'erased', state_revision = $2, action_revision = coalesce(action_revision, state_revision),
                toggled_at = array_append(toggled_at, $2)
          WHERE id = ANY ($1::bigint[])`,
        [rowIds, revision],
      );
      // A new step: what the caller had undone can no longer be redone.
      await client.query("UPDATE strokes SET state = 'discarded' WHERE drawing_id = $1 AND author_id = $2 AND state = 'undone'", [
        drawingId,
        userId,
      ]);
      await client.query("DELETE FROM erasures WHERE drawing_id = $1 AND author_id = $2 AND state = 'undone'", [drawingId, userId]);
      await client.query(
        "INSERT INTO erasures (drawing_id, author_id, stroke_ids, state, state_revision) VALUES ($1, $2, $3, 'done', $4)",
        [drawingId, userId, rowIds, revision],
      );
      return { roomId, revision, drawingId, strokes: await activeStrokes(client, drawingId), removed: ids };
    });
    this.seen(board);
    return board;
  }
}

export const PREDICTION_COLUMNS =
  'drawing_id, revision, text, confidence, low_confidence, digits, model_version, latency_ms, inference_ms, created_at';

export interface PredictionRow {
  drawing_id: string;
  revision: number;
  text: string;
  confidence: number;
  low_confidence: boolean;
  digits: Prediction['digits'];
  model_version: string;
  latency_ms: number;
  inference_ms: number;
  created_at: Date;
}

export function toPrediction(r: PredictionRow, roomId: string): Prediction {
  // Rows written before "not a digit" existed lack its fields: they were all digits.
  const digits = r.digits.map((d) => ({ ...d, notDigit: d.notDigit ?? false, notDigitProbability: d.notDigitProbability ?? 0 }));
  return {
    roomId,
    drawingId: Number(r.drawing_id),
    revision: r.revision,
    text: r.text,
    digits,
    notDigit: digits.some((d) => d.notDigit),
    confidence: r.confidence,
    lowConfidence: r.low_confidence,
    modelVersion: r.model_version,
    latencyMs: r.latency_ms,
    inferenceMs: r.inference_ms,
  };
}
