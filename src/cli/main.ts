/** The `lambent` command line: one subcommand per file in this folder. */
import { Command } from 'commander';
import { ConfigError } from '../shared/config.js';
import { VERSION } from '../shared/version.js';
import { doctor } from './doctor.js';
import { installRuntimes } from './runtimes.js';
import { up } from './up.js';

const program = new Command()
  .name('lambent')
  .description("A self-hosted serverless platform that speaks AWS Lambda's protocols")
  .version(VERSION);

program
  .command('up')
  .description('run the platform (state in the data dir; Ctrl-C stops it cleanly)')
  .option('--host <host>', 'address to listen on (env LAMBENT_HOST)', undefined)
  .option('--port <port>', 'port to listen on, 0 picks a free one (env LAMBENT_PORT)', undefined)
  .option('--data-dir <dir>', 'where state is kept (env LAMBENT_DATA_DIR)', undefined)
  .option('--access-log', 'print one line per request to stderr')
  .action(async (options) => {
    await up(options);
  });

program
  .command('doctor')
  .description(
    'show which isolation functions get on this host, what is missing, and what stopped runs left behind (exit 1 when reduced, or when --clean fails)',
  )
  .option(
    '--clean',
    "remove what stopped runs left behind (mounts, loop devices, cgroups, launchers); never a running server's",
  )
  .option('--data-dir <dir>', 'look only at the leftovers of this data dir')
  .action(async (options: { clean?: boolean; dataDir?: string }) => {
    process.exitCode = await doctor({
      ...(options.clean ? { clean: true } : {}),
      ...(options.dataDir ? { leftoversOf: options.dataDir } : {}),
    });
  });

program
  .command('runtimes')
  .description('manage the interpreters functions run on')
  .command('install')
  .argument('<runtime...>', 'e.g. nodejs22.x nodejs24.x')
  .description('install the Node builds these runtimes need into the cache dir now (env LAMBENT_CACHE_DIR)')
  .action(async (runtimes: string[]) => {
    process.exitCode = await installRuntimes(runtimes);
  });

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`lambent: ${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`lambent: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
