import { testModelMetadata } from '@inkling/protocol';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createPool, createTestDatabase } from './database.js';
import { migrate } from './migrations.js';
import { ModelRegistry } from './model-registry.js';

const metadata = (version: string) => ({
  ...testModelMetadata(version),
  metrics: { ...testModelMetadata(version).metrics, mnistTestAccuracy: 0.99 },
});

/** Seeding the registry with the shipped model, on real Postgres: fresh deployments, restarts, upgrades. */
describe('ModelRegistry.seed', () => {
  let db: { url: string; drop: () => Promise<void> };
  let pool: pg.Pool;
  beforeAll(async () => {
    db = await createTestDatabase(inject('databaseUrl'), 'inkling_model_registry_test');
    pool = createPool(db.url, 2);
    await migrate(pool);
  });
  afterAll(async () => {
    await pool.end();
    await db.drop();
  });

  it('promotes the shipped model once, keeps a promoted retrained one, and follows an upgrade of the shipped folder', async () => {
    const registry = new ModelRegistry(pool);
    expect(await registry.seed(metadata('ship-1'), '/app/models/default')).toMatchObject({ version: 'ship-1', status: 'promoted' });
    // A restart with the same shipped model changes nothing.
    expect((await registry.seed(metadata('ship-1'), '/app/models/default')).version).toBe('ship-1');

    // An upgrade puts another model in the shipped folder: that one is served and recorded, the old one retired.
    const upgraded = await registry.seed(metadata('ship-2'), '/app/models/default');
    expect(upgraded).toMatchObject({ version: 'ship-2', status: 'promoted', folder: '/app/models/default' });
    expect((await registry.get('ship-1'))?.status).toBe('retired');

    // A retrained model promoted by the admin stays served whatever ships next.
    await registry.register(metadata('retrained'), 'retrained');
    await registry.promote('retrained', 'test');
    expect((await registry.seed(metadata('ship-3'), '/app/models/default')).version).toBe('retrained');
    expect(await registry.get('ship-3')).toBeNull();
  });
});
