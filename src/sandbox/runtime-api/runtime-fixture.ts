/**
 * Test fixture: a temp task root with the given files, a RuntimeEndpoint, and a built-in runtime running as
 * a plain child process against it.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { conformanceDir } from '../../../test/support/conformance.js';
import { createRuntimeEndpoint } from './endpoint.js';
import {
  NODE_BOOTSTRAP,
  PYTHON,
  PYTHON_BOOTSTRAP,
  type RunningRuntime,
  runtimeEnv,
  startRuntime,
} from './runtime-harness.js';
import type { Invocation, InvocationResult, RuntimeEndpoint } from './types.js';

// biome-ignore lint/suspicious/noExplicitAny: tests index freely into parsed JSON
type JsonBody = any;

export interface Fixture {
  endpoint: RuntimeEndpoint;
  runtime: RunningRuntime;
  taskRoot: string;
  /** Invokes with a JSON event; `deadlineMs` defaults to now + 30 s. */
  invoke(event: unknown, extra?: Partial<Invocation>): Promise<InvocationResult>;
  /** The payload parsed as JSON. */
  invokeJson(
    event: unknown,
    extra?: Partial<Invocation>,
  ): Promise<{ kind: string; errorType?: string; body: JsonBody }>;
  stdoutLines(): string[];
  close(): Promise<void>;
}

let counter = 0;

export async function startFixture(options: {
  runtime: string;
  handler: string;
  files: Record<string, string>;
  env?: Record<string, string>;
  maxResponseBytes?: number;
  command?: string[];
}): Promise<Fixture> {
  const taskRoot = mkdtempSync(join(tmpdir(), 'lambent-rt-'));
  for (const [name, text] of Object.entries(options.files)) {
    mkdirSync(dirname(join(taskRoot, name)), { recursive: true });
    writeFileSync(join(taskRoot, name), text, { mode: 0o755 });
  }
  const endpoint = await createRuntimeEndpoint({ maxResponseBytes: options.maxResponseBytes });
  const env = runtimeEnv({
    address: endpoint.address,
    taskRoot,
    handler: options.handler,
    runtime: options.runtime,
    extra: options.env,
  });
  const [command, ...args] =
    options.command ??
    (options.runtime.startsWith('python') ? [PYTHON, PYTHON_BOOTSTRAP] : [process.execPath, NODE_BOOTSTRAP]);
  const runtime = startRuntime(command as string, args, env, taskRoot);
  runtime.exited.then(({ code, signal }) => {
    // A runtime that dies fails whatever it was doing, as the sandbox layer would report it.
    endpoint.abort(new Error(`runtime exited (code ${code}, signal ${signal})`));
  });
  const invoke = (event: unknown, extra: Partial<Invocation> = {}) =>
    endpoint.invoke({
      requestId: `req-${++counter}-${process.pid}`,
      payload: Buffer.from(JSON.stringify(event)),
      deadlineMs: Date.now() + 30_000,
      invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:test-function',
      ...extra,
    });
  return {
    endpoint,
    runtime,
    taskRoot,
    invoke,
    async invokeJson(event, extra) {
      const r = await invoke(event, extra);
      const text = r.payload.toString('utf8');
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {}
      return { kind: r.kind, errorType: r.kind === 'error' ? r.errorType : undefined, body };
    },
    stdoutLines: () =>
      runtime
        .stdout()
        .split('\n')
        .filter((l) => l !== ''),
    async close() {
      await runtime.kill();
      await endpoint.close();
      rmSync(taskRoot, { recursive: true, force: true });
    },
  };
}

/** Waits until `predicate` holds (polling), or fails after `ms`. */
export async function eventually(predicate: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A recorded AWS response (test/conformance), or undefined when that test id was not recorded. */
// biome-ignore lint/suspicious/noExplicitAny: recordings are free-form JSON
export function recorded(file: string, testId: string): any {
  const path = join(conformanceDir(), 'aws-recorded', file);
  return JSON.parse(readFileSync(path, 'utf8'))[testId]?.['recorded-content'];
}
