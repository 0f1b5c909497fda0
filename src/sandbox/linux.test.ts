import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { sandboxConformance } from './conformance.js';
import { createLinuxProvider, type LinuxSandboxProvider } from './linux/provider.js';
import type { SandboxSpec } from './sandbox.js';

/** A pool entry point for any command: reads the assignment, then execs its command with its environment. */
const EXEC_ENTRY = [
  'import json, os, sys',
  "os.write(1, b'lambent-pool-ready\\n')",
  'p = json.loads(sys.stdin.buffer.read())',
  "os.dup2(os.open('/dev/null', os.O_RDONLY), 0)",
  "os.chdir('/var/task')",
  'try:',
  "    os.execvpe(p['command'][0], p['command'], p['env'])",
  'except OSError as e:',
  "    sys.stderr.write(str(e) + '\\n')",
  '    os._exit(127)',
].join('\n');

const skip =
  process.platform === 'linux' && process.geteuid?.() === 0 ? false : 'the Linux sandbox needs root on Linux';

sandboxConformance({
  name: 'linux',
  provider: (dataDir) => createLinuxProvider({ dataDir }),
  skip,
  containment: true,
});

// Launchers started on demand instead of parked ahead of time: the other path to a sandbox.
sandboxConformance({
  name: 'linux, no parked launchers',
  provider: (dataDir) => createLinuxProvider({ dataDir, prestart: 0 }),
  skip,
  containment: false,
});

// Pre-started sandboxes (prewarm.ts): every create() with outbound access takes a sandbox booted
// ahead of time with a generic entry point, which execs the spec's command with its exact
// environment once assigned (the Node and Python pools run their bootstraps the same way).
{
  const POOL_SIZE = 3;
  let pooledProvider: LinuxSandboxProvider | undefined;
  let created = 0;
  let pooled = 0;
  sandboxConformance({
    name: 'linux, pre-started (pooled) sandboxes',
    provider: async (dataDir) => {
      const inner = await createLinuxProvider({ dataDir });
      pooledProvider = inner;
      // The suite's runtimeDir sits beside its dataDir.
      const runtimeDir = path.join(path.dirname(dataDir), 'runtime');
      const langDir = path.join(path.dirname(dataDir), 'lang');
      const layout = inner.layout();
      inner.definePools([
        {
          name: 'exec',
          command: [`${layout.langBin}/python3`, '-c', EXEC_ENTRY],
          env: { PATH: `${layout.langBin}:/usr/bin:/bin` },
          runtimeDir,
          langDir,
          size: POOL_SIZE,
        },
      ]);
      return new Proxy(inner, {
        get(target, prop, receiver) {
          if (prop !== 'create') return Reflect.get(target, prop, receiver);
          return (spec: SandboxSpec) => {
            const sandbox = target.create({ ...spec, pool: 'exec' });
            created++;
            if (sandbox.pooled) pooled++;
            return sandbox;
          };
        },
      });
    },
    skip,
    containment: true,
    pooled: true,
    beforeEach: async () => {
      for (let i = 0; i < 400; i++) {
        if ((pooledProvider?.poolStatus()[0]?.ready ?? 0) >= POOL_SIZE) return;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error(`the pool did not refill: ${JSON.stringify(pooledProvider?.poolStatus())}`);
    },
  });

  test('the pooled conformance run used pooled sandboxes', { skip }, () => {
    assert.ok(created > 10, `created ${created}`);
    // The few without outbound access start normally (no pool serves them).
    assert.ok(pooled >= created - 3, `${pooled} of ${created} pooled`);
  });
}
