/** Starting the processes a case needs: Lambent, the baseline server, the peer, the load generator. */
import { type ChildProcess, fork, spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import type { ConfigInput } from '../../src/shared/config.js';
import type { Job } from './jobs.js';

const childScript = (name: string) => new URL(`../children/${name}.js`, import.meta.url).pathname;

/** Forks a child; its stdout/stderr go to `logFile`. */
function forkChild(name: string, args: string[], logFile: string, execArgv: string[] = []): ChildProcess {
  const out = fs.openSync(logFile, 'a');
  const child = fork(childScript(name), args, {
    stdio: ['ignore', out, out, 'ipc'],
    execArgv,
    // A clean environment: an inherited NODE_OPTIONS or NODE_EXTRA_CA_CERTS changes what is measured.
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root' },
  });
  fs.closeSync(out);
  return child;
}

function waitReady(child: ChildProcess, what: string, logFile: string, timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${what} did not start in ${timeoutMs} ms (see ${logFile})`)),
      timeoutMs,
    );
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code} before it was ready (see ${logFile})`));
    });
    child.on('message', (msg: { ready?: boolean; url?: string }) => {
      if (msg.ready && msg.url) {
        clearTimeout(timer);
        resolve(msg.url);
      }
    });
  });
}

export interface ServerProcess {
  url: string;
  host: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
  /** Sends a message and resolves with the first reply that has `key`. */
  ask(message: object, key: string, timeoutMs?: number): Promise<Record<string, unknown>>;
}

async function stopChild(child: ChildProcess, timeoutMs = 30_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  if (child.connected) child.send({ stop: true });
  else child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  await exited;
  clearTimeout(timer);
}

function serverProcess(child: ChildProcess, url: string): ServerProcess {
  const u = new URL(url);
  return {
    url,
    host: u.hostname,
    port: Number(u.port),
    pid: child.pid ?? 0,
    stop: () => stopChild(child),
    ask: (message, key, timeoutMs = 30_000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no '${key}' reply in ${timeoutMs} ms`)), timeoutMs);
        const onMessage = (msg: Record<string, unknown>) => {
          if (!(key in msg)) return;
          clearTimeout(timer);
          child.off('message', onMessage);
          resolve(msg);
        };
        child.on('message', onMessage);
        child.send(message);
      }),
  };
}

export async function startLambent(
  workDir: string,
  config: ConfigInput = {},
  execArgv: string[] = [],
): Promise<ServerProcess & { dataDir: string }> {
  const dataDir = fs.mkdtempSync(path.join(workDir, 'lambent-data-'));
  const logFile = path.join(workDir, 'lambent.log');
  const child = forkChild('lambent-server', [JSON.stringify({ ...config, dataDir })], logFile, execArgv);
  const url = await waitReady(child, 'Lambent', logFile);
  const server = serverProcess(child, url);
  return {
    ...server,
    dataDir,
    async stop() {
      await server.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function startBaseline(
  workDir: string,
  handlerFile: string,
  dbFile?: string,
): Promise<ServerProcess> {
  const logFile = path.join(workDir, 'baseline.log');
  const child = forkChild('baseline-server', [handlerFile, ...(dbFile ? [dbFile, '16'] : [])], logFile);
  return serverProcess(child, await waitReady(child, 'baseline server', logFile));
}

/** The baseline in HTTP mode: a payload 2.0 event per request, the handler's `{statusCode, body}` as the answer. */
export async function startHttpBaseline(workDir: string, handlerFile: string): Promise<ServerProcess> {
  const logFile = path.join(workDir, 'baseline-http.log');
  const child = forkChild('baseline-server', ['--http', handlerFile], logFile);
  return serverProcess(child, await waitReady(child, 'baseline server (HTTP)', logFile));
}

/**
 * A server that is a command of its own (a peer's CLI), in its own process group so that
 * stopping it also stops what it spawned. Ready when `port` accepts connections.
 */
export async function startCommandServer(o: {
  name: string;
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  port: number;
  logFile: string;
  timeoutMs?: number;
}): Promise<ServerProcess> {
  const out = fs.openSync(o.logFile, 'a');
  const child = spawn(o.command, o.args, {
    cwd: o.cwd,
    env: o.env,
    stdio: ['ignore', out, out],
    detached: true,
  });
  fs.closeSync(out);
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    const group = (signal: NodeJS.Signals) => {
      try {
        process.kill(-(child.pid ?? 0), signal);
      } catch {
        // already gone
      }
    };
    group('SIGTERM');
    const timer = setTimeout(() => group('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
    // Children of the group that outlived its leader.
    group('SIGKILL');
  };
  const deadline = Date.now() + (o.timeoutMs ?? 60_000);
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`${o.name} exited with ${child.exitCode} (see ${o.logFile})`);
    if (await canConnect(o.port)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${o.name} did not listen on ${o.port} (see ${o.logFile})`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url: `http://127.0.0.1:${o.port}`,
    host: '127.0.0.1',
    port: o.port,
    pid: child.pid ?? 0,
    stop,
    ask: () => Promise.reject(new Error(`${o.name} takes no messages`)),
  };
}

export async function startLambdaLocal(workDir: string, handlerFile: string): Promise<ServerProcess> {
  const port = await freePort();
  const logFile = path.join(workDir, 'lambda-local.log');
  const child = forkChild('lambda-local-server', [handlerFile, String(port)], logFile);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`lambda-local exited with ${child.exitCode} (see ${logFile})`);
    if (await canConnect(port)) break;
    if (Date.now() > deadline) throw new Error(`lambda-local did not listen on ${port} (see ${logFile})`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return serverProcess(child, url);
}

export function lambdaLocalAvailable(): boolean {
  try {
    createRequire(import.meta.url).resolve('lambda-local');
    return true;
  } catch {
    return false;
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** The load generator process: run(job) sends one job and resolves with its result. */
export class LoadGen {
  private next = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (msg: { id: number; result?: unknown; error?: string }) => {
      const w = this.waiting.get(msg.id);
      if (!w) return;
      this.waiting.delete(msg.id);
      if (msg.error) w.reject(new Error(`load generator: ${msg.error}`));
      else w.resolve(msg.result);
    });
    child.on('exit', (code) => {
      for (const w of this.waiting.values()) w.reject(new Error(`load generator exited with ${code}`));
      this.waiting.clear();
    });
  }

  static start(workDir: string): LoadGen {
    return new LoadGen(forkChild('loadgen', [], path.join(workDir, 'loadgen.log')));
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  run<T>(job: Job): Promise<T> {
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ id, job });
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.child.disconnect();
    await exited;
  }
}
