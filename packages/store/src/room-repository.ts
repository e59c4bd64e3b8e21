/**
 * Rooms and their boards in Postgres. Every change to a room runs in one transaction holding the room's row
 * lock, so revisions increase by exactly one per change whichever gateway made it, and a gateway restart
 * loses nothing that was acknowledged.
 */

import { type BoardStroke, InklingError, LIMITS, type Prediction, type Stroke } from '@inkling/protocol';
import type pg from 'pg';
import { inTransaction } from './database.js';

export interface BoardState {
  roomId: string;
  revision: number;
  drawingId: number;
  strokes: BoardStroke[];
}

interface StrokeRow {
  stroke_id: string;
  author_id: string;
  points: Stroke['points'];
}

const toBoardStroke = (r: StrokeRow): BoardStroke => ({ id: r.stroke_id, points: r.points, authorId: r.author_id });

async function lockRoom(client: pg.PoolClient, roomId: string): Promise<{ revision: number; drawingId: number }> {
  const { rows } = await client.query<{ revision: number; current_drawing_id: string }>(
    'SELECT revision, current_drawing_id FROM rooms WHERE id = $1 FOR UPDATE',
    [roomId],
  );
  const row = rows[0];
  if (!row) throw new InklingError('ROOM_NOT_FOUND', `room ${roomId} does not exist`);
  return { revision: row.revision, drawingId: Number(row.current_drawing_id) };
}

async function activeStrokes(client: pg.PoolClient | pg.Pool, drawingId: number): Promise<BoardStroke[]> {
  const { rows } = await client.query<StrokeRow>(
    "SELECT stroke_id, author_id, points FROM strokes WHERE drawing_id = $1 AND state = 'active' ORDER BY added_revision, id",
    [drawingId],
  );
  return rows.map(toBoardStroke);
}

async function bumpRevision(client: pg.PoolClient, roomId: string): Promise<number> {
  const { rows } = await client.query<{ revision: number }>('UPDATE rooms SET revision = revision + 1 WHERE id = $1 RETURNING revision', [
    roomId,
  ]);
  return (rows[0] as { revision: number }).revision;
}

export class RoomRepository {
  constructor(private readonly pool: pg.Pool) {}

