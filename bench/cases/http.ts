/**
 * HTTP front doors: the same HTTP-event handler reached through a function URL (BUFFERED),
 * through an HTTP API's route (quick create, payload 2.0) and through Invoke, beside a bare
 * `node:http` server that builds the 2.0 event and runs the handler in-process, and beside
 * the peers that do this job on a laptop (serverless-offline, Architect's sandbox). Latency
 * at concurrency 1 and throughput at a few concurrencies (closed loop), interleaved.
 */
import os from 'node:os';
import { ApiGatewayV2Client, CreateApiCommand } from '@aws-sdk/client-apigatewayv2';
import { AddPermissionCommand, CreateFunctionUrlConfigCommand } from '@aws-sdk/client-lambda';
import { type ServerProcess, startHttpBaseline, startLambent } from '../lib/children.js';
import type { BenchCase, BenchContext, Table, TargetCheck } from '../lib/context.js';
import { fmt, fmtRatio } from '../lib/context.js';
import { HANDLERS } from '../lib/handlers.js';
import { installPeer, PEER_LABEL, type PeerName, startPeer } from '../lib/http-peers.js';
import { interleave, type LoadMedians, loadMedians, pairedDiff, pairedRatio } from '../lib/interleave.js';
import type { LoadResult, OnceResult } from '../lib/jobs.js';
import { CREDENTIALS, Functions, invokeStats, invokeTarget } from '../lib/lambda.js';
import { sandboxDescription } from '../lib/machine.js';
import type { Target } from '../lib/target.js';

const FN = 'bench-http';
const REGION = 'us-east-1';
const ACCOUNT = '000000000000';
/** What the handler answers; the Invoke path returns it as the JSON of the result. */
const BODY = 'hello';
/** The Invoke row's payload: a small event (the handler ignores it). */
const INVOKE_PAYLOAD = '{"rawPath":"/hello","requestContext":{"http":{"method":"GET"}}}';
/**
 * Architect's sandbox spawns a fresh `node` for every request (about 0.5–1 s each here):
 * at concurrency 32 that is 32 node start-ups at once on 2 cores, which measures nothing
 * more and slows every other process on the machine. Its throughput row stops here.
 */
const ARC_MAX_CONCURRENCY = 8;

type Variant = 'baseline' | 'url' | 'api' | 'invoke' | PeerName;

const LABEL: Record<Variant, string> = {
  baseline: 'baseline: bare node:http server, 2.0 event built and handler run in-process',
  url: 'Lambent function URL (BUFFERED, AuthType NONE, Host <id>.lambda-url…)',
  api: 'Lambent HTTP API route (quick create, payload 2.0, Host <id>.execute-api…)',
  invoke: 'Lambent Invoke of the same function (SigV4)',
  ...PEER_LABEL,
};

/** An unsigned GET as a browser or curl sends it; `host` names the front door when set. */
function getTarget(server: { host: string; port: number }, host?: string): Target {
  return {
    host: server.host,
    port: server.port,
    method: 'GET',
    path: '/hello',
    ...(host ? { headers: { host: `${host}:${server.port}` } } : {}),
    body: '',
    expectStatus: 200,
  };
}

