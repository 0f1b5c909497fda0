/**
 * Test and benchmark support: where the built-in runtimes live, the environment Lambda gives them, and a
 * way to run one as a plain child process against a RuntimeEndpoint (no sandbox).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: runtimes are plain files under src/runtimes, not compiled into dist/. */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'src', 'runtimes', 'nodejs', 'bootstrap.mjs'))) return dir;
    const parent = resolve(dir, '..');
    if (parent === dir) throw new Error('cannot find src/runtimes above this module');
    dir = parent;
  }
}

export const RUNTIMES_DIR = join(repoRoot(), 'src', 'runtimes');
export const NODE_BOOTSTRAP = join(RUNTIMES_DIR, 'nodejs', 'bootstrap.mjs');
export const PYTHON_BOOTSTRAP = join(RUNTIMES_DIR, 'python', 'bootstrap.py');
/** The system interpreter when there is one: version-manager shims add tens of ms to every start. */
export const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

export interface RuntimeEnvOptions {
  address: string;
  taskRoot: string;
  handler: string;
  /** e.g. nodejs20.x, python3.12, provided.al2023 */
  runtime: string;
  functionName?: string;
  memoryMb?: number;
  extra?: Record<string, string>;
}

/** The variables Lambda sets (see test_lambda_common introspection recordings), pointed at local paths. */
export function runtimeEnv(o: RuntimeEnvOptions): Record<string, string> {
  const name = o.functionName ?? 'test-function';
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
    AWS_LAMBDA_RUNTIME_API: o.address,
    _HANDLER: o.handler,
    LAMBDA_TASK_ROOT: o.taskRoot,
    LAMBDA_RUNTIME_DIR: dirname(o.runtime.startsWith('python') ? PYTHON_BOOTSTRAP : NODE_BOOTSTRAP),
    AWS_EXECUTION_ENV: `AWS_Lambda_${o.runtime}`,
    AWS_LAMBDA_FUNCTION_NAME: name,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(o.memoryMb ?? 128),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${name}`,
    AWS_LAMBDA_LOG_STREAM_NAME: '2024/01/01/[$LATEST]0123456789abcdef0123456789abcdef',
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_SESSION_TOKEN: 'test',
    ...o.extra,
  };
  return env;
}

export interface RunningRuntime {
  child: ChildProcess;
  /** Everything written to stdout so far. */
  stdout(): string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(): Promise<void>;
}

/** Starts a runtime in `cwd` (Lambda starts it in the task root). */
export function startRuntime(
  command: string,
  args: string[],
  env: Record<string, string>,
  cwd?: string,
): RunningRuntime {
  const child = spawn(command, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (c: string) => {
    out += c;
  });
  child.stderr?.setEncoding('utf8').on('data', (c: string) => {
    err += c;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) =>
    child.once('close', (code, signal) => res({ code, signal })),
  );
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
