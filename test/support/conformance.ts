/**
 * Where the responses recorded from real AWS live: `$LAMBENT_CONFORMANCE_DIR` if set, else the
 * copy vendored in this repository (test/conformance, see its NOTICE.md), so that a clone
 * anywhere runs every parity test.
 */
import path from 'node:path';
import { repoRoot } from './cli.js';

export function conformanceDir(): string {
  return process.env.LAMBENT_CONFORMANCE_DIR ?? path.join(repoRoot(), 'test', 'conformance');
}
