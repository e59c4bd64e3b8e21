/** Read side for retraining and review: user-labelled drawings, and drawings worth an admin's look. */
import type { ReviewItem, Stroke } from '@inkling/protocol';
import type pg from 'pg';

export interface LabelledDrawing {
  labelId: number;
  text: string;
  strokes: Stroke[];
}

export class TrainingData {
  constructor(private readonly pool: pg.Pool) {}

  /** The newest label of every labelled drawing revision (a correction replaces an earlier label). */
  async labelledDrawings(): Promise<LabelledDrawing[]> {
    const { rows } = await this.pool.query<{ id: string; text: string; strokes: Stroke[] }>(
      `SELECT DISTINCT ON (drawing_id, revision) id, text, strokes
         FROM labels ORDER BY drawing_id, revision, created_at DESC, id DESC`,
    );
    return rows.map((r) => ({ labelId: Number(r.id), text: r.text, strokes: r.strokes })).sort((a, b) => a.labelId - b.labelId);
  }

  /**
   * The most recent low-confidence predictions and user-corrected drawings (label differs from what was
   * recognized), newest first, one entry per drawing revision.
   */
  async reviewQueue(limit: number): Promise<ReviewItem[]> {
    const { rows } = await this.pool.query<{
      drawing_id: string;
      room_id: string;
      revision: number;
      text: string;
      confidence: number;
      low_confidence: boolean;
      label: string | null;
      label_strokes: Stroke[] | null;
      at: Date;
    }>(
      `WITH latest AS (
         SELECT DISTINCT ON (p.drawing_id, p.revision) p.drawing_id, p.room_id, p.revision, p.text, p.confidence, p.low_confidence, p.created_at
           FROM predictions p
          WHERE p.created_at > now() - interval '30 days'
          ORDER BY p.drawing_id, p.revision, p.created_at DESC
       ), labelled AS (
         SELECT DISTINCT ON (drawing_id, revision) drawing_id, revision, text, strokes, created_at
           FROM labels ORDER BY drawing_id, revision, created_at DESC
       )
       SELECT l.drawing_id, l.room_id, l.revision, l.text, l.confidence, l.low_confidence,
              lb.text AS label, lb.strokes AS label_strokes, GREATEST(l.created_at, lb.created_at) AS at
         FROM latest l
         LEFT JOIN labelled lb ON lb.drawing_id = l.drawing_id AND lb.revision = l.revision
        WHERE (l.low_confidence AND l.text <> '') OR (lb.text IS NOT NULL AND lb.text <> l.text)
        ORDER BY at DESC
        LIMIT $1`,
      [limit],
    );
    const items: ReviewItem[] = [];
    for (const r of rows) {
      const strokes = r.label_strokes ?? (await this.strokesAt(Number(r.drawing_id), r.revision));
      if (strokes.length === 0) continue;
      items.push({
        drawingId: Number(r.drawing_id),
        roomId: r.room_id,
        revision: r.revision,
        strokes,
        predictedText: r.text,
        confidence: r.confidence,
        lowConfidence: r.low_confidence,
        label: r.label,
        at: r.at.toISOString(),
      });
    }
    return items;
  }

  /** The strokes that were on a drawing at `revision` (added by then and not undone by then). */
  async strokesAt(drawingId: number, revision: number): Promise<Stroke[]> {
    const { rows } = await this.pool.query<{ stroke_id: string; points: Stroke['points'] }>(
      `SELECT stroke_id, points FROM strokes
        WHERE drawing_id = $1 AND added_revision <= $2 AND (state = 'active' OR state_revision > $2)
        ORDER BY added_revision, id`,
      [drawingId, revision],
    );
    return rows.map((r) => ({ id: r.stroke_id, points: r.points }));
  }

  /** Stores an admin's label for a drawing revision, snapshotting its strokes then. */
  async labelRevision(drawingId: number, revision: number, text: string, userId: string): Promise<number> {
    const strokes = await this.strokesAt(drawingId, revision);
    if (strokes.length === 0) throw new RangeError(`drawing ${drawingId} has no strokes at revision ${revision}`);
    const { rows } = await this.pool.query<{ id: string }>(
      'INSERT INTO labels (drawing_id, revision, text, user_id, strokes) VALUES ($1, $2, $3, $4, $5) RETURNING id',
      [drawingId, revision, text, userId, JSON.stringify(strokes)],
    );
    return Number(rows[0]?.id);
  }
}
