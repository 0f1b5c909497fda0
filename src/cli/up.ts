/** `lambent up`: runs the platform until SIGINT/SIGTERM, then shuts down cleanly. */

import { createLambent } from '../server.js';
import { type Config, configFromEnv } from '../shared/config.js';
import { createLogger } from '../shared/logger.js';

export interface UpOptions {
  host?: string;
  port?: string;
  dataDir?: string;
  accessLog?: boolean;
}

export async function up(options: UpOptions): Promise<void> {
  const config: Config = configFromEnv(process.env, {
    host: options.host,
    port: options.port === undefined ? undefined : Number(options.port),
    dataDir: options.dataDir,
    accessLog: options.accessLog,
  });
  const logger = createLogger();
  const lambent = await createLambent(config, logger);

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info(`${signal} received, finishing in-flight requests`);
    lambent.stop().then(
      () => process.exit(0),
      (err) => {
        logger.error('shutdown failed', err);
        process.exit(1);
      },
    );
  };
  // Handlers go in before the ready line: whoever reads it may signal us at once.
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));

  const address = await lambent.start();
  process.stdout.write(`Lambent ready on ${address.url}\n`);
}
