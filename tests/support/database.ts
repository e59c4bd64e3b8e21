/** Reads a test stack's database directly, to check what a feature stored. */
import pg from 'pg';

export async function query(
  stack: { databaseUrl: string },
  sql: string,
  params: unknown[] = [],
): Promise<{ rows: Record<string, unknown>[] }> {
  const client = new pg.Client({ connectionString: stack.databaseUrl });
  await client.connect();
  try {
    return await client.query(sql, params);
  } finally {
    await client.end();
  }
}
