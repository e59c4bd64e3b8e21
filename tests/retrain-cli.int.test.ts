import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createPool, ModelRegistry } from '@inkling/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MODEL_DIR, ROOT, type Stack, startStack } from './support/stack.js';

const run = promisify(execFile);

describe('npm run retrain', () => {
  let stack: Stack;
  const cli = async (args: string[]) => {
    try {
      const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', join(ROOT, 'apps/trainer/src/retrain-cli.ts'), ...args], {
        env: {
          ...process.env,
          DATABASE_URL: stack.databaseUrl,
          REDIS_URL: stack.redisUrl,
          REDIS_PREFIX: stack.prefix,
          MODELS_DIR: stack.modelsDir,
          MODEL_DIR: DEFAULT_MODEL_DIR,
        },
        maxBuffer: 1 << 24,
      });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };

  beforeAll(async () => {
    stack = await startStack({ workers: 0 });
  });
  afterAll(() => stack.close());

  it('refuses bad flags with usage (exit 2)', async () => {
    const bad = await cli(['--epochs', '0']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('usage: npm run retrain');
  });

  it('trains a job itself when no trainer runs, shows progress, and records the gate decision', async () => {
    const r = await cli(['--epochs', '1', '--mode', 'scratch', '--mnist-limit', '256', '--seed', '7']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('no trainer process is running');
    expect(r.stderr).toMatch(/epoch 1\/1/);
    expect(r.stdout).toMatch(/^m\d{14}-j\d+: MNIST \d+\.\d\d%/);
    expect(r.stdout).toContain('REJECTED: MNIST test accuracy');
    const pool = createPool(stack.databaseUrl, 1);
    const models = await new ModelRegistry(pool).list();
    await pool.end();
    expect(models.map((m) => m.status).sort()).toEqual(['promoted', 'rejected']);
  }, 180_000);
});
