/**
 * `lambent doctor`: which isolation functions would get on this host, what is missing, and what
 * runs that are gone left behind (mounts, loop devices, cgroups, launchers: see
 * sandbox/linux/leftovers.ts); `--clean` removes those, never a running server's.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { poolDefinitions } from '../invoke/launch.js';
import { detectCgroups } from '../sandbox/cgroups/driver.js';
import { createSandboxProvider } from '../sandbox/index.js';
import { cleanLeftovers, describeLeftover, findLeftovers } from '../sandbox/linux/leftovers.js';
import { configFromEnv } from '../shared/config.js';
import { packageRoot } from '../shared/version.js';

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
      dataDir: scratch,
      logger: { warn: (m) => warnings.push(m) },
    });
    // The pools of pre-started sandboxes, as the server would define them: a real boot of each.
    provider.definePools(
      poolDefinitions(provider, path.join(packageRoot, 'src', 'runtimes'), config.lambda.prewarmPoolSize),
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
    out.write(`node: ${process.version}\n`);
    return d.isolation === 'linux' && leftoversOk ? 0 : 1;
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
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
