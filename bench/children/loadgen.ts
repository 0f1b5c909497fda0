/**
 * The load generator, in its own process with its own event loop: the orchestrator sends it
 * one job at a time over IPC and gets a summary back, so nothing in the orchestrator (or in
 * the server under test) shares its CPU time with request generation.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { Connection, type HttpResponse, headerOf } from '../lib/http-client.js';
import type { Job, LoadResult, OnceResult } from '../lib/jobs.js';
import { round, summarize } from '../lib/stats.js';
import { RequestFactory, type Target } from '../lib/target.js';

class Recorder {
  latencies: number[] = [];
  statuses: Record<string, number> = {};
  ok = 0;
  errors = 0;
  firstError: string | undefined;
  private readonly cpu0 = process.cpuUsage();
  private readonly t0 = performance.now();

  constructor(private readonly expect: number) {}

  response(ms: number, res: HttpResponse): void {
    this.latencies.push(ms);
    const fnError = res.status === this.expect && headerOf(res.head, 'x-amz-function-error') !== undefined;
    const key = fnError ? 'fn-error' : String(res.status);
    this.statuses[key] = (this.statuses[key] ?? 0) + 1;
    if (res.status === this.expect && !fnError) this.ok++;
    else {
      this.errors++;
      this.firstError ??= `${key}: ${res.body.toString('utf8').slice(0, 300)}`;
    }
  }

  failure(err: unknown): void {
    this.errors++;
    this.statuses.net = (this.statuses.net ?? 0) + 1;
    this.firstError ??= `net: ${(err as Error).message}`;
  }

  result(extra: Partial<LoadResult> = {}): LoadResult {
    const elapsedMs = performance.now() - this.t0;
    const cpu = process.cpuUsage(this.cpu0);
    return {
      ok: this.ok,
      errors: this.errors,
      statuses: this.statuses,
      elapsedMs: round(elapsedMs),
      rps: round((this.ok * 1000) / elapsedMs, 1),
      latency: summarize(this.latencies),
      clientCpu: round((cpu.user + cpu.system) / 1000 / elapsedMs, 3),
      ...(this.firstError ? { firstError: this.firstError } : {}),
      ...extra,
    };
  }
}

async function openConnections(t: Target, n: number): Promise<Connection[]> {
  const conns = Array.from({ length: n }, () => new Connection(t.host, t.port));
  await Promise.all(conns.map((c) => c.connect()));
  return conns;
}

async function closedLoop(
  t: Target,
  conns: Connection[],
  durationMs: number,
  rec: Recorder | undefined,
): Promise<void> {
  const factory = new RequestFactory(t);
  const until = performance.now() + durationMs;
  await Promise.all(
    conns.map(async (_c, i) => {
      while (performance.now() < until) {
        let conn = conns[i] as Connection;
        if (conn.closed) {
          conn = new Connection(t.host, t.port);
          conns[i] = conn;
          try {
            await conn.connect();
          } catch (err) {
            rec?.failure(err);
            await new Promise((r) => setTimeout(r, 10));
            continue;
          }
        }
        const started = performance.now();
        try {
          const res = await conn.request(factory.next());
          rec?.response(performance.now() - started, res);
        } catch (err) {
          rec?.failure(err);
        }
      }
    }),
  );
}

async function runClosed(job: Extract<Job, { kind: 'closed' }>): Promise<LoadResult> {
  const conns = await openConnections(job.target, job.concurrency);
  try {
    if (job.warmupMs > 0) await closedLoop(job.target, conns, job.warmupMs, undefined);
    const rec = new Recorder(job.target.expectStatus);
    await closedLoop(job.target, conns, job.durationMs, rec);
    return rec.result();
  } finally {
    for (const c of conns) c.close();
  }
}

async function openLoop(job: Extract<Job, { kind: 'open' }>, durationMs: number, rec: Recorder | undefined) {
  const t = job.target;
  const factory = new RequestFactory(t);
  const idle: Connection[] = [];
  const all: Connection[] = [];
  const waiting: number[] = [];
  let outstanding = 0;
  let sent = 0;
  const interval = 1000 / job.rate;
  const start = performance.now();
  const end = start + durationMs;
  let due = start;
  let finished: () => void = () => {};
  const done = new Promise<void>((r) => {
    finished = r;
  });
  let scheduling = true;

  const release = (conn: Connection) => {
    const next = waiting.shift();
    if (next !== undefined) void send(conn, next);
    else if (!conn.closed) idle.push(conn);
  };
  const send = async (conn: Connection, intended: number) => {
    try {
      const res = await conn.request(factory.next());
      rec?.response(performance.now() - intended, res);
    } catch (err) {
      rec?.failure(err);
    }
    outstanding--;
    release(conn);
    if (!scheduling && outstanding === 0) finished();
  };
  const fire = async (intended: number) => {
    outstanding++;
    sent++;
    const conn = idle.pop();
    if (conn) return send(conn, intended);
    if (all.length >= job.maxConnections) {
      waiting.push(intended);
      return;
    }
    const fresh = new Connection(t.host, t.port);
    all.push(fresh);
    try {
      await fresh.connect();
    } catch (err) {
      rec?.failure(err);
      outstanding--;
      return;
    }
    return send(fresh, intended);
  };
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (due <= now && due < end) {
        void fire(due);
        due += interval;
      }
      if (due < end) setTimeout(tick, Math.min(1, Math.max(0, due - now)));
      else resolve();
    };
    tick();
  });
  scheduling = false;
  if (outstanding > 0) await Promise.race([done, new Promise((r) => setTimeout(r, 30_000))]);
  for (const c of all) c.close();
  return { sent, offeredRate: round((sent * 1000) / durationMs, 1) };
}

async function runOpen(job: Extract<Job, { kind: 'open' }>): Promise<LoadResult> {
  if (job.warmupMs > 0) await openLoop(job, job.warmupMs, undefined);
  const rec = new Recorder(job.target.expectStatus);
  const { offeredRate } = await openLoop(job, job.durationMs, rec);
  return rec.result({ offeredRate });
}

async function runBurst(job: Extract<Job, { kind: 'burst' }>): Promise<LoadResult> {
  const conns = await openConnections(job.target, job.n);
  const factory = new RequestFactory(job.target);
  const requests = conns.map(() => factory.next());
  const rec = new Recorder(job.target.expectStatus);
  const t0 = performance.now();
  let last = 0;
  await Promise.all(
    conns.map(async (c, i) => {
      try {
        const res = await Promise.race([
          c.request(requests[i] as Buffer),
          new Promise<never>((_, reject) =>
            setTimeout(() => reject(new Error(`no answer in ${job.timeoutMs} ms`)), job.timeoutMs),
          ),
        ]);
        const ms = performance.now() - t0;
        last = Math.max(last, ms);
        rec.response(ms, res);
      } catch (err) {
        rec.failure(err);
      }
    }),
  );
  for (const c of conns) c.close();
  return rec.result({ allMs: round(last) });
}

async function runOnce(job: Extract<Job, { kind: 'once' }>): Promise<OnceResult> {
  const [conn] = await openConnections(job.target, 1);
  const factory = new RequestFactory(job.target);
  const raw = factory.next();
  const t0 = performance.now();
  try {
    const res = await (conn as Connection).request(raw);
    return {
      latencyMs: round(performance.now() - t0),
      status: res.status,
      head: res.head,
      body: res.body.toString('utf8'),
    };
  } finally {
    conn?.close();
  }
}

async function runSpawn(job: Extract<Job, { kind: 'spawn' }>): Promise<LoadResult> {
  const rec = new Recorder(0);
  const latencies: number[] = [];
  const t0 = performance.now();
  let last = 0;
  let errors = 0;
  let firstError: string | undefined;
  await Promise.all(
    Array.from(
      { length: job.n },
      () =>
        new Promise<void>((resolve) => {
          const started = performance.now();
          const child = spawn(job.command, job.args, { env: job.env, stdio: ['ignore', 'pipe', 'pipe'] });
          let out = '';
          let err = '';
          let answered = false;
          const timer = setTimeout(() => child.kill('SIGKILL'), job.timeoutMs);
          child.stdout.on('data', (c: Buffer) => {
            out += c.toString();
            if (!answered && out.includes('\n')) {
              answered = true;
              const now = performance.now();
              latencies.push(now - started);
              last = Math.max(last, now - t0);
            }
          });
          child.stderr.on('data', (c: Buffer) => {
            err += c.toString();
          });
          child.on('close', (code) => {
            clearTimeout(timer);
            if (!answered || code !== 0) {
              errors++;
              firstError ??= `exit ${code}: ${err.slice(0, 300)}`;
            }
            resolve();
          });
        }),
    ),
  );
  const base = rec.result();
  return {
    ...base,
    ok: latencies.length - errors,
    errors,
    statuses: {},
    latency: summarize(latencies),
    rps: round(((latencies.length - errors) * 1000) / (performance.now() - t0), 1),
    allMs: round(last),
    ...(firstError ? { firstError } : {}),
  };
}

async function runSdk(job: Extract<Job, { kind: 'sdk' }>): Promise<LoadResult> {
  const client = new LambdaClient({
    endpoint: job.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
    requestHandler: { httpAgent: new http.Agent({ keepAlive: true, maxSockets: job.concurrency }) },
  });
  const payload = Buffer.from(job.payload);
  const loop = async (durationMs: number, rec: Recorder | undefined) => {
    const until = performance.now() + durationMs;
    await Promise.all(
      Array.from({ length: job.concurrency }, async () => {
        while (performance.now() < until) {
          const started = performance.now();
          try {
            const out = await client.send(
              new InvokeCommand({ FunctionName: job.functionName, Payload: payload }),
            );
            rec?.response(performance.now() - started, {
              status: out.StatusCode ?? 0,
              head: out.FunctionError ? 'x-amz-function-error: unhandled' : '',
              body: Buffer.alloc(0),
            });
          } catch (err) {
            rec?.failure(err);
          }
        }
      }),
    );
  };
  try {
    if (job.warmupMs > 0) await loop(job.warmupMs, undefined);
    const rec = new Recorder(200);
    await loop(job.durationMs, rec);
    return rec.result();
  } finally {
    client.destroy();
  }
}

function run(job: Job): Promise<unknown> {
  switch (job.kind) {
    case 'closed':
      return runClosed(job);
    case 'open':
      return runOpen(job);
    case 'burst':
      return runBurst(job);
    case 'once':
      return runOnce(job);
    case 'spawn':
      return runSpawn(job);
    case 'sdk':
      return runSdk(job);
  }
}

process.on('message', (msg: { id: number; job: Job }) => {
  run(msg.job).then(
    (result) => process.send?.({ id: msg.id, result }),
    (err: Error) => process.send?.({ id: msg.id, error: err.stack ?? err.message }),
  );
});
process.on('disconnect', () => process.exit(0));
