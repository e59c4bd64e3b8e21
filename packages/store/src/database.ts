/** Connection pools, and throw-away databases for tests. */
import pg from 'pg';
import {
  DEFAULT_RETRY_POLICY,
  isTransientError,
  provesRolledBack,
  type RetryPolicy,
  retryTransient,
  UnavailableError,
} from './transient.js';

export interface PoolOptions {
  /**
   * Turns off waiting for the WAL flush on commit: for writers of derived data only (the recognition
   * workers' predictions, which can always be recomputed), never for user strokes or labels.
   */
  asyncCommit?: boolean;
  /** How transient faults are retried (default: up to 5 s). */
  retry?: RetryPolicy;
  /** A connection attempt taking longer than this fails (and is retried); default 2 s. */
  connectTimeoutMs?: number;
}

const retryPolicies = new WeakMap<pg.Pool, RetryPolicy>();

/**
 * A pool whose promise-returning `query` retries transient faults (see `transient.ts`) until the policy's
 * deadline. A single statement is atomic, and every statement the project sends on its own is safe to repeat
 * (a stroke already stored is refused as a duplicate). Transactions retry through `inTransaction`.
 */
export function createPool(connectionString: string, max = 10, opts: PoolOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString,
    max,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 2000,
    ...(opts.asyncCommit ? { options: '-c synchronous_commit=off' } : {}),
  });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  const policy = opts.retry ?? DEFAULT_RETRY_POLICY;
  retryPolicies.set(pool, policy);
  const query = pool.query.bind(pool) as (...args: unknown[]) => unknown;
  // Only the promise forms are wrapped: callback calls and submittables (cursors) go through untouched.
  (pool as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    const first = args[0] as { submit?: unknown } | undefined;
    if (typeof args.at(-1) === 'function' || typeof first?.submit === 'function') return query(...args);
    return retryTransient(() => query(...args) as Promise<unknown>, policy);
  };
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

/**
 * Runs `work` in a transaction on one pooled connection: committed if it resolves, rolled back if it throws.
 * A transient fault before COMMIT retries the whole transaction (nothing was applied); a connection lost
 * during COMMIT leaves the outcome unknown, so that one is not repeated and fails as UNAVAILABLE.
 */
export async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  return retryTransient(async () => {
    const client = await pool.connect();
    let committing = false;
    let broken: unknown;
    try {
      await client.query('BEGIN');
      const result = await work(client);
      committing = true;
      await client.query('COMMIT');
      return result;
    } catch (err) {
      if (isTransientError(err)) broken = err;
      if (committing && isTransientError(err) && !provesRolledBack(err)) {
        throw new UnavailableError('the database connection was lost while saving; reload to see whether the change was kept', {
          cause: err,
        });
      }
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      // A client whose connection failed is discarded, not handed to the next caller.
      client.release(broken instanceof Error ? broken : undefined);
    }
  }, retryPolicies.get(pool) ?? DEFAULT_RETRY_POLICY);
}
