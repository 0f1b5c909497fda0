/**
 * System tools some tests drive (the AWS CLI, promtool). `.ci/run` installs them; on a
 * developer's machine without them those tests skip and say so. In CI (`CI=true`) a missing
 * tool is an error instead, so a broken install step cannot turn into silently skipped tests.
 */
import { existsSync } from 'node:fs';

export interface SystemTool {
  /** Where the tool is, if installed. */
  path: string | undefined;
  /** The reason to give node:test's `skip` when it is not (false when it is). */
  skip: string | false;
}

export function systemTool(
  what: string,
  candidates: readonly (string | undefined)[],
  install: string,
): SystemTool {
  const found = candidates.find((p): p is string => p !== undefined && p !== '' && existsSync(p));
  if (found) return { path: found, skip: false };
  const reason = `${what} is not installed (${install}; .ci/run installs it)`;
  if (process.env.CI === 'true' || process.env.CI === '1') throw new Error(`CI: ${reason}`);
  return { path: undefined, skip: reason };
}
