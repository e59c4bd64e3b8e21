/** Worker process: configuration from the environment, then consume jobs until SIGTERM/SIGINT. */
import { createLogger } from '@inkling/logging';
import { ConfigError, parseWorkerConfig } from './config.js';
import { startRecognitionWorker } from './worker.js';

const logger = createLogger({ service: 'worker' });

async function main(): Promise<void> {
  const config = parseWorkerConfig(process.env);
  const worker = await startRecognitionWorker(config, logger);
  logger.info({ pid: process.pid }, 'worker ready');
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'worker stopping: finishing in-flight jobs');
    worker.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'worker did not close cleanly');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) logger.fatal(`invalid configuration: ${err.message}`);
  else logger.fatal({ err }, 'worker failed to start');
  process.exit(1);
});
