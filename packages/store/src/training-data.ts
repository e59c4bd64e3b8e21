/**
 * Read side for retraining and review: user-labelled drawings, and drawings worth an admin's look. A label
 * is a reference to a drawing revision; its strokes are rebuilt from the drawing's history (labels stored
 * before that keep the snapshot they were stored with).
 */
import type { ReviewItem, Stroke } from '@inkling/protocol';
import type pg from 'pg';

/**
 * SQL condition: stroke row `s` was on its drawing at revision `rev` (added by then, and an even number of
 * undo/redo toggles by then).
 */
const ON_BOARD_AT = (rev: string) =>
  `s.added_revision <= ${rev} AND (SELECT count(*) FROM unnest(s.toggled_at) AS t(r) WHERE t.r <= ${rev}) % 2 = 0`;

/** SQL expression: the strokes (`[{ id, points }]`) of drawing `drawing` at revision `rev`. */
const STROKES_AT = (drawing: string, rev: string) =>
  `(SELECT coalesce(jsonb_agg(jsonb_build_object('id', s.stroke_id, 'points', s.points) ORDER BY s.added_revision, s.id), '[]'::jsonb)
      FROM strokes s WHERE s.drawing_id = ${drawing} AND ${ON_BOARD_AT(rev)})`;

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
      `SELECT l.id, l.text, coalesce(l.strokes, ${STROKES_AT('l.drawing_id', 'l.revision')}) AS strokes
         FROM (SELECT DISTINCT ON (drawing_id, revision) id, drawing_id, revision, text, strokes
                 FROM labels ORDER BY drawing_id, revision, created_at DESC, id DESC) l`,
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
      strokes: Stroke[];
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
       SELECT q.*, coalesce(q.label_strokes, ${STROKES_AT('q.drawing_id', 'q.revision')}) AS strokes FROM (
         SELECT l.drawing_id, l.room_id, l.revision, l.text, l.confidence, l.low_confidence,
                lb.text AS label, lb.strokes AS label_strokes, GREATEST(l.created_at, lb.created_at) AS at
           FROM latest l
           LEFT JOIN labelled lb ON lb.drawing_id = l.drawing_id AND lb.revision = l.revision
          WHERE (l.low_confidence AND l.text <> '') OR (lb.text IS NOT NULL AND lb.text <> l.text)
          ORDER BY at DESC
          LIMIT $1
       ) q ORDER BY q.at DESC`,
      [limit],
    );
    const items: ReviewItem[] = [];
    for (const r of rows) {
      const strokes = r.strokes;
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

  /** The strokes that were on a drawing at `revision` (added by then, and not undone at that revision). */
  async strokesAt(drawingId: number, revision: number): Promise<Stroke[]> {
    const { rows } = await this.pool.query<{ strokes: Stroke[] }>(`SELECT ${STROKES_AT('$1::bigint', '$2::integer')} AS strokes`, [
      drawingId,
      revision,
    ]);
    return rows[0]?.strokes ?? [];
  }

  /** Stores an admin's label for a drawing revision (a reference; labelling again replaces the text). */
  async labelRevision(drawingId: number, revision: number, text: string, userId: string): Promise<number> {
    const strokes = await this.strokesAt(drawingId, revision);
    if (strokes.length === 0) throw new RangeError(`drawing ${drawingId} has no strokes at revision ${revision}`);
    const { rows } = await this.pool.query<{ id: string }>(
      `INSERT INTO labels (drawing_id, revision, text, user_id) VALUES ($1, $2, $3, $4)
       ON CONFLICT (drawing_id, revision, user_id) DO UPDATE SET text = EXCLUDED.text, created_at = now()
       RETURNING id`,
      [drawingId, revision, text, userId],
    );
    return Number(rows[0]?.id);
  }
}
