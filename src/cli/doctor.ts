/** `lambent doctor`: which isolation functions would get on this host, and what is missing. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { poolDefinitions } from '../invoke/launch.js';
import { createSandboxProvider } from '../sandbox/index.js';
import { configFromEnv } from '../shared/config.js';
import { packageRoot } from '../shared/version.js';

export async function doctor(options: { dataDir?: string }): Promise<number> {
  const config = configFromEnv(process.env, { dataDir: options.dataDir, port: 0 });
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
    return d.isolation === 'linux' ? 0 : 1;
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}
