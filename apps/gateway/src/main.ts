/** Gateway process: configuration from the environment, then serve until SIGTERM/SIGINT. */
import { createLogger } from '@inkling/logging';
import { ConfigError, parseGatewayConfig } from './config.js';
import { startGateway } from './server.js';

const logger = createLogger({ service: 'gateway' });

async function main(): Promise<void> {
  const config = parseGatewayConfig(process.env);
  const gateway = await startGateway(config, logger);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'gateway stopping');
    gateway.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'gateway did not close cleanly');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) logger.fatal(`invalid configuration: ${err.message}`);
  else logger.fatal({ err }, 'gateway failed to start');
  process.exit(1);
});