  async createRoom(roomId: string): Promise<BoardState> {
    return inTransaction(this.pool, async (client) => {
      await client.query('INSERT INTO rooms (id) VALUES ($1)', [roomId]);
      const { rows } = await client.query<{ id: string }>('INSERT INTO drawings (room_id) VALUES ($1) RETURNING id', [roomId]);
      const drawingId = Number(rows[0]?.id);
      await client.query('UPDATE rooms SET current_drawing_id = $2 WHERE id = $1', [roomId, drawingId]);
      return { roomId, revision: 0, drawingId, strokes: [] };
    });
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

  /** Appends a finished stroke; the author's redo history is discarded, as in any editor. One round trip. */
  async commitStroke(roomId: string, authorId: string, stroke: Stroke): Promise<BoardState> {
    try {
      const { rows } = await this.pool.query<{ revision: number; drawing_id: string; strokes: BoardStroke[] }>({
        name: 'inkling_commit_stroke',
        text: 'SELECT revision, drawing_id, strokes FROM inkling_commit_stroke($1, $2, $3, $4, $5)',
        values: [roomId, authorId, stroke.id, JSON.stringify(stroke.points), LIMITS.maxStrokesPerBoard],
      });
      const row = rows[0] as { revision: number; drawing_id: string; strokes: BoardStroke[] };
      return { roomId, revision: row.revision, drawingId: Number(row.drawing_id), strokes: row.strokes };
    } catch (err) {
      switch ((err as { code?: string }).code) {
        case 'IK404':
          throw new InklingError('ROOM_NOT_FOUND', `room ${roomId} does not exist`);
        case 'IK409':
          throw new InklingError('DUPLICATE_STROKE', `stroke ${stroke.id} is already on the board`);
        case 'IK413':
          throw new InklingError('BOARD_FULL', `a board holds at most ${LIMITS.maxStrokesPerBoard} strokes; clear it first`);
        default:
          throw err;
      }
    }
  }

  /** Adds several strokes in one revision (Load), with ids made unique on this board. */
  async addStrokes(roomId: string, authorId: string, strokes: Stroke[]): Promise<BoardState & { added: BoardStroke[] }> {
    return inTransaction(this.pool, async (client) => {
      const { drawingId } = await lockRoom(client, roomId);
      const { rows } = await client.query<{ n: string }>("SELECT count(*) AS n FROM strokes WHERE drawing_id = $1 AND state = 'active'", [
        drawingId,
      ]);
      if (Number(rows[0]?.n ?? 0) + strokes.length > LIMITS.maxStrokesPerBoard) {
        throw new InklingError('BOARD_FULL', `a board holds at most ${LIMITS.maxStrokesPerBoard} strokes; clear it first`);
      }
      const revision = await bumpRevision(client, roomId);
      const added: BoardStroke[] = strokes.map((s, i) => ({ id: `load${revision}-${i}`, points: s.points, authorId }));
      for (const s of added) {
        await client.query(
          'INSERT INTO strokes (drawing_id, stroke_id, author_id, points, added_revision, state_revision) VALUES ($1, $2, $3, $4, $5, $5)',
          [drawingId, s.id, authorId, JSON.stringify(s.points), revision],
        );
      }
      return { roomId, revision, drawingId, strokes: await activeStrokes(client, drawingId), added };
    });
  }

  /** Takes the caller's most recent active stroke off the board. */
  async undo(roomId: string, userId: string): Promise<BoardState & { strokeId: string }> {
    return inTransaction(this.pool, async (client) => {
      const { drawingId } = await lockRoom(client, roomId);
      const { rows } = await client.query<{ id: string; stroke_id: string }>(
        "SELECT id, stroke_id FROM strokes WHERE drawing_id = $1 AND author_id = $2 AND state = 'active' ORDER BY state_revision DESC, id DESC LIMIT 1",
        [drawingId, userId],
      );
      const target = rows[0];
      if (!target) throw new InklingError('NOTHING_TO_UNDO', 'you have no stroke on this board to undo');
      const revision = await bumpRevision(client, roomId);
      await client.query("UPDATE strokes SET state = 'undone', state_revision = $2 WHERE id = $1", [target.id, revision]);
      return { roomId, revision, drawingId, strokes: await activeStrokes(client, drawingId), strokeId: target.stroke_id };
    });
  }

  /** Puts back the caller's most recently undone stroke. */
  async redo(roomId: string, userId: string): Promise<BoardState & { stroke: BoardStroke }> {
    return inTransaction(this.pool, async (client) => {
      const { drawingId } = await lockRoom(client, roomId);
      const { rows } = await client.query<StrokeRow & { id: string }>(
        "SELECT id, stroke_id, author_id, points FROM strokes WHERE drawing_id = $1 AND author_id = $2 AND state = 'undone' ORDER BY state_revision DESC, id DESC LIMIT 1",
        [drawingId, userId],
      );
      const target = rows[0];
      if (!target) throw new InklingError('NOTHING_TO_REDO', 'you have nothing to redo');
      const revision = await bumpRevision(client, roomId);
      await client.query("UPDATE strokes SET state = 'active', state_revision = $2 WHERE id = $1", [target.id, revision]);
      return { roomId, revision, drawingId, strokes: await activeStrokes(client, drawingId), stroke: toBoardStroke(target) };
    });
  }

  /** Archives the current drawing (kept in history) and starts an empty one. */
  async clear(roomId: string): Promise<BoardState & { archivedDrawingId: number }> {
    return inTransaction(this.pool, async (client) => {
      const { drawingId, revision: finalRevision } = await lockRoom(client, roomId);
      const { rows: counts } = await client.query<{ n: string }>(
        "SELECT count(*) AS n FROM strokes WHERE drawing_id = $1 AND state = 'active'",
        [drawingId],
      );
      const revision = await bumpRevision(client, roomId);
      if (Number(counts[0]?.n ?? 0) === 0) {
        // Nothing drawn: keep the same (empty) drawing rather than filling history with blanks.
        return { roomId, revision, drawingId, strokes: [], archivedDrawingId: drawingId };
      }
      await client.query('UPDATE drawings SET archived_at = now(), final_revision = $2 WHERE id = $1', [drawingId, finalRevision]);
      const { rows } = await client.query<{ id: string }>('INSERT INTO drawings (room_id) VALUES ($1) RETURNING id', [roomId]);
      const next = Number(rows[0]?.id);
      await client.query('UPDATE rooms SET current_drawing_id = $2 WHERE id = $1', [roomId, next]);
      return { roomId, revision, drawingId: next, strokes: [], archivedDrawingId: drawingId };
    });
  }

  /**
   * Stores what the drawing at `revision` really shows: the current board when `revision` is the room's
   * revision, else the archived drawing whose final revision it is. The strokes are snapshotted with it.
   */
  async label(roomId: string, userId: string, revision: number, text: string): Promise<{ labelId: number; drawingId: number }> {
    return inTransaction(this.pool, async (client) => {
      const room = await lockRoom(client, roomId);
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
      const strokes = await activeStrokes(client, drawingId);
      if (strokes.length === 0) throw new InklingError('INVALID_PAYLOAD', 'an empty board cannot be labelled');
      const { rows } = await client.query<{ id: string }>(
        'INSERT INTO labels (drawing_id, revision, text, user_id, strokes) VALUES ($1, $2, $3, $4, $5) RETURNING id',
        [drawingId, revision, text, userId, JSON.stringify(strokes.map(({ id, points }) => ({ id, points })))],
      );
      return { labelId: Number(rows[0]?.id), drawingId };
    });
  }

  async insertPrediction(p: Prediction): Promise<void> {
    await this.pool.query(
      `INSERT INTO predictions (room_id, drawing_id, revision, text, confidence, low_confidence, digits, model_version, latency_ms, inference_ms)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [
        p.roomId,
        p.drawingId,
        p.revision,
        p.text,
        p.confidence,
        p.lowConfidence,
        JSON.stringify(p.digits),
        p.modelVersion,
        p.latencyMs,
        p.inferenceMs,
      ],
    );
  }

  /** The newest stored prediction of a drawing, at or below `maxRevision`. */
  async latestPrediction(roomId: string, drawingId: number, maxRevision: number): Promise<Prediction | null> {
    const { rows } = await this.pool.query<PredictionRow>(
      `SELECT ${PREDICTION_COLUMNS} FROM predictions WHERE drawing_id = $1 AND revision <= $2 ORDER BY revision DESC, id DESC LIMIT 1`,
      [drawingId, maxRevision],
    );
    return rows[0] ? toPrediction(rows[0], roomId) : null;
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
  return {
    roomId,
    drawingId: Number(r.drawing_id),
    revision: r.revision,
    text: r.text,
    digits: r.digits,
    confidence: r.confidence,
    lowConfidence: r.low_confidence,
    modelVersion: r.model_version,
    latencyMs: r.latency_ms,
    inferenceMs: r.inference_ms,
  };
}
