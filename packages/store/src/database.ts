/** Connection pools, and throw-away databases for tests. */
import pg from 'pg';

/**
 * `asyncCommit` turns off waiting for the WAL flush on commit: for writers of derived data only (the
 * recognition workers' predictions, which can always be recomputed), never for user strokes or labels.
 */
export function createPool(connectionString: string, max = 10, opts: { asyncCommit?: boolean } = {}): pg.Pool {
  const pool = new pg.Pool({ connectionString, max, ...(opts.asyncCommit ? { options: '-c synchronous_commit=off' } : {}) });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  return pool;
}

/** Replaces the database name in a postgres:// URL. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/**
 * Creates an empty database with a unique name next to `adminUrl`'s and returns its URL and a function that
 * drops it (terminating leftover connections).
 */
export async function createTestDatabase(adminUrl: string, prefix = 'inkling_test'): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return {
    url: withDatabase(adminUrl, name),
    drop: async () => {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

/** Runs `work` in a transaction on one pooled connection: committed if it resolves, rolled back if it throws. */
export async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
