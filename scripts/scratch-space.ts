/**
 * A throw-away database and Redis key prefix on given servers, for tests and benchmarks: created on open,
 * removed (database dropped, keys deleted) by `dispose`.
 */
import { randomBytes } from 'node:crypto';
import { createTestDatabase } from '@inkling/store';
import { Redis } from 'ioredis';

export interface ScratchSpace {
  databaseUrl: string;
  redisUrl: string;
  prefix: string;
  dispose: () => Promise<void>;
}

export async function openScratchSpace(adminDatabaseUrl: string, redisUrl: string, name: string): Promise<ScratchSpace> {
  const db = await createTestDatabase(adminDatabaseUrl, `inkling_${name}`);
  const prefix = `${name}${randomBytes(5).toString('hex')}`;
  return {
    databaseUrl: db.url,
    redisUrl,
    prefix,
    dispose: async () => {
      const redis = new Redis(redisUrl);
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
      await db.drop();
    },
  };
}
