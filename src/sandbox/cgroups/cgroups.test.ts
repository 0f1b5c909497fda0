import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { processStartTicks } from '../../shared/data-dir-lock.js';
import type { Cgroup, CgroupLimits } from './cgroup.js';
import { sharesToWeight } from './cgroup.js';
import { detectCgroups, parseCgroupMounts } from './driver.js';
import { waitUntil } from './fs.js';

const HYBRID = `25 1 0:22 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs rw,mode=755
26 25 0:23 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
27 25 0:24 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct
28 25 0:25 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory
29 25 0:26 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids
30 25 0:27 / /sys/fs/cgroup/freezer rw - cgroup cgroup rw,freezer`;

describe('cgroup mount detection', () => {
  it('finds v1 controllers (co-mounted ones too) and the unified mount', () => {
    const m = parseCgroupMounts(HYBRID);
    assert.equal(m.v2, '/sys/fs/cgroup/unified');
    assert.equal(m.v1.get('cpu'), '/sys/fs/cgroup/cpu,cpuacct');
    assert.equal(m.v1.get('memory'), '/sys/fs/cgroup/memory');
    assert.equal(m.v1.get('freezer'), '/sys/fs/cgroup/freezer');
  });

  it('finds a pure v2 host', () => {
    const m = parseCgroupMounts('30 1 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate');
    assert.equal(m.v2, '/sys/fs/cgroup');
    assert.equal(m.v1.size, 0);
  });

  it('maps CPU shares onto v2 weights', () => {
    assert.equal(sharesToWeight(1024), 100);
    assert.equal(sharesToWeight(74), 7);
    assert.equal(sharesToWeight(1), 1);
  });
});

