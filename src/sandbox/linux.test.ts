import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { sandboxConformance } from './conformance.js';
import { createLinuxProvider, type LinuxSandboxProvider } from './linux/provider.js';
import { SECCOMP_ARCHES } from './linux/seccomp.js';
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

// Kernel keyrings outlive a sandbox and follow the uid, and uids come back from a small range:
// keys a previous holder of the uid left (before the seccomp filter refused keyctl, or by any
// other path) must be gone for the next one. A range of one uid makes every sandbox reuse it.
test('a sandbox does not see keys an earlier holder of its uid left', { skip, timeout: 60_000 }, async () => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'lambent-keys-'));
  const uid = 0x7100_0000 + (process.pid & 0xffff);
  const provider = await createLinuxProvider({
    dataDir: path.join(base, 'data'),
    uidBase: uid,
    uidCount: 1,
    prestart: 0,
  });
  try {
    // The uid's user and user-session keyrings get a key each, as a process of that uid would add them.
    // The uid's user, user-session and persistent keyrings get a key each, as a process of that uid would add them.
    const addKey = SECCOMP_ARCHES[process.arch]?.numbers.add_key;
    const keyctl = SECCOMP_ARCHES[process.arch]?.numbers.keyctl;
    const plant = (ring: string, name: string) =>
      execFileSync(
        'perl',
        [
          '-e',
          `my $ring = ${ring}; my @a = ("user", "lambent-leftover-${name}", "secret"); ` +
            `syscall(${addKey}, @a, 6, $ring) > 0 or die "add_key: $!"`,
        ],
        { uid, gid: uid },
      );
    plant('-4', 'user');
    plant('-5', 'user-session');
    plant(`syscall(${keyctl}, 22, -1, -3)`, 'persistent'); // KEYCTL_GET_PERSISTENT, linked into the session keyring
    const hostView = () => execFileSync('cat', ['/proc/keys'], { uid, gid: uid, encoding: 'utf8' });
    for (const name of ['user', 'user-session', 'persistent'])
      assert.match(hostView(), new RegExp(`lambent-leftover-${name}`));

    for (const dir of ['code', 'runtime', 'tmp']) fs.mkdirSync(path.join(base, dir));
    let out = '';
    const sandbox = provider.create({
      id: 'keys',
      // The kernel collects unlinked keys a moment later: wait for that, a bounded number of times.
      command: [
        'sh',
        '-c',
        'for i in $(seq 200); do grep -q leftover /proc/keys || break; sleep 0.01; done; cat /proc/keys; echo listed',
      ],
      env: { PATH: '/usr/bin:/bin' },
      codeDir: path.join(base, 'code'),
      runtimeDir: path.join(base, 'runtime'),
      tmpDir: path.join(base, 'tmp'),
      tmpSizeMb: 1,
      memoryMb: 64,
      outbound: true,
      onOutput: (_s, chunk) => {
        out += chunk.toString();
      },
    });
    assert.equal(sandbox.uid, uid);
    await sandbox.start();
    assert.equal((await sandbox.exited).code, 0, out);
    assert.match(out, /listed/);
    assert.doesNotMatch(out, /lambent-leftover/);
    assert.doesNotMatch(hostView(), /lambent-leftover/);
  } finally {
    await provider.close();
    fs.rmSync(base, { recursive: true, force: true });
  }
});
