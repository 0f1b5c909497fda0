/**
 * `lambent doctor`: which isolation functions would get on this host, what is missing, and what
 * runs that are gone left behind (mounts, loop devices, cgroups, launchers: see
 * sandbox/linux/leftovers.ts); `--clean` removes those, never a running server's.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { poolDefinitions } from '../invoke/launch.js';
import { findNodeSdk, nodeSdkTreePath } from '../invoke/node-sdk.js';
import { createRuntimeCatalog, familyOf } from '../invoke/runtimes.js';
import { detectCgroups } from '../sandbox/cgroups/driver.js';
import { createSandboxProvider } from '../sandbox/index.js';
import { cleanLeftovers, describeLeftover, findLeftovers } from '../sandbox/linux/leftovers.js';
import { SUPPORTED_RUNTIMES } from '../services/lambda/runtimes.js';
import { type Config, configFromEnv } from '../shared/config.js';
import { packageRoot } from '../shared/version.js';
import { checkRequirements } from './requirements.js';

export interface DoctorOptions {
  /** Remove the leftovers found. */
  clean?: boolean;
  /** Look only at this data dir's leftovers (default: every run's on this machine). */
  leftoversOf?: string;
}

export async function doctor(options: DoctorOptions = {}): Promise<number> {
  const config = configFromEnv(process.env, { port: 0 });
  // Before the probe below makes sandboxes of its own.
  const leftoversOk = await leftovers(options);
  // Probe in a scratch directory: doctor must not touch a running server's state.
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'lambent-doctor-'));
  const warnings: string[] = [];
  try {
    const provider = await createSandboxProvider({
      ...(config.sandbox === 'auto' ? {} : { prefer: config.sandbox }),
      linux: { sandboxSubnet: config.sandboxSubnet },
      dataDir: scratch,
      logger: { warn: (m) => warnings.push(m) },
    });
    // Which interpreter serves each runtime (doctor never calls ensure(): it installs nothing).
    const runtimes = createRuntimeCatalog({ ...config, dataDir: scratch });
    const sdk = findNodeSdk();
    // The SDK's tree as the server shows it, if a server built it already (doctor builds nothing).
    const sdkTree = sdk && nodeSdkTreePath(sdk, config.cacheDir);
    const sdkBuilt = sdkTree !== undefined && fs.existsSync(sdkTree);
    // The pools of pre-started sandboxes, as the server would define them: a real boot of each.
    provider.definePools(
      poolDefinitions(
        provider,
        path.join(packageRoot, 'src', 'runtimes'),
        config.lambda.prewarmPoolSize,
        runtimes.pools(),
        sdkBuilt ? sdkTree : undefined,
      ),
    );
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && provider.poolStatus().some((p) => p.ready < p.size && p.failures === 0)) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const d = provider.describe();
    await provider.close();
    const out = process.stdout;
    out.write(
      `isolation: ${d.isolation === 'linux' ? 'linux (namespaces + cgroups): full' : 'process: REDUCED'}\n`,
    );
    for (const [k, v] of Object.entries(d.details)) out.write(`  ${k}: ${v}\n`);
    for (const p of d.pools ?? []) {
      if (p.lastError) out.write(`  prewarm ${p.name} failed: ${p.lastError}\n`);
    }
    if (d.missing.length) {
      out.write('missing for full isolation:\n');
      for (const m of d.missing) out.write(`  - ${m}\n`);
    }
    out.write('runtimes:\n');
    const names = [...SUPPORTED_RUNTIMES].filter((r) => familyOf(r)).sort();
    for (const [runtime, line] of Object.entries(runtimes.describe(names)))
      out.write(`  ${runtime}: ${line}\n`);
    out.write(
      "  provided.al2023, provided.al2: the function's own bootstrap; the host's node and python are hidden\n",
    );
    out.write(
      sdk
        ? `aws sdk for javascript v3 (nodejs*, /var/runtime/node_modules): @aws-sdk/core ${sdk.core}, ${Object.keys(sdk.versions).length - 1} pinned packages, ${sdk.packages.size} with their dependencies, ${sdkBuilt ? `at ${sdkTree}` : `built into ${sdkTree} when a server starts`} (from ${sdk.source})\n`
        : 'aws sdk for javascript v3: NOT INSTALLED (Node functions must bundle it)\n',
    );
    const boto3 = runtimes.lookup('python3.12')?.boto3;
    out.write(
      boto3
        ? `boto3 (python3.*, after the function's packages and layers): ${boto3Version(boto3)} from ${boto3}\n`
        : 'boto3: NOT INSTALLED (Debian: apt-get install python3-boto3); Python functions must bundle it\n',
    );
    out.write(diskReport(config));
    out.write(await runningServerReport(configFromEnv(process.env).port));
    const requirements = checkRequirements();
    out.write('requirements:\n');
    for (const r of requirements) out.write(`  ${r.ok ? 'ok     ' : 'MISSING'} ${r.what}: ${r.detail}\n`);
    return d.isolation === 'linux' && leftoversOk && requirements.every((r) => r.ok) ? 0 : 1;
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/** boto3's version as its package says (no interpreter started). */
function boto3Version(dir: string): string {
  try {
    const text = fs.readFileSync(path.join(dir, 'boto3', '__init__.py'), 'utf8');
    return /__version__ = '([^']+)'/.exec(text)?.[1] ?? 'unknown version';
  } catch {
    return 'unknown version';
  }
}

