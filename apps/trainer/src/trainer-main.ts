/** The trainer process: configuration from the environment, then consume the training queue until stopped. */

import { createLogger } from '@inkling/logging';
import { ServiceEnvSchema } from '@inkling/protocol';
import { z } from 'zod';
import { startTrainerService } from './training-service.js';

const logger = createLogger({ service: 'trainer' });

const ConfigSchema = ServiceEnvSchema.extend({
  MODELS_DIR: z.string().default('models'),
  MODEL_DIR: z.string().default('models/default'),
  TRAINER_LOCK_MS: z.coerce.number().int().min(1000).optional(),
  TRAINER_STALLED_INTERVAL_MS: z.coerce.number().int().min(200).optional(),
});

async function main(): Promise<void> {
  const parsed = ConfigSchema.safeParse(process.env);
  if (!parsed.success) {
    logger.fatal(`invalid configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    process.exit(1);
  }
  const service = await startTrainerService(parsed.data, logger);
  logger.info({ modelsDir: parsed.data.MODELS_DIR }, 'trainer ready');
  const stop = () => {
    service.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  logger.fatal({ err }, 'trainer failed to start');
  process.exit(1);
});
