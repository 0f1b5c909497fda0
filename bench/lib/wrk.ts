/**
 * A check on the load generator: `wrk` (C, if installed: `apt-get install wrk`) against the
 * baseline at the same concurrency. wrk sends unsigned requests with ~10 µs of client CPU
 * each; if it gets far more out of the baseline than the Node load generator does, the
 * baseline numbers are client-bound (which flatters Lambent's ratio, never the reverse).
 */
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export function wrkAvailable(): boolean {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    return true;
  } catch (err) {
    // wrk --version exits 1 after printing its version.
    return (err as { status?: number }).status === 1;
  }
}

export function runWrk(
  workDir: string,
  url: string,
  body: string,
  concurrency: number,
  durationS: number,
): Promise<{ rps: number; p50Ms: number; p99Ms: number }> {
  const script = path.join(workDir, 'wrk-post.lua');
  fs.writeFileSync(
    script,
    `wrk.method = "POST"\nwrk.body = '${body}'\nwrk.headers["Content-Type"] = "application/json"\n`,
  );
  return new Promise((resolve, reject) => {
    execFile(
      'wrk',
      ['-t1', `-c${concurrency}`, `-d${durationS}s`, '--latency', '-s', script, url],
      { encoding: 'utf8' },
      (err, out) => {
        if (err) return reject(err);
        const num = (re: RegExp) => Number(re.exec(out)?.[1] ?? Number.NaN);
        const ms = (re: RegExp) => {
          const m = re.exec(out);
          if (!m) return Number.NaN;
          const v = Number(m[1]);
          return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
        };
        resolve({
          rps: num(/Requests\/sec:\s+([\d.]+)/),
          p50Ms: ms(/50%\s+([\d.]+)(us|ms|s)/),
          p99Ms: ms(/99%\s+([\d.]+)(us|ms|s)/),
        });
      },
    );
  });
}