/**
 * The disk budgets (log-budget.ts, tmp-budget.ts) against the data directory's filesystem now.
 */
function diskReport(config: Config): string {
  const mb = (bytes: number) => `${Math.round(bytes / (1024 * 1024))} MB`;
  let at = config.dataDir;
  while (!fs.existsSync(at) && path.dirname(at) !== at) at = path.dirname(at);
  const s = fs.statfsSync(at);
  const free = s.bavail * s.bsize;
  const l = config.logs;
  const lines = [
    `disk: data directory ${config.dataDir}: ${mb(free)} free of ${mb(s.blocks * s.bsize)}`,
    `  function logs: ${l.functionBytesPerSecond ? `${l.functionBytesPerSecond} bytes/s per function (bursts of ${l.functionBurstBytes})` : 'no per-function rate'}; all output dropped below ${mb(l.minFreeDiskBytes)} free or above ${mb(l.maxStoredBytes)} stored`,
    `  /tmp volumes: at most ${config.lambda.maxTmpMb} MB together`,
  ];
  if (free < l.minFreeDiskBytes)
    lines.push('  DEGRADED: free disk is below the floor; function output is being dropped');
  return `${lines.join('\n')}\n`;
}

/** What a server running on this host's configured port says about dropped output and disk (nothing if none answers). */
async function runningServerReport(port: number): Promise<string> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/_lambent/health`, {
      signal: AbortSignal.timeout(1000),
    });
    const doc = (await res.json()) as {
      parts?: {
        functionLogs?: {
          status: string;
          reason?: string;
          droppedBytes: number;
          storedBytes: number;
          withoutPermission?: { functionArn: string; role: string; reason: string }[];
        };
        invoke?: { tmpMb?: number; maxTmpMb?: number };
      };
    };
    const logs = doc.parts?.functionLogs;
    if (!logs) return '';
    const tmp = doc.parts?.invoke;
    return (
      `server on port ${port}: function logs ${logs.status}${logs.reason ? ` (${logs.reason})` : ''}, ` +
      `${logs.droppedBytes} bytes of output dropped since start, ${logs.storedBytes} bytes stored` +
      (tmp?.tmpMb !== undefined ? `; /tmp volumes ${tmp.tmpMb} of ${tmp.maxTmpMb} MB` : '') +
      '\n' +
      // Functions whose execution role may not write their logs (IAM enforced: not stored, as on AWS).
      (logs.withoutPermission ?? [])
        .map((f) => `  logs of ${f.functionArn} not stored: role ${f.role} lacks permission (${f.reason})\n`)
        .join('')
    );
  } catch {
    return '';
  }
}

/**
 * Lists (and with `clean` removes) leftovers; false only when a clean failed (leftovers found
 * are reported, not an error: isolation still works beside them).
 */
async function leftovers(options: DoctorOptions): Promise<boolean> {
  const out = process.stdout;
  if (process.platform !== 'linux') return true;
  const driver = process.geteuid?.() === 0 ? detectCgroups().driver : undefined;
  const found = findLeftovers(driver, options.leftoversOf ? { dataDir: options.leftoversOf } : {});
  if (found.length === 0) {
    out.write('leftovers of stopped runs: none\n');
    return true;
  }
  out.write(`leftovers of stopped runs: ${found.length}\n`);
  for (const l of found) out.write(`  ${describeLeftover(l)}\n`);
  if (!options.clean) {
    out.write('  (`lambent doctor --clean` removes them)\n');
    return true;
  }
  const failed = await cleanLeftovers(found, driver);
  out.write(`removed ${found.length - failed.length} of ${found.length}\n`);
  for (const f of failed) out.write(`  could not remove ${describeLeftover(f.leftover)}: ${f.error}\n`);
  return failed.length === 0;
}
