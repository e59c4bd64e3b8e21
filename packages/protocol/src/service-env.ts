/** Environment variables every Inkling service reads (gateway, worker, trainer), validated the same way. */
import { z } from 'zod';

export const ServiceEnvSchema = z.object({
  DATABASE_URL: z.string().url(),
  REDIS_URL: z.string().url(),
  /** Prefix of every Redis key, channel and BullMQ queue of this deployment. */
  REDIS_PREFIX: z
    .string()
    .regex(/^[\w:-]+$/)
    .default('inkling'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /**
   * Postgres faults that mean "try again" (restart, connection reset, starting up, serialization failure)
   * are retried for up to this long before a request fails as UNAVAILABLE.
   */
  PG_RETRY_DEADLINE_MS: z.coerce.number().int().min(0).default(5000),
});
