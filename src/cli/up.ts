/**
 * `lambent up`: runs the platform until SIGINT/SIGTERM, then shuts down cleanly. Sandboxes run
 * in their own sessions, so a signal sent to this process's group (a terminal's Ctrl-C, most
 * supervisors) reaches this process alone, and stop() releases them in order.
 */

import { createLambent } from '../server.js';
import { type Config, configFromEnv } from '../shared/config.js';
import { DataDirInUseError } from '../shared/data-dir-lock.js';
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
  let lambent: Awaited<ReturnType<typeof createLambent>>;
  try {
    lambent = await createLambent(config, logger);
  } catch (err) {
    if (!(err instanceof DataDirInUseError)) throw err;
    process.stderr.write(`lambent: ${err.message}\n`);
    process.exit(2);
  }

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) {
      logger.info(`${signal} received, still releasing sandboxes (mounts, cgroups)`);
      return;
    }
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
