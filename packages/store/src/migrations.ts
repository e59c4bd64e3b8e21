/**
 * Schema migrations, applied in order at start-up by every process that uses the database. Each runs once,
 * inside a transaction holding an advisory lock, so several gateways and workers may start together.
 */
import type pg from 'pg';
import { inTransaction } from './database.js';

export const MIGRATIONS: readonly { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'rooms, drawings, strokes, predictions, labels',
    sql: `
      CREATE TABLE rooms (
        id text PRIMARY KEY,
        created_at timestamptz NOT NULL DEFAULT now(),
        revision integer NOT NULL DEFAULT 0,
        current_drawing_id bigint
      );
      CREATE TABLE drawings (
        id bigserial PRIMARY KEY,
        room_id text NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
        started_at timestamptz NOT NULL DEFAULT now(),
        archived_at timestamptz,
        final_revision integer
      );
      CREATE INDEX drawings_room_archived ON drawings (room_id, archived_at DESC);
      CREATE TABLE strokes (
        id bigserial PRIMARY KEY,
        drawing_id bigint NOT NULL REFERENCES drawings(id) ON DELETE CASCADE,
        stroke_id text NOT NULL,
        author_id text NOT NULL,
        points jsonb NOT NULL,
        added_revision integer NOT NULL,
        state text NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'undone', 'discarded')),
        state_revision integer NOT NULL,
        UNIQUE (drawing_id, stroke_id)
      );
      CREATE INDEX strokes_drawing_author ON strokes (drawing_id, author_id, state);
      CREATE TABLE predictions (
        id bigserial PRIMARY KEY,
        room_id text NOT NULL,
        drawing_id bigint NOT NULL REFERENCES drawings(id) ON DELETE CASCADE,
        revision integer NOT NULL,
        text text NOT NULL,
        confidence double precision NOT NULL,
        low_confidence boolean NOT NULL,
        digits jsonb NOT NULL,
        model_version text NOT NULL,
        latency_ms double precision NOT NULL,
        inference_ms double precision NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX predictions_drawing_revision ON predictions (drawing_id, revision DESC);
      CREATE TABLE labels (
        id bigserial PRIMARY KEY,
        drawing_id bigint NOT NULL REFERENCES drawings(id) ON DELETE CASCADE,
        revision integer NOT NULL,
        text text NOT NULL,
        user_id text NOT NULL,
        strokes jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX labels_drawing ON labels (drawing_id, created_at DESC);
    `,
  },
  {
    version: 2,
    name: 'model registry',
    sql: `
      CREATE TABLE models (
        version text PRIMARY KEY,
        parent_version text,
        status text NOT NULL CHECK (status IN ('candidate', 'promoted', 'rejected', 'retired')),
        folder text NOT NULL,
        metrics jsonb NOT NULL,
        data_counts jsonb NOT NULL,
        training_time_ms double precision NOT NULL,
        backend text NOT NULL,
        reason text,
        created_at timestamptz NOT NULL DEFAULT now(),
        promoted_at timestamptz
      );
      -- At most one promoted model at any time.
      CREATE UNIQUE INDEX models_one_promoted ON models ((true)) WHERE status = 'promoted';
      CREATE INDEX predictions_low_confidence ON predictions (created_at DESC) WHERE low_confidence;
    `,
  },
  {
    version: 3,
    name: 'stroke commit in one round trip',
    sql: `
      -- Appends a stroke (discarding the author's redo history) and returns the new revision with the board's
      -- active strokes: the room row is locked only inside the server, for one statement's time.
      -- Errors carry their own SQLSTATE: IK404 room not found, IK409 duplicate stroke id, IK413 board full.
      CREATE FUNCTION inkling_commit_stroke(p_room text, p_author text, p_stroke text, p_points jsonb, p_max integer)
      RETURNS TABLE (revision integer, drawing_id bigint, strokes jsonb)
      LANGUAGE plpgsql AS $fn$
      DECLARE
        v_drawing bigint;
        v_revision integer;
        v_active integer;
        v_dup boolean;
      BEGIN
        SELECT r.current_drawing_id INTO v_drawing FROM rooms r WHERE r.id = p_room FOR UPDATE;
        IF NOT FOUND THEN RAISE EXCEPTION 'room % does not exist', p_room USING ERRCODE = 'IK404'; END IF;
        SELECT count(*) FILTER (WHERE s.state = 'active'), coalesce(bool_or(s.stroke_id = p_stroke), false)
          INTO v_active, v_dup FROM strokes s WHERE s.drawing_id = v_drawing;
        IF v_dup THEN RAISE EXCEPTION 'stroke % is already on the board', p_stroke USING ERRCODE = 'IK409'; END IF;
        IF v_active >= p_max THEN RAISE EXCEPTION 'board full' USING ERRCODE = 'IK413'; END IF;
        UPDATE rooms r SET revision = r.revision + 1 WHERE r.id = p_room RETURNING r.revision INTO v_revision;
        UPDATE strokes s SET state = 'discarded', state_revision = v_revision
         WHERE s.drawing_id = v_drawing AND s.author_id = p_author AND s.state = 'undone';
        INSERT INTO strokes (drawing_id, stroke_id, author_id, points, added_revision, state_revision)
        VALUES (v_drawing, p_stroke, p_author, p_points, v_revision, v_revision);
        RETURN QUERY SELECT v_revision, v_drawing,
          coalesce(jsonb_agg(jsonb_build_object('id', s.stroke_id, 'authorId', s.author_id, 'points', s.points) ORDER BY s.added_revision, s.id), '[]'::jsonb)
          FROM strokes s WHERE s.drawing_id = v_drawing AND s.state = 'active';
      END
      $fn$;
    `,
  },
  {
    version: 4,
    name: 'stroke commits in batches, clear in one round trip',
    sql: `
      -- Appends a batch of strokes (any rooms, in order), each discarding its author's redo history, and
      -- returns one row per item: the new revision, or the item's own error code (IK404 room not found,
      -- IK409 duplicate stroke id, IK413 board full), which leaves the rest of the batch unaffected. The
      -- board's active strokes are returned only when the revision before the stroke is not p_known[i], the
      -- revision whose board the caller already has. All rooms are locked first, in id order, so concurrent
      -- batches cannot deadlock.
      CREATE FUNCTION inkling_commit_strokes(p_rooms text[], p_authors text[], p_strokes text[], p_points jsonb, p_known integer[],
                                             p_max integer)
      RETURNS TABLE (ord integer, revision integer, drawing_id bigint, strokes jsonb, error text)
      LANGUAGE plpgsql AS $fn$
      DECLARE
        i integer;
        v_drawing bigint;
        v_before integer;
        v_revision integer;
        v_active integer;
        v_dup boolean;
      BEGIN
        PERFORM 1 FROM rooms r WHERE r.id = ANY (p_rooms) ORDER BY r.id FOR UPDATE;
        FOR i IN 1 .. coalesce(array_length(p_rooms, 1), 0) LOOP
          ord := i - 1;
          revision := NULL;
          drawing_id := NULL;
          strokes := NULL;
          error := NULL;
          SELECT r.current_drawing_id, r.revision INTO v_drawing, v_before FROM rooms r WHERE r.id = p_rooms[i];
          IF NOT FOUND THEN
            error := 'IK404';
          ELSE
            SELECT count(*) FILTER (WHERE s.state = 'active'), coalesce(bool_or(s.stroke_id = p_strokes[i]), false)
              INTO v_active, v_dup FROM strokes s WHERE s.drawing_id = v_drawing;
            IF v_dup THEN
              error := 'IK409';
            ELSIF v_active >= p_max THEN
              error := 'IK413';
            ELSE
              UPDATE rooms r SET revision = r.revision + 1 WHERE r.id = p_rooms[i] RETURNING r.revision INTO v_revision;
              UPDATE strokes s SET state = 'discarded', state_revision = v_revision
               WHERE s.drawing_id = v_drawing AND s.author_id = p_authors[i] AND s.state = 'undone';
              INSERT INTO strokes (drawing_id, stroke_id, author_id, points, added_revision, state_revision)
              VALUES (v_drawing, p_strokes[i], p_authors[i], p_points -> (i - 1), v_revision, v_revision);
              revision := v_revision;
              drawing_id := v_drawing;
              IF v_before IS DISTINCT FROM p_known[i] THEN
                SELECT coalesce(jsonb_agg(jsonb_build_object('id', s.stroke_id, 'authorId', s.author_id, 'points', s.points)
                         ORDER BY s.added_revision, s.id), '[]'::jsonb)
                  INTO strokes FROM strokes s WHERE s.drawing_id = v_drawing AND s.state = 'active';
              END IF;
            END IF;
          END IF;
          RETURN NEXT;
        END LOOP;
      END
      $fn$;
      DROP FUNCTION inkling_commit_stroke(text, text, text, jsonb, integer);

      -- Archives the room's drawing (unless it is empty, which is kept rather than filling history with
      -- blanks) and starts an empty one, as a new revision. IK404: room not found.
      CREATE FUNCTION inkling_clear_board(p_room text)
      RETURNS TABLE (revision integer, drawing_id bigint, archived_drawing_id bigint)
      LANGUAGE plpgsql AS $fn$
      DECLARE
        v_drawing bigint;
        v_final integer;
        v_next bigint;
      BEGIN
        SELECT r.current_drawing_id, r.revision INTO v_drawing, v_final FROM rooms r WHERE r.id = p_room FOR UPDATE;
        IF NOT FOUND THEN RAISE EXCEPTION 'room % does not exist', p_room USING ERRCODE = 'IK404'; END IF;
        v_next := v_drawing;
        IF EXISTS (SELECT 1 FROM strokes s WHERE s.drawing_id = v_drawing AND s.state = 'active') THEN
          UPDATE drawings d SET archived_at = now(), final_revision = v_final WHERE d.id = v_drawing;
          INSERT INTO drawings (room_id) VALUES (p_room) RETURNING id INTO v_next;
        END IF;
        UPDATE rooms r SET revision = r.revision + 1, current_drawing_id = v_next WHERE r.id = p_room;
        RETURN QUERY SELECT v_final + 1, v_next, v_drawing;
      END
      $fn$;
    `,
  },
  {
    version: 5,
    name: 'trust: author-scoped stroke ids, board budget in points, exact stroke history, label references, room expiry',
    sql: `
      -- A stroke id is its author's: two authors may use the same id without colliding.
      ALTER TABLE strokes DROP CONSTRAINT strokes_drawing_id_stroke_id_key;
      ALTER TABLE strokes ADD CONSTRAINT strokes_drawing_author_stroke_key UNIQUE (drawing_id, author_id, stroke_id);
      -- Points per stroke, for the board's point budget without reading every stroke's points.
      ALTER TABLE strokes ADD COLUMN point_count integer;
      UPDATE strokes SET point_count = jsonb_array_length(points);
      ALTER TABLE strokes ALTER COLUMN point_count SET NOT NULL;
      -- Revisions at which an undo or a redo took the stroke off or put it back, in order: the stroke is on
      -- the board at revision R when added by R and an even number of these are <= R. (Discarding an undone
      -- stroke changes nothing on the board and is not recorded.) Older rows get their last change only.
      ALTER TABLE strokes ADD COLUMN toggled_at integer[] NOT NULL DEFAULT '{}';
      UPDATE strokes SET toggled_at = ARRAY[state_revision] WHERE state <> 'active';

      -- Idle rooms expire: no more changes or members, history still readable.
      ALTER TABLE rooms ADD COLUMN last_active_at timestamptz NOT NULL DEFAULT now();
      ALTER TABLE rooms ADD COLUMN expired_at timestamptz;
      CREATE INDEX rooms_idle ON rooms (last_active_at) WHERE expired_at IS NULL;

      -- A label is a reference to a drawing revision (strokes read from the drawing's history); older labels
      -- keep their snapshot. One label per person per revision: a correction replaces it.
      ALTER TABLE labels ALTER COLUMN strokes DROP NOT NULL;
      DELETE FROM labels a USING labels b
       WHERE a.drawing_id = b.drawing_id AND a.revision = b.revision AND a.user_id = b.user_id AND a.id < b.id;
      CREATE UNIQUE INDEX labels_one_per_user ON labels (drawing_id, revision, user_id);

      -- As in version 4, plus: duplicates are per author (IK409), the board budget counts points and stored
      -- strokes too (IK413), an expired room takes nothing (IK410), and the room's activity time moves.
      DROP FUNCTION inkling_commit_strokes(text[], text[], text[], jsonb, integer[], integer);
      CREATE FUNCTION inkling_commit_strokes(p_rooms text[], p_authors text[], p_strokes text[], p_points jsonb, p_known integer[],
                                             p_max_strokes integer, p_max_points integer, p_max_stored integer)
      RETURNS TABLE (ord integer, revision integer, drawing_id bigint, strokes jsonb, error text)
      LANGUAGE plpgsql AS $fn$
      DECLARE
        i integer;
        v_drawing bigint;
        v_before integer;
        v_expired boolean;
        v_revision integer;
        v_active integer;
        v_active_points bigint;
        v_stored integer;
        v_points jsonb;
        v_dup boolean;
      BEGIN
        PERFORM 1 FROM rooms r WHERE r.id = ANY (p_rooms) ORDER BY r.id FOR UPDATE;
        FOR i IN 1 .. coalesce(array_length(p_rooms, 1), 0) LOOP
          ord := i - 1;
          revision := NULL;
          drawing_id := NULL;
          strokes := NULL;
          error := NULL;
          SELECT r.current_drawing_id, r.revision, r.expired_at IS NOT NULL INTO v_drawing, v_before, v_expired
            FROM rooms r WHERE r.id = p_rooms[i];
          IF NOT FOUND THEN
            error := 'IK404';
          ELSIF v_expired THEN
            error := 'IK410';
          ELSE
            v_points := p_points -> (i - 1);
            SELECT count(*) FILTER (WHERE s.state = 'active'), coalesce(sum(s.point_count) FILTER (WHERE s.state = 'active'), 0),
                   count(*), coalesce(bool_or(s.stroke_id = p_strokes[i] AND s.author_id = p_authors[i]), false)
              INTO v_active, v_active_points, v_stored, v_dup FROM strokes s WHERE s.drawing_id = v_drawing;
            IF v_dup THEN
              error := 'IK409';
            ELSIF v_active >= p_max_strokes OR v_active_points + jsonb_array_length(v_points) > p_max_points OR v_stored >= p_max_stored THEN
              error := 'IK413';
            ELSE
              UPDATE rooms r SET revision = r.revision + 1, last_active_at = now() WHERE r.id = p_rooms[i] RETURNING r.revision INTO v_revision;
              UPDATE strokes s SET state = 'discarded', state_revision = v_revision
               WHERE s.drawing_id = v_drawing AND s.author_id = p_authors[i] AND s.state = 'undone';
              INSERT INTO strokes (drawing_id, stroke_id, author_id, points, point_count, added_revision, state_revision)
              VALUES (v_drawing, p_strokes[i], p_authors[i], v_points, jsonb_array_length(v_points), v_revision, v_revision);
              revision := v_revision;
              drawing_id := v_drawing;
              IF v_before IS DISTINCT FROM p_known[i] THEN
                SELECT coalesce(jsonb_agg(jsonb_build_object('id', s.stroke_id, 'authorId', s.author_id, 'points', s.points)
                         ORDER BY s.added_revision, s.id), '[]'::jsonb)
                  INTO strokes FROM strokes s WHERE s.drawing_id = v_drawing AND s.state = 'active';
              END IF;
            END IF;
          END IF;
          RETURN NEXT;
        END LOOP;
      END
      $fn$;

      -- As in version 4, refusing an expired room (IK410) and moving the room's activity time.
      CREATE OR REPLACE FUNCTION inkling_clear_board(p_room text)
      RETURNS TABLE (revision integer, drawing_id bigint, archived_drawing_id bigint)
      LANGUAGE plpgsql AS $fn$
      DECLARE
        v_drawing bigint;
        v_final integer;
        v_expired boolean;
        v_next bigint;
      BEGIN
        SELECT r.current_drawing_id, r.revision, r.expired_at IS NOT NULL INTO v_drawing, v_final, v_expired
          FROM rooms r WHERE r.id = p_room FOR UPDATE;
        IF NOT FOUND THEN RAISE EXCEPTION 'room % does not exist', p_room USING ERRCODE = 'IK404'; END IF;
        IF v_expired THEN RAISE EXCEPTION 'room % has expired', p_room USING ERRCODE = 'IK410'; END IF;
        v_next := v_drawing;
        IF EXISTS (SELECT 1 FROM strokes s WHERE s.drawing_id = v_drawing AND s.state = 'active') THEN
          UPDATE drawings d SET archived_at = now(), final_revision = v_final WHERE d.id = v_drawing;
          INSERT INTO drawings (room_id) VALUES (p_room) RETURNING id INTO v_next;
        END IF;
        UPDATE rooms r SET revision = r.revision + 1, current_drawing_id = v_next, last_active_at = now() WHERE r.id = p_room;
        RETURN QUERY SELECT v_final + 1, v_next, v_drawing;
      END
      $fn$;
    `,
  },
  {
    version: 6,
    name: 'recognition by reference: recognized revision per room',
    sql: `
      -- A room needs recognition while revision > recognized_revision: every change already raises the
      -- revision in its own transaction, so the wish to recognize is recorded with the change at no extra
      -- cost, and the reconciler finds lagging rooms here. Existing rooms count as recognized.
      ALTER TABLE rooms ADD COLUMN recognized_revision integer NOT NULL DEFAULT 0;
      UPDATE rooms SET recognized_revision = revision;

      -- The boards of several rooms for recognition, as of one snapshot. p_drawings/p_revisions name the
      -- board the caller already holds (NULL: none): when it is the room's current drawing, only strokes
      -- changed since are returned (the state of each: points, or NULL when no longer active), else the
      -- active strokes. strokes is NULL when the room has nothing to recognize (its latest revision has a
      -- stored prediction) unless p_explicit. Each stroke is [row id, stroke id, added revision, points].
      CREATE FUNCTION inkling_recognition_boards(p_rooms text[], p_drawings bigint[], p_revisions integer[], p_explicit boolean[])
      RETURNS TABLE (room_id text, revision integer, recognized_revision integer, drawing_id bigint, full_board boolean, strokes jsonb)
      LANGUAGE sql STABLE AS $fn$
        SELECT r.id, r.revision, r.recognized_revision, r.current_drawing_id, f.full_board,
               CASE
                 WHEN r.revision <= r.recognized_revision AND NOT k.explicit THEN NULL
                 WHEN f.full_board THEN (
                   SELECT coalesce(jsonb_agg(jsonb_build_array(s.id, s.stroke_id, s.added_revision, s.points) ORDER BY s.added_revision, s.id),
                                   '[]'::jsonb)
                     FROM strokes s WHERE s.drawing_id = r.current_drawing_id AND s.state = 'active')
                 WHEN k.revision = r.revision THEN '[]'::jsonb
                 ELSE (
                   SELECT coalesce(jsonb_agg(jsonb_build_array(s.id, s.stroke_id, s.added_revision,
                                                               CASE WHEN s.state = 'active' THEN s.points END) ORDER BY s.added_revision, s.id),
                                   '[]'::jsonb)
                     FROM strokes s WHERE s.drawing_id = r.current_drawing_id AND s.state_revision > k.revision)
               END
          FROM unnest(p_rooms, p_drawings, p_revisions, p_explicit) AS k(room, drawing, revision, explicit)
          JOIN rooms r ON r.id = k.room
          CROSS JOIN LATERAL (SELECT k.drawing IS DISTINCT FROM r.current_drawing_id OR k.revision IS NULL OR k.revision > r.revision
                                     AS full_board) f
      $fn$;

      -- Stores predictions and advances each room's recognized revision in one transaction. A prediction is
      -- stored only when its revision is newer than the room's recognized one (or equal, for an explicit
      -- Recognize), so duplicate or late jobs store nothing. Returns the 0-based positions stored. Callers
      -- pass rooms in id order, the order stroke commits lock them in.
      CREATE FUNCTION inkling_store_predictions(p_rooms text[], p_drawings bigint[], p_revisions integer[], p_explicit boolean[],
                                                p_texts text[], p_confidences float8[], p_low boolean[], p_digits jsonb, p_models text[],
                                                p_latencies float8[], p_inference float8[])
      RETURNS TABLE (ord integer)
      LANGUAGE plpgsql AS $fn$
      DECLARE
        i integer;
      BEGIN
        FOR i IN 1 .. coalesce(array_length(p_rooms, 1), 0) LOOP
          UPDATE rooms r SET recognized_revision = p_revisions[i]
           WHERE r.id = p_rooms[i] AND r.revision >= p_revisions[i]
             AND (r.recognized_revision < p_revisions[i] OR (p_explicit[i] AND r.recognized_revision = p_revisions[i]));
          IF FOUND THEN
            INSERT INTO predictions (room_id, drawing_id, revision, text, confidence, low_confidence, digits, model_version, latency_ms,
                                     inference_ms)
            VALUES (p_rooms[i], p_drawings[i], p_revisions[i], p_texts[i], p_confidences[i], p_low[i], p_digits -> (i - 1), p_models[i],
                    p_latencies[i], p_inference[i]);
            ord := i - 1;
            RETURN NEXT;
          END IF;
        END LOOP;
      END
      $fn$;
    `,
  },
  {
    version: 7,
    name: 'eraser: erased strokes and erasures in the undo history; history items can be deleted',
    sql: `
      -- An erased stroke is off the board like an undone one, but belongs to an erasure (one step of its
      -- author's undo history) rather than being redoable on its own.
      ALTER TABLE strokes DROP CONSTRAINT strokes_state_check;
      ALTER TABLE strokes ADD CONSTRAINT strokes_state_check CHECK (state IN ('active', 'undone', 'discarded', 'erased'));
      -- Where the stroke stands in its author's undo history when it is not its state_revision: an erased
      -- and restored stroke keeps the place of the commit or redo that drew it. NULL: state_revision.
      ALTER TABLE strokes ADD COLUMN action_revision integer;
      -- One use of the eraser: the strokes (row ids) it took off at state_revision ('done'), or that an
      -- undo put back ('undone'; redoable until the author's next change).
      CREATE TABLE erasures (
        id bigserial PRIMARY KEY,
        drawing_id bigint NOT NULL REFERENCES drawings(id) ON DELETE CASCADE,
        author_id text NOT NULL,
        stroke_ids bigint[] NOT NULL,
        state text NOT NULL CHECK (state IN ('done', 'undone')),
        state_revision integer NOT NULL
      );
      CREATE INDEX erasures_drawing_author ON erasures (drawing_id, author_id, state, state_revision DESC);
    `,
  },
  {
    version: 8,
    name: 'stroke commits move the room activity time at most once a minute (heap-only updates of rooms)',
    sql: `
      -- As in version 5, except that the room's activity time (indexed by rooms_idle) moves only when it is
      -- more than a minute old, as joins already do: the other commits of that minute change no indexed
      -- column, so their update of the room is heap-only (no new index entries, less WAL and vacuum). Room
      -- expiry is measured in days.
      CREATE OR REPLACE FUNCTION inkling_commit_strokes(p_rooms text[], p_authors text[], p_strokes text[], p_points jsonb, p_known integer[],
                                             p_max_strokes integer, p_max_points integer, p_max_stored integer)
      RETURNS TABLE (ord integer, revision integer, drawing_id bigint, strokes jsonb, error text)
      LANGUAGE plpgsql AS $fn$
      DECLARE
        i integer;
        v_drawing bigint;
        v_before integer;
        v_expired boolean;
        v_revision integer;
        v_active integer;
        v_active_points bigint;
        v_stored integer;
        v_points jsonb;
        v_dup boolean;
      BEGIN
        PERFORM 1 FROM rooms r WHERE r.id = ANY (p_rooms) ORDER BY r.id FOR UPDATE;
        FOR i IN 1 .. coalesce(array_length(p_rooms, 1), 0) LOOP
          ord := i - 1;
          revision := NULL;
          drawing_id := NULL;
          strokes := NULL;
          error := NULL;
          SELECT r.current_drawing_id, r.revision, r.expired_at IS NOT NULL INTO v_drawing, v_before, v_expired
            FROM rooms r WHERE r.id = p_rooms[i];
          IF NOT FOUND THEN
            error := 'IK404';
          ELSIF v_expired THEN
            error := 'IK410';
          ELSE
            v_points := p_points -> (i - 1);
            SELECT count(*) FILTER (WHERE s.state = 'active'), coalesce(sum(s.point_count) FILTER (WHERE s.state = 'active'), 0),
                   count(*), coalesce(bool_or(s.stroke_id = p_strokes[i] AND s.author_id = p_authors[i]), false)
              INTO v_active, v_active_points, v_stored, v_dup FROM strokes s WHERE s.drawing_id = v_drawing;
            IF v_dup THEN
              error := 'IK409';
            ELSIF v_active >= p_max_strokes OR v_active_points + jsonb_array_length(v_points) > p_max_points OR v_stored >= p_max_stored THEN
              error := 'IK413';
            ELSE
              UPDATE rooms r SET revision = r.revision + 1,
                     last_active_at = CASE WHEN r.last_active_at < now() - interval '1 minute' THEN now() ELSE r.last_active_at END
               WHERE r.id = p_rooms[i] RETURNING r.revision INTO v_revision;
              UPDATE strokes s SET state = 'discarded', state_revision = v_revision
               WHERE s.drawing_id = v_drawing AND s.author_id = p_authors[i] AND s.state = 'undone';
              INSERT INTO strokes (drawing_id, stroke_id, author_id, points, point_count, added_revision, state_revision)
              VALUES (v_drawing, p_strokes[i], p_authors[i], v_points, jsonb_array_length(v_points), v_revision, v_revision);
              revision := v_revision;
              drawing_id := v_drawing;
              IF v_before IS DISTINCT FROM p_known[i] THEN
                SELECT coalesce(jsonb_agg(jsonb_build_object('id', s.stroke_id, 'authorId', s.author_id, 'points', s.points)
                         ORDER BY s.added_revision, s.id), '[]'::jsonb)
                  INTO strokes FROM strokes s WHERE s.drawing_id = v_drawing AND s.state = 'active';
              END IF;
            END IF;
          END IF;
          RETURN NEXT;
        END LOOP;
      END
      $fn$;
    `,
  },
  {
    version: 9,
    name: 'stroke commits return the new stroke row id (recognition jobs carry the change: no board read)',
    sql: `
      -- As in version 8, and the result names the new stroke's row: a recognition job can then carry the
      -- change itself, and a worker that saw the board before applies it without reading the board back.
      DROP FUNCTION inkling_commit_strokes(text[], text[], text[], jsonb, integer[], integer, integer, integer);
      CREATE FUNCTION inkling_commit_strokes(p_rooms text[], p_authors text[], p_strokes text[], p_points jsonb, p_known integer[],
                                             p_max_strokes integer, p_max_points integer, p_max_stored integer)
      RETURNS TABLE (ord integer, revision integer, drawing_id bigint, row_id bigint, strokes jsonb, error text)
      LANGUAGE plpgsql AS $fn$
      DECLARE
        i integer;
        v_drawing bigint;
        v_before integer;
        v_expired boolean;
        v_revision integer;
        v_active integer;
        v_active_points bigint;
        v_stored integer;
        v_points jsonb;
        v_dup boolean;
      BEGIN
        PERFORM 1 FROM rooms r WHERE r.id = ANY (p_rooms) ORDER BY r.id FOR UPDATE;
        FOR i IN 1 .. coalesce(array_length(p_rooms, 1), 0) LOOP
          ord := i - 1;
          revision := NULL;
          drawing_id := NULL;
          row_id := NULL;
          strokes := NULL;
          error := NULL;
          SELECT r.current_drawing_id, r.revision, r.expired_at IS NOT NULL INTO v_drawing, v_before, v_expired
            FROM rooms r WHERE r.id = p_rooms[i];
          IF NOT FOUND THEN
            error := 'IK404';
          ELSIF v_expired THEN
            error := 'IK410';
          ELSE
            v_points := p_points -> (i - 1);
            SELECT count(*) FILTER (WHERE s.state = 'active'), coalesce(sum(s.point_count) FILTER (WHERE s.state = 'active'), 0),
                   count(*), coalesce(bool_or(s.stroke_id = p_strokes[i] AND s.author_id = p_authors[i]), false)
              INTO v_active, v_active_points, v_stored, v_dup FROM strokes s WHERE s.drawing_id = v_drawing;
            IF v_dup THEN
              error := 'IK409';
            ELSIF v_active >= p_max_strokes OR v_active_points + jsonb_array_length(v_points) > p_max_points OR v_stored >= p_max_stored THEN
              error := 'IK413';
            ELSE
              UPDATE rooms r SET revision = r.revision + 1,
                     last_active_at = CASE WHEN r.last_active_at < now() - interval '1 minute' THEN now() ELSE r.last_active_at END
               WHERE r.id = p_rooms[i] RETURNING r.revision INTO v_revision;
              UPDATE strokes s SET state = 'discarded', state_revision = v_revision
               WHERE s.drawing_id = v_drawing AND s.author_id = p_authors[i] AND s.state = 'undone';
              INSERT INTO strokes (drawing_id, stroke_id, author_id, points, point_count, added_revision, state_revision)
              VALUES (v_drawing, p_strokes[i], p_authors[i], v_points, jsonb_array_length(v_points), v_revision, v_revision)
              RETURNING id INTO row_id;
              revision := v_revision;
              drawing_id := v_drawing;
              IF v_before IS DISTINCT FROM p_known[i] THEN
                SELECT coalesce(jsonb_agg(jsonb_build_object('id', s.stroke_id, 'authorId', s.author_id, 'points', s.points)
                         ORDER BY s.added_revision, s.id), '[]'::jsonb)
                  INTO strokes FROM strokes s WHERE s.drawing_id = v_drawing AND s.state = 'active';
              END IF;
            END IF;
          END IF;
          RETURN NEXT;
        END LOOP;
      END
      $fn$;
    `,
  },
  {
    version: 10,
    name: 'the write path functions plan their statements once (generic plans)',
    sql: `
      -- PL/pgSQL plans a statement afresh with its parameters' values (a custom plan) until it judges a generic
      -- plan no dearer, and for these functions' statements — lookups by key, the same shape on every call — it
      -- kept planning afresh. With generic plans a stroke commit's call took 22 % less Postgres time and the
      -- whole server 5 % less CPU per commit (npm run bench:load -- --quick, read with pg_stat_statements).
      ALTER FUNCTION inkling_commit_strokes(text[], text[], text[], jsonb, integer[], integer, integer, integer)
        SET plan_cache_mode = force_generic_plan;
      ALTER FUNCTION inkling_clear_board(text) SET plan_cache_mode = force_generic_plan;
      ALTER FUNCTION inkling_store_predictions(text[], bigint[], integer[], boolean[], text[], float8[], boolean[], jsonb, text[], float8[],
                                               float8[])
        SET plan_cache_mode = force_generic_plan;
    `,
  },
];

const LOCK_ID = 727_001;

export async function migrate(pool: pg.Pool): Promise<number[]> {
  return inTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [LOCK_ID]);
    await client.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
    const done = new Set(rows.map((r) => r.version));
    const applied: number[] = [];
    for (const m of MIGRATIONS) {
      if (done.has(m.version)) continue;
      await client.query(m.sql);
      await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      applied.push(m.version);
    }
    return applied;
  });
}
