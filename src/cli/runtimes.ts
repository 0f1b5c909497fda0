/**
 * `lambent runtimes install nodejs22.x ...`: installs the Node builds those runtimes need into
 * the cache directory ahead of time (what a function's first activation would do), so that
 * first deployments do not wait for the download and machines without registry access at run
 * time can be prepared.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRuntimeCatalog, familyOf } from '../invoke/runtimes.js';
import { configFromEnv } from '../shared/config.js';

export async function installRuntimes(runtimes: string[]): Promise<number> {
  const config = configFromEnv(process.env, { port: 0 });
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'lambent-runtimes-'));
  let failed = 0;
  try {
    const catalog = createRuntimeCatalog({ ...config, dataDir: scratch, runtimeInstall: true });
    for (const runtime of runtimes) {
      if (!familyOf(runtime)) {
        process.stderr.write(`${runtime}: not a nodejs*/python3.* runtime\n`);
        failed++;
        continue;
      }
      try {
        const r = await catalog.ensure(runtime);
        process.stdout.write(
          `${runtime}: ${r.version} ${r.executable} (${r.source})${r.note ? ` — ${r.note}` : ''}\n`,
        );
      } catch (err) {
        process.stderr.write(`${runtime}: ${(err as Error).message}\n`);
        failed++;
      }
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  return failed ? 1 : 0;
}
