/** Worker configuration from environment variables, parsed and validated once at start-up. */
import { ServiceEnvSchema } from '@inkling/protocol';
import { z } from 'zod';

export const WorkerConfigSchema = ServiceEnvSchema.extend({
  /** Model folder served when the registry has none yet (the shipped model: model.json, weights.bin, metadata.json). */
  MODEL_DIR: z.string().default('models/default'),
  /** Shared directory of retrained model folders; registry folder names are relative to it. */
  MODELS_DIR: z.string().default('models'),
  /** Jobs taken at once; concurrent jobs are recognized together in one batched model call. */
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(16),
  /** A job whose worker stops renewing its lock for this long is handed to another worker. */
  WORKER_LOCK_MS: z.coerce.number().int().min(500).default(5000),
  WORKER_STALLED_INTERVAL_MS: z.coerce.number().int().min(200).default(2000),
  /** Fault injection for tests: wait this long inside every job before publishing (0 = off). */
  WORKER_FAULT_DELAY_MS: z.coerce.number().int().min(0).default(0),
  /** Boards with more points than this are recognized in their own inference thread, one at a time. */
  WORKER_LARGE_BOARD_POINTS: z.coerce.number().int().min(1).default(20_000),
  /** Serve Prometheus metrics at http://WORKER_METRICS_HOST:port/metrics (unset: no endpoint). */
  WORKER_METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  WORKER_METRICS_HOST: z.string().default('127.0.0.1'),
});
export type WorkerConfig = z.infer<typeof WorkerConfigSchema>;
export type WorkerConfigInput = z.input<typeof WorkerConfigSchema>;

export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export function parseWorkerConfig(env: NodeJS.ProcessEnv): WorkerConfig {
  const parsed = WorkerConfigSchema.safeParse(env);
  if (!parsed.success) throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  return parsed.data;
}
