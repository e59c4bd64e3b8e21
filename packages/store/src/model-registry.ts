/**
 * The model registry: every trained model with its lineage, data counts, metrics and status. Exactly one
 * model is `promoted` (served by the workers) once the registry is seeded; promotion retires the previous
 * one in the same transaction.
 */
import { InklingError, type ModelMetadata, type ModelRecord, type ModelStatus } from '@inkling/protocol';
import type pg from 'pg';
import { inTransaction } from './database.js';

interface ModelRow {
  version: string;
  parent_version: string | null;
  status: ModelStatus;
  folder: string;
  metrics: ModelRecord['metrics'];
  data_counts: ModelRecord['dataCounts'];
  training_time_ms: number;
  backend: string;
  reason: string | null;
  created_at: Date;
  promoted_at: Date | null;
}

const toRecord = (r: ModelRow): ModelRecord => ({
  version: r.version,
  parentVersion: r.parent_version,
  status: r.status,
  folder: r.folder,
  metrics: r.metrics,
  dataCounts: r.data_counts,
  trainingTimeMs: r.training_time_ms,
  backend: r.backend,
  reason: r.reason,
  createdAt: r.created_at.toISOString(),
  promotedAt: r.promoted_at ? r.promoted_at.toISOString() : null,
});

export class ModelNotFoundError extends InklingError {
  constructor(version: string) {
    super('INVALID_PAYLOAD', `no model with version ${version}`);
    this.name = 'ModelNotFoundError';
  }
}

export class ModelRegistry {
  constructor(private readonly pool: pg.Pool) {}

  async list(): Promise<ModelRecord[]> {
    const { rows } = await this.pool.query<ModelRow>('SELECT * FROM models ORDER BY created_at DESC, version DESC');
    return rows.map(toRecord);
  }

  async get(version: string): Promise<ModelRecord | null> {
    const { rows } = await this.pool.query<ModelRow>('SELECT * FROM models WHERE version = $1', [version]);
    return rows[0] ? toRecord(rows[0]) : null;
  }

  async promoted(): Promise<ModelRecord | null> {
    const { rows } = await this.pool.query<ModelRow>("SELECT * FROM models WHERE status = 'promoted'");
    return rows[0] ? toRecord(rows[0]) : null;
  }

  /** Records a trained model folder as a candidate; idempotent for the same version. */
  async register(metadata: ModelMetadata, folder: string): Promise<ModelRecord> {
    const { rows } = await this.pool.query<ModelRow>(
      `INSERT INTO models (version, parent_version, status, folder, metrics, data_counts, training_time_ms, backend)
       VALUES ($1, $2, 'candidate', $3, $4, $5, $6, $7)
       ON CONFLICT (version) DO UPDATE SET version = EXCLUDED.version
       RETURNING *`,
      [
        metadata.version,
        metadata.parentVersion,
        folder,
        JSON.stringify(metadata.metrics),
        JSON.stringify({
          mnistTrain: metadata.dataset.mnistTrainCount,
          userTrain: metadata.dataset.userTrainCount,
          userTest: metadata.dataset.userTestCount,
        }),
        metadata.training.trainingTimeMs,
        metadata.training.backend,
      ],
    );
    return toRecord(rows[0] as ModelRow);
  }

  /**
   * Makes the given model the served one when nothing is served yet (a fresh deployment), or when the served one
   * is the shipped folder and an upgrade put another version there; returns the served one. Several processes
   * seeding at once register and promote the same version, which is idempotent.
   */
  async seed(metadata: ModelMetadata, folder: string): Promise<ModelRecord> {
    const current = await this.promoted();
    if (current && (current.folder !== folder || current.version === metadata.version)) return current;
    await this.register(metadata, folder);
    // The served model is the shipped folder, but an upgrade put another model there: that one is what the folder
    // holds now, so it is recorded and promoted (the previous version's files are gone with the upgrade).
    return this.promote(
      metadata.version,
      current
        ? `the model shipped with this deployment, replacing ${current.version} in ${folder}`
        : 'the model shipped with this deployment',
    );
  }

  /** Makes `version` the served model (a candidate, or an earlier one: a rollback); the current one retires. */
  async promote(version: string, reason: string): Promise<ModelRecord> {
    return inTransaction(this.pool, async (client) => {
      const { rows: found } = await client.query<ModelRow>('SELECT * FROM models WHERE version = $1 FOR UPDATE', [version]);
      if (!found[0]) throw new ModelNotFoundError(version);
      await client.query("UPDATE models SET status = 'retired' WHERE status = 'promoted' AND version <> $1", [version]);
      const { rows } = await client.query<ModelRow>(
        "UPDATE models SET status = 'promoted', promoted_at = now(), reason = $2 WHERE version = $1 RETURNING *",
        [version, reason],
      );
      return toRecord(rows[0] as ModelRow);
    });
  }

  async reject(version: string, reason: string): Promise<ModelRecord> {
    const { rows } = await this.pool.query<ModelRow>(
      "UPDATE models SET status = 'rejected', reason = $2 WHERE version = $1 AND status <> 'promoted' RETURNING *",
      [version, reason],
    );
    if (!rows[0]) {
      if (!(await this.get(version))) throw new ModelNotFoundError(version);
      throw new InklingError('INVALID_PAYLOAD', `model ${version} is being served; promote another one first`);
    }
    return toRecord(rows[0]);
  }

  /**
   * The best MNIST and held-out pen figures any model has had while promoted: the promotion gate's anchor, so
   * small losses cannot accumulate. Null before anything was promoted; pen null when no promoted model had one.
   */
  async bestPromotedFigures(): Promise<{ mnist: number; pen: number | null } | null> {
    const { rows } = await this.pool.query<{ mnist: number | null; pen: number | null }>(
      `SELECT max((metrics->>'mnistTestAccuracy')::float8) AS mnist, max((metrics->'pen'->>'accuracy')::float8) AS pen
       FROM models WHERE promoted_at IS NOT NULL`,
    );
    const row = rows[0];
    return row && row.mnist !== null ? { mnist: row.mnist, pen: row.pen } : null;
  }
}