export const httpCase: BenchCase = {
  name: 'http',
  title: 'HTTP: function URL and HTTP API requests (trivial HTTP-event handler)',
  async run(ctx: BenchContext) {
    const notes: string[] = [];
    const peerNames: PeerName[] = ['serverless-offline', 'architect-sandbox'];
    // Installing the peers takes a while (npm; the first time minutes): do it while Lambent starts.
    const installs = peerNames.map((p) =>
      installPeer(p, ctx.workDir, HANDLERS.http).then(
        (r) => ({ peer: p, ...r }),
        (err: Error) => ({ peer: p, error: err.message }),
      ),
    );
    const lambent = await startLambent(ctx.workDir);
    const baseline = await startHttpBaseline(ctx.workDir, ctx.handlers.files.http);
    const peers: Partial<Record<PeerName, ServerProcess>> = {};
    const fns = new Functions(lambent.url);
    const apigw = new ApiGatewayV2Client({
      endpoint: lambent.url,
      region: REGION,
      credentials: CREDENTIALS,
      maxAttempts: 1,
    });
    ctx.machine.sandbox ??= await sandboxDescription(lambent.url);
    try {
      // One function, three front doors.
      await fns.create(FN, HANDLERS.http);
      const url = await fns.lambda.send(
        new CreateFunctionUrlConfigCommand({ FunctionName: FN, AuthType: 'NONE' }),
      );
      const urlHost = new URL(url.FunctionUrl ?? '').hostname;
      await fns.lambda.send(
        new AddPermissionCommand({
          FunctionName: FN,
          StatementId: 'url',
          Action: 'lambda:InvokeFunctionUrl',
          Principal: '*',
          FunctionUrlAuthType: 'NONE',
        }),
      );
      await fns.lambda.send(
        new AddPermissionCommand({
          FunctionName: FN,
          StatementId: 'url-invoke',
          Action: 'lambda:InvokeFunction',
          Principal: '*',
          InvokedViaFunctionUrl: true,
        }),
      );
      const api = await apigw.send(
        new CreateApiCommand({
          Name: 'bench',
          ProtocolType: 'HTTP',
          Target: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${FN}`,
        }),
      );
      await fns.lambda.send(
        new AddPermissionCommand({
          FunctionName: FN,
          StatementId: 'api',
          Action: 'lambda:InvokeFunction',
          Principal: 'apigateway.amazonaws.com',
          SourceArn: `arn:aws:execute-api:${REGION}:${ACCOUNT}:${api.ApiId}/*`,
        }),
      );

      for (const r of await Promise.all(installs)) {
        if ('error' in r) {
          notes.push(`${r.peer} could not be installed, so it has no row: ${r.error}`);
          continue;
        }
        ctx.log(`http: ${r.peer} installed in ${r.seconds.toFixed(0)} s`);
        try {
          peers[r.peer] = await startPeer(r.peer, r.dir, ctx.workDir);
        } catch (err) {
          notes.push(`${r.peer} did not start, so it has no row: ${(err as Error).message}`);
        }
      }

      const targets: Partial<Record<Variant, Target>> = {
        baseline: getTarget(baseline),
        url: getTarget(lambent, urlHost),
        api: getTarget(lambent, `${api.ApiId}.execute-api.localhost`),
        invoke: invokeTarget(lambent, FN, INVOKE_PAYLOAD),
      };
      for (const p of peerNames) {
        const server = peers[p];
        if (server) targets[p] = getTarget(server);
      }
      // A first request through each door: it proves the door answers what the handler says
      // (and makes Lambent's environment; its cold start is the cold-start case's business).
      const expected: Partial<Record<Variant, string>> = {};
      for (const [v, t] of Object.entries(targets) as Array<[Variant, Target]>) {
        const want = v === 'invoke' ? JSON.stringify(JSON.parse(expectedInvokeBody())) : BODY;
        const first = await ctx.loadgen.run<OnceResult>({ kind: 'once', target: t });
        const got = v === 'invoke' && first.status === 200 ? normalizeJson(first.body) : first.body;
        if (first.status !== 200 || got !== want) {
          const msg = `${v}: first request answered ${first.status} ${first.body.slice(0, 300)}`;
          if (v === 'serverless-offline' || v === 'architect-sandbox') {
            notes.push(`${msg}; no row`);
            await peers[v]?.stop();
            delete peers[v];
            delete targets[v];
            continue;
          }
          throw new Error(`http: ${msg}`);
        }
        expected[v] = want;
      }
      const variants = (Object.keys(targets) as Variant[]).filter((v) => targets[v]);

      const reps = ctx.size(5, 1);
      const dur = ctx.size(2000, 300);
      const warm = ctx.size(500, 100);

      // 1. Latency, closed loop at concurrency 1.
      ctx.log(`http: latency at concurrency 1 (${reps} reps × ${variants.length} variants × ${dur} ms)`);
      const latency = await interleave(variants, reps, (v) =>
        ctx.loadgen.run<LoadResult>({
          kind: 'closed',
          target: targets[v] as Target,
          concurrency: 1,
          durationMs: dur,
          warmupMs: warm,
        }),
      );

      // 2. Throughput, closed loop; a warm-up at each concurrency makes the environments it needs.
      const levels = ctx.size([2, 8, 32], [4]);
      const throughput: Record<number, Partial<Record<Variant, LoadResult[]>>> = {};
      const environments: Record<number, number> = {};
      for (const c of levels) {
        const here = variants.filter((v) => v !== 'architect-sandbox' || c <= ARC_MAX_CONCURRENCY);
        ctx.log(`http: throughput at concurrency ${c} (${here.join(', ')})`);
        // The three doors share the function's environments: make the c it needs before the
        // first variant, or whichever door runs first pays for c cold starts in its warm-up.
        await ctx.loadgen.run<LoadResult>({
          kind: 'closed',
          target: targets.invoke as Target,
          concurrency: c,
          durationMs: ctx.size(2000, 500),
          warmupMs: 0,
        });
        throughput[c] = await interleave(here, ctx.size(3, 1), async (v) => {
          const job = { kind: 'closed', target: targets[v] as Target, concurrency: c, warmupMs: 0 } as const;
          await ctx.loadgen.run<LoadResult>({ ...job, durationMs: ctx.size(1000, 300) });
          return ctx.loadgen.run<LoadResult>({ ...job, durationMs: dur });
        });
        environments[c] = (await invokeStats(lambent.url)).environments;
      }

      // ---- tables
      const lat = Object.fromEntries(variants.map((v) => [v, loadMedians(latency[v])])) as Record<
        Variant,
        LoadMedians
      >;
      const added = (v: Variant, q: 'p50' | 'p99') =>
        pairedDiff(
          latency[v].map((r) => r.latency[q]),
          latency.baseline.map((r) => r.latency[q]),
        );
      const tables: Table[] = [];
      tables.push({
        title:
          'Latency at concurrency 1 (closed loop, keep-alive; medians over reps; added = median of per-rep differences to the bare server)',
        columns: ['variant', 'p50 ms', 'p99 ms', 'added p50 ms', 'added p99 ms', 'req/s', 'errors'],
        rows: variants.map((v) => [
          LABEL[v],
          fmt(lat[v].p50, 3),
          fmt(lat[v].p99, 3),
          v === 'baseline' ? '—' : fmt(added(v, 'p50'), 3),
          v === 'baseline' ? '—' : fmt(added(v, 'p99'), 3),
          fmt(lat[v].rps, 0),
          lat[v].errors,
        ]),
      });
      const tpOf = (c: number, v: Variant) => throughput[c]?.[v];
      const ratioAt = (c: number, a: Variant, b: Variant) => {
        const x = tpOf(c, a);
        const y = tpOf(c, b);
        return x && y
          ? fmtRatio(
              pairedRatio(
                x.map((r) => r.rps),
                y.map((r) => r.rps),
              ),
            )
          : 'n/a';
      };
      tables.push({
        title:
          'Throughput, closed loop (median req/s over reps, p99 ms; ratios are medians of per-rep paired ratios)',
        columns: [
          'concurrency',
          ...variants.map((v) => `${v} req/s (p99 ms)`),
          'URL / Invoke',
          'API / Invoke',
          'URL / bare',
          'API / bare',
          'Lambent environments after',
        ],
        rows: levels.map((c) => [
          c,
          ...variants.map((v) => {
            const r = tpOf(c, v);
            if (!r) return '—';
            const m = loadMedians(r);
            return `${fmt(m.rps, 0)} (${fmt(m.p99, 1)})${m.errors ? ` ${m.errors} errors` : ''}`;
          }),
          ratioAt(c, 'url', 'invoke'),
          ratioAt(c, 'api', 'invoke'),
          ratioAt(c, 'url', 'baseline'),
          ratioAt(c, 'api', 'baseline'),
          environments[c] ?? 'n/a',
        ]),
      });

      const peak = (v: Variant) => Math.max(...levels.map((c) => loadMedians(tpOf(c, v) ?? []).rps));
      const peakAt = (v: Variant) =>
        levels.reduce(
          (best, c) => (loadMedians(tpOf(c, v) ?? []).rps > loadMedians(tpOf(best, v) ?? []).rps ? c : best),
          levels[0] as number,
        );
      const targetsOut: TargetCheck[] = [];
      for (const v of ['url', 'api'] as const) {
        const name = v === 'url' ? 'function URL' : 'HTTP API route';
        targetsOut.push({
          what: `${name} p50 added latency over the bare node:http server (concurrency 1)`,
          target: '≤ 0.5 ms',
          measured: `${fmt(added(v, 'p50'), 3)} ms (p99 added ${fmt(added(v, 'p99'), 3)} ms)`,
          met: added(v, 'p50') <= 0.5,
        });
        targetsOut.push({
          what: `${name} peak throughput vs the Invoke path's`,
          target: '≥ 100 %',
          measured: `${fmt(peak(v), 0)} req/s (at c=${peakAt(v)}) vs Invoke ${fmt(peak('invoke'), 0)} req/s (at c=${peakAt('invoke')}) = ${fmt((peak(v) / peak('invoke')) * 100, 1)} %`,
          met: peak(v) >= peak('invoke'),
        });
      }
      notes.push(
        `Load average at the end of the case: ${os
          .loadavg()
          .map((l) => l.toFixed(2))
          .join(
            ' ',
          )} (at its start: in the line above; 2 cores — above 2 the machine was shared and the absolute times are inflated; compare the ratios).`,
      );
      const errors = variants.reduce((a, v) => a + lat[v].errors, 0);
      if (errors)
        notes.push(
          `errors during the latency runs: ${errors} (first: ${variants.map((v) => lat[v].firstError).find(Boolean)})`,
        );
      if (peers['architect-sandbox'])
        notes.push(
          `@architect/sandbox 8 runs every request in a newly spawned \`node\` (no warm environment), so its latency is a process start-up; its throughput row stops at concurrency ${ARC_MAX_CONCURRENCY}. @architect/sandbox 9 needs Node ≥ 22 (this is Node ${process.versions.node}).`,
        );
      if (peers['serverless-offline'])
        notes.push(
          'serverless-offline 13 runs the handler in a worker thread of its own process (its default), kept warm between requests.',
        );
      return {
        method: [
          `Function \`${FN}\`: \`${HANDLERS.http.trim()}\`, nodejs20.x, 128 MB. Every row runs this same source.`,
          `Lambent rows: one Lambent process, one function reached three ways — its function URL (CreateFunctionUrlConfig AuthType NONE + the two public permissions; BUFFERED), an HTTP API quick-created with Target = the function (payload 2.0, \`$default\` route and stage), and signed Invoke (payload \`${INVOKE_PAYLOAD}\`). URL and API requests are unsigned \`GET /hello\` naming their Host (\`<id>.lambda-url.${REGION}.localhost\`, \`<id>.execute-api.localhost\`) as a browser would.`,
          'Baseline: a bare `node:http` server in its own process that builds a payload 2.0 event from the request, awaits the same handler in-process and writes its statusCode, headers and body.',
          'Peers: installed by the case with npm into its scratch directory (never dependencies of Lambent), each serving the same handler at `GET /hello`.',
          `Closed loop, keep-alive connections from the load generator process. Variants run interleaved (rotating order), ${reps} reps of ${dur} ms at concurrency 1 after a ${warm} ms warm-up; throughput at each concurrency after a warm-up that makes the environments it needs. Tables show medians over reps.`,
        ],
        tables,
        targets: targetsOut,
        notes,
        data: { latency, throughput, environments, levels, variants, urlHost, apiId: api.ApiId, expected },
      };
    } finally {
      fns.close();
      apigw.destroy();
      await Promise.all([lambent.stop(), baseline.stop(), ...Object.values(peers).map((p) => p.stop())]);
    }
  },
};

/** The Invoke answer: the handler's result as JSON. */
function expectedInvokeBody(): string {
  return JSON.stringify({ statusCode: 200, headers: { 'content-type': 'text/plain' }, body: BODY });
}

function normalizeJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text));
  } catch {
    return text;
  }
}
