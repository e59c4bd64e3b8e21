/**
 * Read side of a room's past: archived drawings with their final prediction and label. A drawing is only
 * ever read through its room (the room id is the capability to read it).
 */

import type { BoardStroke, DrawingDetail, HistoryItem, HistoryPage } from '@inkling/protocol';
import type pg from 'pg';
import { PREDICTION_COLUMNS, type PredictionRow, toPrediction } from './room-repository.js';

export class HistoryRepository {
  constructor(private readonly pool: pg.Pool) {}

  async roomExists(roomId: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('SELECT 1 FROM rooms WHERE id = $1', [roomId]);
    return (rowCount ?? 0) > 0;
  }

  async list(roomId: string, limit: number, before: number | null): Promise<HistoryPage> {
    const { rows } = await this.pool.query<{
      id: string;
      started_at: Date;
      archived_at: Date;
      final_revision: number;
      stroke_count: string;
      p_text: string | null;
      p_confidence: number | null;
      p_low: boolean | null;
      p_model: string | null;
      p_revision: number | null;
      p_not_digit: boolean | null;
      l_text: string | null;
      l_created: Date | null;
    }>(
      `SELECT d.id, d.started_at, d.archived_at, d.final_revision,
              (SELECT count(*) FROM strokes s WHERE s.drawing_id = d.id AND s.state = 'active') AS stroke_count,
              p.text AS p_text, p.confidence AS p_confidence, p.low_confidence AS p_low, p.model_version AS p_model, p.revision AS p_revision,
              EXISTS (SELECT 1 FROM jsonb_array_elements(p.digits) g WHERE g ->> 'notDigit' = 'true') AS p_not_digit,
              l.text AS l_text, l.created_at AS l_created
         FROM drawings d
         LEFT JOIN LATERAL (SELECT * FROM predictions WHERE drawing_id = d.id AND revision <= d.final_revision
                            ORDER BY revision DESC, id DESC LIMIT 1) p ON true
         LEFT JOIN LATERAL (SELECT * FROM labels WHERE drawing_id = d.id ORDER BY created_at DESC, id DESC LIMIT 1) l ON true
        WHERE d.room_id = $1 AND d.archived_at IS NOT NULL AND ($2::bigint IS NULL OR d.id < $2)
        ORDER BY d.id DESC
        LIMIT $3`,
      [roomId, before, limit + 1],
    );
    const items = rows.slice(0, limit).map(
      (r): HistoryItem => ({
        drawingId: Number(r.id),
        startedAt: r.started_at.toISOString(),
        archivedAt: r.archived_at.toISOString(),
        finalRevision: r.final_revision,
        strokeCount: Number(r.stroke_count),
        prediction:
          r.p_text === null
            ? null
            : {
                text: r.p_text,
                confidence: r.p_confidence ?? 0,
                lowConfidence: r.p_low ?? true,
                modelVersion: r.p_model ?? '',
                revision: r.p_revision ?? 0,
                notDigit: r.p_not_digit ?? false,
              },
        label: r.l_text === null ? null : { text: r.l_text, createdAt: (r.l_created as Date).toISOString() },
      }),
    );
    return { items, nextBefore: rows.length > limit ? (items.at(-1)?.drawingId ?? null) : null };
  }

  /**
   * The revision a drawing of `roomId` is at (its final revision if archived, else the room's), or null
   * when the room has no such drawing.
   */
  async drawingRevision(roomId: string, drawingId: number): Promise<number | null> {
    const { rows } = await this.pool.query<{ revision: number }>(
      `SELECT coalesce(d.final_revision, r.revision) AS revision
         FROM drawings d JOIN rooms r ON r.id = d.room_id
        WHERE d.id = $1 AND d.room_id = $2`,
      [drawingId, roomId],
    );
    return rows[0]?.revision ?? null;
  }

  /**
   * The revision of a drawing of `roomId` and the JSON text of its strokes' point arrays
   * (`[[[x, y, t], …], …]`), read together, for a renderer that parses it elsewhere than on the caller's
   * thread; null when the room has no such drawing.
   */
  async drawingPointsJson(roomId: string, drawingId: number): Promise<{ revision: number; pointsJson: string } | null> {
    const { rows } = await this.pool.query<{ revision: number; points: string }>(
      `SELECT coalesce(d.final_revision, r.revision) AS revision,
              (SELECT coalesce(json_agg(s.points ORDER BY s.added_revision, s.id), '[]')::text
                 FROM strokes s WHERE s.drawing_id = d.id AND s.state = 'active') AS points
         FROM drawings d JOIN rooms r ON r.id = d.room_id
        WHERE d.id = $1 AND d.room_id = $2`,
      [drawingId, roomId],
    );
    const row = rows[0];
    return row ? { revision: row.revision, pointsJson: row.points } : null;
  }

  /** A drawing of `roomId` with its strokes, predictions and labels, or null when the room has no such drawing. */
  async drawing(roomId: string, drawingId: number): Promise<DrawingDetail | null> {
    const { rows } = await this.pool.query<{
      started_at: Date;
      archived_at: Date | null;
      final_revision: number | null;
      room_revision: number;
    }>(
      `SELECT d.started_at, d.archived_at, d.final_revision, r.revision AS room_revision
         FROM drawings d JOIN rooms r ON r.id = d.room_id
        WHERE d.id = $1 AND d.room_id = $2`,
      [drawingId, roomId],
    );
    const d = rows[0];
    if (!d) return null;
    const [strokes, predictions, labels] = await Promise.all([
      this.pool.query<{ stroke_id: string; author_id: string; points: BoardStroke['points'] }>(
        "SELECT stroke_id, author_id, points FROM strokes WHERE drawing_id = $1 AND state = 'active' ORDER BY added_revision, id",
        [drawingId],
      ),
      this.pool.query<PredictionRow>(`SELECT ${PREDICTION_COLUMNS} FROM predictions WHERE drawing_id = $1 ORDER BY revision, id`, [
        drawingId,
      ]),
      this.pool.query<{ text: string; revision: number; user_id: string; created_at: Date }>(
        'SELECT text, revision, user_id, created_at FROM labels WHERE drawing_id = $1 ORDER BY created_at, id',
        [drawingId],
      ),
    ]);
    return {
      drawingId,
      roomId,
      revision: d.final_revision ?? d.room_revision,
      startedAt: d.started_at.toISOString(),
      archivedAt: d.archived_at?.toISOString() ?? null,
      finalRevision: d.final_revision,
      strokes: strokes.rows.map((r) => ({ id: r.stroke_id, points: r.points, authorId: r.author_id })),
      predictions: predictions.rows.map((r) => toPrediction(r, roomId)),
      labels: labels.rows.map((l) => ({ text: l.text, revision: l.revision, userId: l.user_id, createdAt: l.created_at.toISOString() })),
    };
  }

  /**
   * Deletes an archived drawing of `roomId` for good: its strokes, predictions and labels go with it, so
   * labels given to it are no longer used for retraining (models already trained keep what they learned).
   * The drawing on the board cannot be deleted. False when the room has no such archived drawing.
   */
  async deleteArchived(roomId: string, drawingId: number): Promise<boolean> {
    const { rowCount } = await this.pool.query('DELETE FROM drawings WHERE id = $1 AND room_id = $2 AND archived_at IS NOT NULL', [
      drawingId,
      roomId,
    ]);
    return (rowCount ?? 0) > 0;
  }
}