/** Gone or a zombie (dead, waiting for its parent to reap it). */
function isAlive(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

const parentBase = `lambent-test-${process.pid}`;
const root = process.getuid?.() === 0;
const mountinfo = fs.readFileSync('/proc/self/mountinfo', 'utf8');
const MiB = 1024 * 1024;
const limits: CgroupLimits = { memoryBytes: 64 * MiB, pidsMax: 16, cpuShares: 512 };

/** The host as it is, and (on hybrid hosts) the same host seen as plain v1 (no cgroup2 mount). */
const variants: Array<[string, string]> = [['as detected', mountinfo]];
if (/ - cgroup2 /.test(mountinfo) && / - cgroup .*memory/.test(mountinfo)) {
  variants.push([
    'forced v1',
    mountinfo
      .split('\n')
      .filter((l) => !l.includes(' - cgroup2 '))
      .join('\n'),
  ]);
}

for (const [variant, info] of variants) {
  const parent = `${parentBase}-${variant === 'as detected' ? 'a' : 'b'}`;
  const probe = root ? detectCgroups({ parent, mountinfo: info }) : undefined;
  const skip = !probe?.driver ? `needs root and cgroups (${probe?.missing.join('; ') ?? 'not root'})` : false;

  describe(`cgroup driver on this host, ${variant} (${probe?.driver?.flavor})`, { skip }, () => {
    const driver = probe?.driver;
    const live = new Set<ChildProcess>();
    let n = variant === 'as detected' ? 0 : 100;
    const fresh = (): Cgroup => {
      const cg = driver?.create(`t${n++}`, limits);
      assert.ok(cg);
      created.push(cg);
      return cg;
    };
    /** Runs `script` in sh after it joined the cgroup (so everything it forks is inside). */
    const run = (cg: Cgroup, script: string) => {
      const child = spawn('sh', ['-c', `for f; do echo 0 > "$f"; done; ${script}`, 'sh', ...cg.procsFiles], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      live.add(child);
      let out = '';
      child.stdout?.on('data', (d: Buffer) => {
        out += d;
      });
      child.stderr?.on('data', (d: Buffer) => {
        out += d;
      });
      const exit = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
        child.on('exit', (code, signal) => resolve({ code, signal })),
      );
      return { child, exit, output: () => out };
    };

    const created: Cgroup[] = [];
    after(async () => {
      for (const c of live) c.kill('SIGKILL');
      for (const cg of created) await cg.remove().catch(() => {});
      if (driver)
        await driver.reclaim(driver.owned().filter((c) => `${c.dataDirHash}-${c.ownerId}` === driver.owner));
      await driver?.sweepLocks(0);
      const mounts = parseCgroupMounts(fs.readFileSync('/proc/self/mountinfo', 'utf8'));
      for (const root of [...mounts.v1.values(), ...(mounts.v2 ? [mounts.v2] : [])]) {
        try {
          fs.rmdirSync(`${root}/${parent}`);
        } catch {}
      }
    });

    it('creates names exclusively (a name is a host-wide lock)', async () => {
      const cg = fresh();
      assert.equal(driver?.create(cg.name, limits), undefined);
      assert.equal(
        detectCgroups({ parent })?.driver?.create(cg.name, limits),
        undefined,
        'another driver sees the lock',
      );
      await cg.remove();
      const again = driver?.create(cg.name, limits);
      assert.ok(again);
      await again.remove();
    });

    it('OOM-kills a process over the memory limit and counts it', async () => {
      const cg = fresh();
      const p = run(cg, `exec perl -e '$x = "a" x (256 * 1024 * 1024); print "survived"'`);
      const exit = await p.exit;
      assert.equal(exit.signal, 'SIGKILL');
      assert.doesNotMatch(p.output(), /survived/);
      assert.equal(cg.oomKills(), 1);
      assert.ok(cg.memoryPeakBytes() > 60 * MiB, `peak ${cg.memoryPeakBytes()}`);
      await cg.remove();
    });

    it('tracks peak memory and resets it', async () => {
      const cg = fresh();
      const p = run(
        cg,
        `exec perl -e '$| = 1; my $x = "a"; $x x= 40 * 1024 * 1024; undef $x; print "freed\\n"; sleep 30'`,
      );
      await waitUntil(() => p.output().includes('freed'), 'the allocation');
      assert.ok(cg.memoryPeakBytes() > 40 * MiB, `peak ${cg.memoryPeakBytes()}`);
      cg.resetMemoryPeak();
      assert.ok(cg.memoryPeakBytes() < 20 * MiB, `peak after reset ${cg.memoryPeakBytes()}`);
      await cg.killAll();
      await p.exit;
      await cg.remove();
    });

    it('stops forks at pids.max', async () => {
      const cg = fresh();
      const p = run(cg, 'i=0; while [ $i -lt 40 ]; do sleep 30 & i=$((i+1)); done; wait');
      await waitUntil(() => /fork|Resource temporarily unavailable/i.test(p.output()), 'fork to fail');
      assert.ok(cg.pids().length <= limits.pidsMax, `${cg.pids().length} processes`);
      await cg.killAll();
      assert.equal(cg.populated(), false);
      await cg.remove();
    });

    it('freezes, thaws, and kills a frozen cgroup with all its descendants', async () => {
      const cg = fresh();
      assert.ok(cg.canFreeze);
      const p = run(cg, 'sleep 30 & i=0; while :; do i=$((i+1)); echo $i; sleep 0.005; done');
      await waitUntil(() => p.output().length > 0, 'output');
      await cg.freeze();
      const frozenAt = p.output().length;
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(p.output().length, frozenAt, 'no progress while frozen');
      cg.thaw();
      await waitUntil(() => p.output().length > frozenAt, 'progress after thaw');
      await cg.freeze();
      const pids = cg.pids();
      assert.ok(pids.length >= 2);
      const t0 = performance.now();
      await cg.killAll();
      const killMs = performance.now() - t0;
      assert.equal(cg.populated(), false);
      assert.equal((await p.exit).signal, 'SIGKILL');
      for (const pid of pids) assert.ok(!isAlive(pid), `pid ${pid} survived`);
      assert.ok(killMs < 1000, `kill took ${killMs} ms`);
      await cg.remove();
    });

    it('names each cgroup after its owner, and reclaims the cgroups of a dead owner with their processes', async () => {
      const cg = fresh();
      assert.match(cg.procsFiles[0] ?? '', new RegExp(`/${driver?.owner}-${cg.name}/cgroup.procs$`));
      assert.equal(driver?.owned().find((c) => c.name === cg.name)?.ownerAlive, true);
      // Another live process's (this test's parent): never reclaimed.
      const otherId = `${process.ppid}.${processStartTicks(process.ppid)}`;
      const other = detectCgroups({ parent, mountinfo: info, owner: `fedcba987654-${otherId}` }).driver;
      const live = other?.create(`live${n++}`, limits);
      assert.ok(live);
      const theirs = driver?.owned().filter((c) => c.dataDirHash === 'fedcba987654') ?? [];
      assert.equal(theirs.length, 1);
      assert.equal(await driver?.reclaim(theirs), 0, 'a live owner is never reclaimed');
      await live.remove();
      // A dead owner's: a process (frozen, as kill -9 leaves a frozen sandbox) in a cgroup named after pid 1 with another start time.
      const dead = detectCgroups({ parent, mountinfo: info, owner: '0123456789ab-1.1' }).driver;
      const stale = dead?.create(`stale${n++}`, limits);
      assert.ok(dead && stale);
      const p = run(stale, 'sleep 60');
      await waitUntil(() => stale.pids().length > 0, 'the process to join');
      await stale.freeze();
      const found = driver?.owned().filter((c) => c.dataDirHash === '0123456789ab') ?? [];
      assert.equal(found.length, 1);
      assert.equal(found[0]?.ownerAlive, false);
      assert.ok((found[0]?.pids.length ?? 0) > 0);
      assert.equal(await driver?.reclaim(found), 1);
      assert.equal((await p.exit).signal, 'SIGKILL');
      assert.equal(driver?.owned().filter((c) => c.dataDirHash === '0123456789ab').length, 0);
      assert.ok(driver?.create(stale.name, limits), 'its lock name is free again');
    });

    it('sweeps lock names that no cgroup uses', async () => {
      const lockOnly = `u${900_000 + n++}`;
      const cg = driver?.create(lockOnly, limits);
      assert.ok(cg);
      assert.equal(await driver?.sweepLocks(0), 0, 'a lock in use stays');
      for (const f of cg.procsFiles) fs.rmdirSync(path.dirname(f));
      assert.equal(await driver?.sweepLocks(60_000), 0, 'a young one stays');
      assert.equal(await driver?.sweepLocks(0), 1);
      assert.ok(driver?.create(lockOnly, limits));
    });
  });
}
