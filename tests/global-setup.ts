/**
 * Vitest global set-up: the PostgreSQL and Redis servers every integration test uses. `TEST_DATABASE_URL`
 * and `TEST_REDIS_URL` point at existing servers; without them private instances are started from the
 * installed binaries in a temporary folder and removed afterwards. Each test then creates its own database
 * and Redis key prefix.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { ensureServices } from '../scripts/local-services.js';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dataDir = mkdtempSync(join(tmpdir(), 'inkling-test-'));
  const services = await ensureServices({
    dataDir,
    databaseUrl: process.env.TEST_DATABASE_URL,
    redisUrl: process.env.TEST_REDIS_URL,
    durable: false,
  });
  project.provide('databaseUrl', services.databaseUrl);
  project.provide('redisUrl', services.redisUrl);
  return async () => {
    await services.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
}
