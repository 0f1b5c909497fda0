/**
 * Nothing left behind: `lambent up` killed with -9, restarted on the same data dir (which
 * reclaims the mounts, loop devices, cgroups and processes of the dead run before serving), then
 * stopped with SIGTERM or SIGINT sent to its whole process group (a terminal's Ctrl-C, most
 * supervisors): no /tmp volume, loop device, cgroup or process of the data dir is left, and the
 * pooled Python runtime prints no KeyboardInterrupt traceback. Then `lambent doctor` on a
 * synthetic leftover. Only this test's data dirs are looked at: other servers run beside it.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { CreateFunctionCommand, InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { dataDirHash, ownerTag } from '../src/sandbox/cgroups/cgroup.js';
import { detectCgroups } from '../src/sandbox/cgroups/driver.js';
import { LOCK_FILE, processStartTicks, selfOwnerId } from '../src/shared/data-dir-lock.js';
import { exited, repoRoot } from './support/cli.js';
import { deployNode, TEST_ROLE } from './support/functions.js';
import { active } from './support/wait.js';
import { zipOf } from './support/zips.js';

const root = process.platform === 'linux' && process.geteuid?.() === 0;
const driver = root ? detectCgroups().driver : undefined;
const skip = driver ? false : 'needs root and cgroups (Linux sandboxes)';
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

const dirs: string[] = [];
const servers = new Set<ChildProcess>();
after(async () => {
  // A failed test leaves its server running: end it (its leftovers are then cleaned below).
  for (const child of servers) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    process.kill(-(child.pid as number), 'SIGKILL');
    await exited(child);
  }
  for (const d of dirs) {
    // A failed test may have left something: never leave it to the next run.
    if (driver && JSON.stringify(countsOf(d)) !== JSON.stringify(nothing))
      spawnSync(process.execPath, [cliPath(), 'doctor', '--clean', '--data-dir', d], { stdio: 'ignore' });
    fs.rmSync(d, { recursive: true, force: true });
  }
});
const tmp = (name: string) => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `lambent-${name}-`));
  dirs.push(d);
  return d;
};
const cliPath = () => path.join(repoRoot(), 'bin', 'lambent.js');

/** `lambent up` as the leader of its own process group, so a signal can go to the whole group. */
async function up(dataDir: string): Promise<{ child: ChildProcess; url: string; stderr: () => string }> {
  const child = spawn(process.execPath, [cliPath(), 'up', '--port', '0', '--data-dir', dataDir], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  servers.add(child);
  let out = '';
  let err = '';
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`lambent up did not get ready: ${err}`)), 60_000);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /Lambent ready on (http:\/\/\S+)/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`lambent up exited with ${code}: ${err}`));
    });
  });
  return { child, url, stderr: () => err };
}

interface Counts {
  mounts: string[];
  loops: string[];
  cgroups: string[];
  processes: number[];
}

/** What of this data dir exists on the host: mounts under it, loop devices backed by files in it, its cgroups and their processes, its launchers. */
function countsOf(dataDir: string): Counts {
  const dir = fs.realpathSync(dataDir);
  const mounts = fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((p) => p.startsWith(`${dir}/`));
  const loops: string[] = [];
  for (const n of fs.readdirSync('/sys/block').filter((x) => x.startsWith('loop'))) {
    try {
      const backing = fs.readFileSync(`/sys/block/${n}/loop/backing_file`, 'utf8').trim();
      if (backing.startsWith(`${dir}/`)) loops.push(`/dev/${n} ${backing}`);
    } catch {
      // not attached
    }
  }
  const owned = (driver?.owned() ?? []).filter((c) => c.dataDirHash === dataDirHash(dir));
  const processes = new Set(owned.flatMap((c) => c.pids));
  for (const p of fs.readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      const cmd = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8');
      if (cmd.includes(`${dir}/sandbox/launcher-`) && processStartTicks(Number(p)) !== undefined)
        processes.add(Number(p));
    } catch {
      // gone
    }
  }
  return { mounts, loops, cgroups: owned.map((c) => c.dirName), processes: [...processes] };
}

