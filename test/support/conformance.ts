/** Where the responses recorded from real AWS live: `$LAMBENT_CONFORMANCE_DIR`, else `../shared/conformance` of the repo. */
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from './cli.js';

export function conformanceDir(): string | undefined {
  const fromEnv = process.env.LAMBENT_CONFORMANCE_DIR;
  if (fromEnv) return fromEnv;
  const candidate = path.resolve(repoRoot(), '..', 'shared', 'conformance');
  return fs.existsSync(candidate) ? candidate : undefined;
}
