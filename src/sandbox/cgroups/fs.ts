/** Small synchronous helpers for cgroup files: they live in memory, so sync I/O is cheap. */
import fs from 'node:fs';
import path from 'node:path';

export function readText(file: string): string {
  return fs.readFileSync(file, 'utf8');
}

export function writeText(file: string, value: string): void {
  fs.writeFileSync(file, value);
}

export function tryWrite(file: string, value: string): boolean {
  try {
    fs.writeFileSync(file, value);
    return true;
  } catch {
    return false;
  }
}

export function exists(file: string): boolean {
  return fs.existsSync(file);
}

/** Value of `key` in a flat-keyed file (`key value` per line), 0 when absent. */
export function readKeyed(file: string, key: string): number {
  let text: string;
  try {
    text = readText(file);
  } catch {
    return 0;
  }
  for (const line of text.split('\n')) {
    const space = line.indexOf(' ');
    if (space > 0 && line.slice(0, space) === key) return Number(line.slice(space + 1)) || 0;
  }
  return 0;
}

export function readNumber(file: string): number {
  try {
    return Number(readText(file).trim()) || 0;
  } catch {
    return 0;
  }
}

export function readPids(procsFile: string): number[] {
  let text: string;
  try {
    text = readText(procsFile);
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const line of text.split('\n')) if (line) pids.push(Number(line));
  return pids;
}

export function killPids(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** mkdir that reports whether it created the directory (false: it already existed). */
export function mkdirExclusive(dir: string): boolean {
  try {
    fs.mkdirSync(dir);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

export function mkdirp(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
}

/**
 * Polls `done` until it holds: a few turns of the event loop first (the kernel usually
 * finishes within microseconds), then every millisecond, until `timeoutMs`.
 */
export async function waitUntil(done: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  if (done()) return;
  const deadline = performance.now() + timeoutMs;
  for (let spins = 0; ; spins++) {
    await new Promise<void>((resolve) => (spins < 20 ? setImmediate(resolve) : setTimeout(resolve, 1)));
    if (done()) return;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
  }
}

/** rmdir, retried while the kernel still reports the cgroup busy (tasks exiting). */
export async function rmdirCgroup(dir: string, timeoutMs = 5000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      fs.rmdirSync(dir);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (code !== 'EBUSY' || performance.now() > deadline) throw err;
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

export function childNames(dir: string, prefix: string): string[] {
  try {
    return fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory() && d.name.startsWith(prefix))
      .map((d) => d.name);
  } catch {
    return [];
  }
}

export function ageMs(dir: string): number {
  try {
    return Date.now() - fs.statSync(dir).mtimeMs;
  } catch {
    return 0;
  }
}

export const join = path.join;