const nothing: Counts = { mounts: [], loops: [], cgroups: [], processes: [] };

/** Waits until the data dir has nothing left (the kernel finishes lazy unmounts and exits soon after). */
async function settlesToNothing(dataDir: string): Promise<Counts> {
  let counts = countsOf(dataDir);
  for (const deadline = Date.now() + 20_000; Date.now() < deadline; counts = countsOf(dataDir)) {
    if (JSON.stringify(counts) === JSON.stringify(nothing)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return counts;
}

async function deployPython(lambda: LambdaClient, name: string): Promise<void> {
  await lambda.send(
    new CreateFunctionCommand({
      FunctionName: name,
      Runtime: 'python3.12',
      Handler: 'lambda_function.handler',
      Role: TEST_ROLE,
      Code: {
        ZipFile: await zipOf({
          'lambda_function.py':
            'def handler(event, context):\n    open("/tmp/x", "w").write("y")\n    return "py"\n',
        }),
      },
    }),
  );
  await active(lambda, name);
}

async function invokeOk(lambda: LambdaClient, name: string): Promise<string> {
  const res = await lambda.send(new InvokeCommand({ FunctionName: name }));
  assert.equal(res.FunctionError, undefined, Buffer.from(res.Payload ?? []).toString());
  return Buffer.from(res.Payload ?? []).toString();
}

/** Until the pools have booted their runtimes (a Python one waits in os.read for its function). */
async function poolsReady(url: string): Promise<void> {
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
    const health = (await (await fetch(`${url}/_lambent/health`)).json()) as {
      parts: { sandbox: { pools?: Array<{ name: string; ready: number; size: number }> } };
    };
    const pools = health.parts.sandbox.pools ?? [];
    if (pools.length > 0 && pools.every((p) => p.ready >= p.size)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the pools did not get ready');
}

describe('nothing left behind', { skip, timeout: 300_000 }, () => {
  test('kill -9, restart on the same data dir (all reclaimed), stop with SIGTERM to the process group (nothing left)', async (t) => {
    const dir = tmp('leftovers');
    let cli = await up(dir);
    let lambda = new LambdaClient({ endpoint: cli.url, region: 'us-east-1', credentials, maxAttempts: 1 });
    await deployNode(
      lambda,
      'left-node',
      'exports.handler = async () => { require("fs").writeFileSync("/tmp/x", "y"); return "node"; };',
    );
    await deployPython(lambda, 'left-python');
    assert.equal(await invokeOk(lambda, 'left-node'), '"node"');
    assert.equal(await invokeOk(lambda, 'left-python'), '"py"');
    lambda.destroy();
    const running = countsOf(dir);
    assert.ok(running.mounts.length >= 2, `the functions' /tmp volumes are mounted: ${running.mounts}`);
    assert.ok(running.loops.length >= 2, `on loop devices: ${running.loops}`);
    assert.ok(running.cgroups.length >= 2, `in cgroups: ${running.cgroups}`);

    // Idle environments are frozen (after freezeDelayMs): a frozen process cannot die of its
    // parent's death (PDEATHSIG) until thawed, so these survive the kill -9.
    for (const deadline = Date.now() + 30_000; !running.cgroups.some(frozen); ) {
      assert.ok(Date.now() < deadline, 'an idle environment gets frozen');
      await new Promise((r) => setTimeout(r, 50));
    }
    process.kill(cli.child.pid as number, 'SIGKILL');
    await exited(cli.child);
    const dead = countsOf(dir);
    // Usually some do (a frozen sandbox dies only once thawed); on a busy machine the one that
    // was frozen may have been thawed for a moment just then. What survives must be reclaimed.
    if (dead.processes.length === 0) t.diagnostic('no sandbox process outlived the kill -9 this time');
    assert.ok(
      dead.mounts.length >= 2 && dead.loops.length >= 2 && dead.cgroups.length >= 2,
      'kill -9 leaves them',
    );

    cli = await up(dir);
    const restarted = countsOf(dir);
    for (const m of dead.mounts) assert.ok(!restarted.mounts.includes(m), `${m} was reclaimed`);
    for (const l of dead.loops) assert.ok(!restarted.loops.includes(l), `${l} was reclaimed`);
    for (const c of dead.cgroups) assert.ok(!restarted.cgroups.includes(c), `${c} was reclaimed`);
    for (const p of dead.processes) assert.ok(!restarted.processes.includes(p), `process ${p} was reclaimed`);
    // A second server on the same data dir is refused, and reclaims nothing under the live one.
    const refused = spawnSync(process.execPath, [cliPath(), 'up', '--port', '0', '--data-dir', dir], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /is in use by another running Lambent \(pid \d+\)/);
    assert.deepEqual(
      countsOf(dir).cgroups.filter((c) => restarted.cgroups.includes(c)),
      restarted.cgroups,
    );
    lambda = new LambdaClient({ endpoint: cli.url, region: 'us-east-1', credentials, maxAttempts: 1 });
    assert.equal(await invokeOk(lambda, 'left-node'), '"node"');
    assert.equal(await invokeOk(lambda, 'left-python'), '"py"');
    lambda.destroy();

    process.kill(-(cli.child.pid as number), 'SIGTERM');
    assert.deepEqual(await exited(cli.child), { code: 0, signal: null });
    assert.deepEqual(await settlesToNothing(dir), nothing);
    assert.equal(fs.existsSync(path.join(dir, LOCK_FILE)), false, 'the lock file goes with the server');
  });

  test('Ctrl-C to the process group with the Python pool: quiet, nothing left', async () => {
    const dir = tmp('leftovers-int');
    const cli = await up(dir);
    const lambda = new LambdaClient({ endpoint: cli.url, region: 'us-east-1', credentials, maxAttempts: 1 });
    await deployPython(lambda, 'int-python');
    assert.equal(await invokeOk(lambda, 'int-python'), '"py"');
    lambda.destroy();
    await poolsReady(cli.url); // a pooled Python runtime blocks in os.read, where the traceback came from
    // No sandbox process shares the server's process group or session: a terminal's Ctrl-C never reaches them.
    const server = procStat(cli.child.pid as number);
    const sandboxPids = countsOf(dir).processes;
    assert.ok(sandboxPids.length >= 4, `sandbox processes: ${sandboxPids}`);
    for (const pid of sandboxPids) {
      const p = procStat(pid);
      if (!p) continue;
      assert.notEqual(p.pgid, server?.pgid, `${pid} (${p.comm}) is in the server's process group`);
      assert.notEqual(p.sid, server?.sid, `${pid} (${p.comm}) is in the server's session`);
    }
    // And the pooled Python runtime itself ends quietly on SIGINT.
    const pools = sandboxPids.filter((pid) => cmdline(pid).includes('pool.py'));
    assert.ok(pools.length >= 1, 'a pooled Python runtime runs');
    for (const pid of pools) process.kill(pid, 'SIGINT');
    for (const deadline = Date.now() + 20_000; pools.some((pid) => procStat(pid)); ) {
      assert.ok(Date.now() < deadline, 'the pooled runtime ends on SIGINT');
      await new Promise((r) => setTimeout(r, 50));
    }
    const closed = new Promise((resolve) => cli.child.once('close', resolve)); // stderr read to its end
    process.kill(-(cli.child.pid as number), 'SIGINT');
    assert.deepEqual(await exited(cli.child), { code: 0, signal: null });
    await closed;
    assert.doesNotMatch(cli.stderr(), /Traceback|KeyboardInterrupt/);
    assert.deepEqual(await settlesToNothing(dir), nothing);
  });

  test('lambent doctor lists what a dead run left, cleans it, and never touches a live owner', async () => {
    const dead = tmp('leftovers-doctor');
    const alive = tmp('leftovers-doctor-live');
    // A dead owner's data dir: a mounted /tmp volume, an attached loop device, a cgroup with a process.
    fs.writeFileSync(path.join(dead, LOCK_FILE), '1.1\n');
    fs.writeFileSync(path.join(alive, LOCK_FILE), `${selfOwnerId()}\n`);
    const volume = (dataDir: string, name: string, mountPoint?: string) => {
      const images = path.join(dataDir, 'sandbox', 'tmp-volumes');
      fs.mkdirSync(images, { recursive: true });
      const image = path.join(images, `${name}-4m.ext4`);
      fs.writeFileSync(image, Buffer.alloc(0));
      fs.truncateSync(image, 8 * 1024 * 1024);
      assert.equal(spawnSync('mkfs.ext4', ['-q', '-F', image]).status, 0);
      if (!mountPoint) {
        const r = spawnSync('losetup', ['-f', '--show', image], { encoding: 'utf8' });
        assert.equal(r.status, 0, r.stderr);
        return r.stdout.trim();
      }
      fs.mkdirSync(mountPoint, { recursive: true });
      const r = spawnSync('mount', ['-o', 'loop', image, mountPoint], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      return mountPoint;
    };
    volume(dead, 'a', path.join(dead, 'lambda', 'tmp', 'f', '1'));
    volume(dead, 'b');
    volume(alive, 'c', path.join(alive, 'lambda', 'tmp', 'g', '1'));
    const deadDriver = detectCgroups({ owner: ownerTag(dead, '1.1') }).driver;
    const cg = deadDriver?.create(`doctor-${process.pid}`, {
      memoryBytes: 64 << 20,
      pidsMax: 8,
      cpuShares: 64,
    });
    assert.ok(cg);
    const sleeper = spawn(
      'sh',
      ['-c', 'for f; do echo 0 > "$f"; done; exec sleep 120', 'sh', ...cg.procsFiles],
      {
        stdio: 'ignore',
      },
    );
    for (const deadline = Date.now() + 10_000; cg.pids().length === 0 && Date.now() < deadline; ) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(cg.pids().length, 1);
    const before = countsOf(dead);
    assert.deepEqual([before.mounts.length, before.loops.length, before.cgroups.length], [1, 2, 1]);

    const doctor = (...args: string[]) =>
      spawnSync(process.execPath, [cliPath(), 'doctor', ...args], { encoding: 'utf8', timeout: 60_000 });
    // Every run's leftovers on this machine (other servers may run beside this test): the dead
    // owner's three, not the live owner's volume.
    const listed = doctor();
    assert.doesNotMatch(listed.stdout, new RegExp(`${alive}/`));
    assert.match(listed.stdout, new RegExp(`mount ${dead}/lambda/tmp/f/1 \\(ext4 on /dev/loop\\d+`));
    assert.match(listed.stdout, /loop device \/dev\/loop\d+ backed by .*b-4m\.ext4 \(not mounted\)/);
    assert.match(listed.stdout, /cgroup [0-9a-f]{12}-1\.1-doctor-\d+ \(owner pid 1 gone, 1 processes\)/);

    const cleaned = doctor('--clean', '--data-dir', dead);
    assert.match(cleaned.stdout, /removed 3 of 3/);
    assert.equal((await exited(sleeper)).signal, 'SIGKILL');
    assert.deepEqual(countsOf(dead), nothing);
    assert.equal(countsOf(alive).mounts.length, 1, "a live owner's volume stays");
    spawnSync('umount', [path.join(alive, 'lambda', 'tmp', 'g', '1')]);
  });
});

function procStat(pid: number): { comm: string; pgid: number; sid: number } | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (f[0] === 'Z') return undefined;
    return {
      comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')),
      pgid: Number(f[2]),
      sid: Number(f[3]),
    };
  } catch {
    return undefined;
  }
}

function cmdline(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}

/** Whether a cgroup (by directory name under `lambent/`) is frozen, through v2 or the v1 freezer. */
function frozen(dirName: string): boolean {
  for (const file of [
    `/sys/fs/cgroup/unified/lambent/${dirName}/cgroup.events`,
    `/sys/fs/cgroup/lambent/${dirName}/cgroup.events`,
    `/sys/fs/cgroup/freezer/lambent/${dirName}/freezer.state`,
  ]) {
    try {
      const text = fs.readFileSync(file, 'utf8');
      if (/^frozen 1$/m.test(text) || text.startsWith('FROZEN')) return true;
    } catch {
      // not this layout
    }
  }
  return false;
}
