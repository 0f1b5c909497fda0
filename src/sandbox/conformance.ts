/**
 * The one conformance suite every Sandbox implementation passes. Call it from a test file
 * with a provider factory; `containment` adds the hostile-process tests that only an
 * isolating implementation can pass. Commands are sh/node one-liners; the suite waits for
 * conditions, never for fixed times, except to check that a frozen sandbox makes no progress.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { SECCOMP_ARCHES } from './linux/seccomp.js';
import type { Sandbox, SandboxExit, SandboxProvider, SandboxSpec } from './sandbox.js';
import { SandboxStartError } from './sandbox.js';

export interface ConformanceOptions {
  name: string;
  provider(dataDir: string): Promise<SandboxProvider>;
  /** Skip the suite, with the reason. */
  skip?: string | false;
  /** Hostile-process containment tests (isolating implementations only). */
  containment: boolean;
  /**
   * Sandboxes come from a pool of pre-started ones: their process already runs when start()
   * is called, so a command that cannot be executed is its exit (127), not a start failure.
   */
  pooled?: boolean;
  /** Runs before each test (e.g. waits for a pool to be full). */
  beforeEach?: () => Promise<void>;
}

const MiB = 1024 * 1024;
const TEST_TIMEOUT = { timeout: 20_000 };

interface Running {
  sandbox: Sandbox;
  output(stream?: 'stdout' | 'stderr'): string;
  /** Resolves once the output (stdout + stderr) matches. */
  waitFor(pattern: RegExp | string): Promise<void>;
}

export function sandboxConformance(options: ConformanceOptions): void {
  describe(`Sandbox conformance: ${options.name}`, { skip: options.skip ?? false }, () => {
    let provider: SandboxProvider;
    let base: string;
    let dataDir: string;
    let codeDir: string;
    let otherCodeDir: string;
    let runtimeDir: string;
    let langDir: string;
    let tmpCount = 0;
    const live = new Set<Sandbox>();

    before(async () => {
      base = fs.mkdtempSync(path.join(os.tmpdir(), 'lambent-sandbox-'));
      dataDir = path.join(base, 'data');
      codeDir = path.join(base, 'code-a');
      otherCodeDir = path.join(base, 'code-b');
      runtimeDir = path.join(base, 'runtime');
      // The language the commands use (/var/lang): the host's node and python3, linked.
      langDir = path.join(base, 'lang');
      for (const d of [dataDir, codeDir, otherCodeDir, runtimeDir, path.join(langDir, 'bin')])
        fs.mkdirSync(d, { recursive: true });
      fs.symlinkSync(fs.realpathSync(process.execPath), path.join(langDir, 'bin', 'node'));
      if (fs.existsSync('/usr/bin/python3'))
        fs.symlinkSync('/usr/bin/python3', path.join(langDir, 'bin', 'python3'));
      fs.writeFileSync(path.join(codeDir, 'handler.txt'), 'code-a\n');
      fs.writeFileSync(path.join(otherCodeDir, 'secret.txt'), 'SECRET-OF-B\n', { mode: 0o644 });
      fs.writeFileSync(path.join(dataDir, 'platform-secret.txt'), 'SECRET-OF-PLATFORM\n', { mode: 0o644 });
      provider = await options.provider(dataDir);
    });

    after(async () => {
      await Promise.all([...live].map((s) => s.kill()));
      await provider?.close();
      fs.rmSync(base, { recursive: true, force: true });
    });

    beforeEach(async () => {
      await options.beforeEach?.();
    });

    const newTmpDir = () => path.join(base, `tmp-${tmpCount++}`);

    function spec(command: string[], over: Partial<SandboxSpec> = {}): SandboxSpec {
      const dirs = { codeDir, runtimeDir, langDir, tmpDir: over.tmpDir ?? newTmpDir() };
      const layout = provider.layout(dirs);
      return {
        id: `conformance-${Math.random().toString(16).slice(2, 10)}`,
        command,
        env: { PATH: `${layout.langBin}:/usr/local/bin:/usr/bin:/bin`, LANG: 'C.UTF-8' },
        ...dirs,
        tmpSizeMb: 16,
        memoryMb: 256,
        outbound: true,
        onOutput: () => {},
        ...over,
      };
    }

    /** Creates and starts a sandbox, capturing its output. */
    async function launch(command: string[], over: Partial<SandboxSpec> = {}): Promise<Running> {
      const out = { stdout: '', stderr: '' };
      const waiters = new Set<() => void>();
      const s = spec(command, {
        ...over,
        onOutput: (stream, chunk) => {
          out[stream] += chunk.toString('utf8');
          for (const w of waiters) w();
        },
      });
      const sandbox = provider.create(s);
      live.add(sandbox);
      void sandbox.exited.then(() => {
        live.delete(sandbox);
        for (const w of waiters) w();
      });
      await sandbox.start();
      const output = (stream?: 'stdout' | 'stderr') => (stream ? out[stream] : out.stdout + out.stderr);
      const waitFor = (pattern: RegExp | string) =>
        new Promise<void>((resolve, reject) => {
          const matches = () =>
            typeof pattern === 'string' ? output().includes(pattern) : pattern.test(output());
          const check = () => {
            if (matches()) {
              waiters.delete(check);
              clearTimeout(timer);
              resolve();
            } else if (sandbox.state === 'exited') {
              waiters.delete(check);
              clearTimeout(timer);
              reject(new Error(`exited before printing ${pattern}; output: ${output().slice(-2000)}`));
            }
          };
          const timer = setTimeout(() => {
            waiters.delete(check);
            reject(new Error(`timed out waiting for ${pattern}; output: ${output().slice(-2000)}`));
          }, 15_000);
          waiters.add(check);
          check();
        });
      return { sandbox, output, waitFor };
    }

    const sh = (script: string, over: Partial<SandboxSpec> = {}) => launch(['sh', '-c', script], over);

    it('runs a command and reports its exit code', TEST_TIMEOUT, async () => {
      const r = await sh('echo hello; exit 3');
      const exit = await r.sandbox.exited;
      assert.deepEqual(exit, { code: 3, signal: null, oomKilled: false } satisfies SandboxExit);
      assert.equal(r.output('stdout'), 'hello\n');
      assert.equal(r.sandbox.state, 'exited');
    });

    it('passes exactly the given environment', TEST_TIMEOUT, async () => {
      const layout = provider.layout({ codeDir, runtimeDir, langDir, tmpDir: newTmpDir() });
      const env = {
        PATH: `${layout.langBin}:/usr/bin:/bin`,
        WITH_SPACES: 'a b=c',
        EMPTY: '',
        LANG: 'C.UTF-8',
      };
      const r = await launch(['env'], { env });
      await r.sandbox.exited;
      const seen = Object.fromEntries(
        r
          .output('stdout')
          .trimEnd()
          .split('\n')
          .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
      );
      assert.deepEqual(seen, env);
    });

    it('delivers output while the command is still running', TEST_TIMEOUT, async () => {
      const r = await sh('echo first; exec sleep 30');
      await r.waitFor('first');
      assert.equal(r.sandbox.state, 'running');
      const exit = await r.sandbox.kill();
      assert.equal(exit.signal, 'SIGKILL');
    });

    it('reports a command that cannot be executed as an exec failure', {
      ...TEST_TIMEOUT,
      skip: options.pooled ? 'pooled: the process already runs at start()' : false,
    }, async () => {
      const layout = provider.layout({ codeDir, runtimeDir, langDir, tmpDir: newTmpDir() });
      const sandbox = provider.create(spec([`${layout.task}/no-such-bootstrap`]));
      live.add(sandbox);
      await assert.rejects(sandbox.start(), (err: unknown) => {
        assert.ok(err instanceof SandboxStartError);
        assert.equal(err.reason, 'exec');
        assert.equal(err.errno, 'ENOENT');
        return true;
      });
      const exit = await sandbox.exited;
      assert.equal(exit.code, 127);
    });

    it('freeze stops progress, thaw resumes it', TEST_TIMEOUT, async () => {
      const r = await sh('i=0; while :; do i=$((i+1)); echo $i; sleep 0.01; done');
      await r.waitFor('\n3\n');
      await r.sandbox.freeze();
      assert.equal(r.sandbox.state, 'frozen');
      const frozenAt = r.output().length;
      await new Promise((resolve) => setTimeout(resolve, 150));
      assert.equal(r.output().length, frozenAt, 'output while frozen');
      await r.sandbox.thaw();
      assert.equal(r.sandbox.state, 'running');
      await r.waitFor(new RegExp(`^[\\s\\S]{${frozenAt + 1},}`));
      await r.sandbox.kill();
    });

    it('kills a frozen sandbox', TEST_TIMEOUT, async () => {
      const r = await sh('echo up; while :; do sleep 0.01; done');
      await r.waitFor('up');
      await r.sandbox.freeze();
      const exit = await r.sandbox.kill();
      assert.equal(exit.signal, 'SIGKILL');
      assert.equal(r.sandbox.state, 'exited');
    });

    it('kill removes every descendant', TEST_TIMEOUT, async () => {
      const r = await sh('sleep 987651 & (sleep 987652 &) ; echo started; wait');
      await r.waitFor('started');
      await r.sandbox.kill();
      await r.sandbox.kill(); // idempotent
      assert.deepEqual(hostProcessesWith(['sleep', '98765']), []);
    });

    it('the command ending takes its background processes with it', TEST_TIMEOUT, async () => {
      const r = await sh('sleep 987653 & echo bg');
      const exit = await r.sandbox.exited;
      assert.equal(exit.code, 0);
      assert.deepEqual(hostProcessesWith(['sleep', '987653']), []);
    });

    it('delivers signals to the command', TEST_TIMEOUT, async () => {
      const r = await sh('trap "echo got-term; exit 7" TERM; echo ready; while :; do sleep 0.02; done');
      await r.waitFor('ready');
      r.sandbox.signal('SIGTERM');
      const exit = await r.sandbox.exited;
      assert.equal(exit.code, 7);
      assert.match(r.output(), /got-term/);
    });

    it('can be killed before it starts', TEST_TIMEOUT, async () => {
      const sandbox = provider.create(spec(['sh', '-c', 'echo never']));
      const exit = await sandbox.kill();
      assert.equal(exit.signal, 'SIGKILL');
      await assert.rejects(sandbox.start());
    });

    it('reports peak memory and memory in use', TEST_TIMEOUT, async () => {
      const r = await launch(
        [
          'node',
          '-e',
          'globalThis.b = Buffer.alloc(64 << 20, 1); console.log("allocated"); setInterval(() => {}, 1e3)',
        ],
        { memoryMb: 512 },
      );
      await r.waitFor('allocated');
      assert.ok(r.sandbox.maxMemoryUsedBytes() >= 64 * MiB, `peak ${r.sandbox.maxMemoryUsedBytes()}`);
      const used = r.sandbox.memoryUsedBytes();
      assert.ok(used >= 64 * MiB && used <= 512 * MiB, `in use ${used}`);
      r.sandbox.resetMaxMemory();
      assert.ok(r.sandbox.maxMemoryUsedBytes() > 0);
      await r.sandbox.kill();
      assert.ok(r.sandbox.maxMemoryUsedBytes() >= 64 * MiB, 'kept after exit');
      assert.equal(r.sandbox.memoryUsedBytes(), 0, 'nothing in use after exit');
    });

    it('keeps /tmp for the next sandbox of the same tmpDir', TEST_TIMEOUT, async () => {
      const tmpDir = newTmpDir();
      const tmp = provider.layout({ codeDir, runtimeDir, langDir, tmpDir }).tmp;
      const first = await sh(`echo kept > ${tmp}/state && mkdir -p ${tmp}/d && echo x > ${tmp}/d/f`, {
        tmpDir,
      });
      assert.equal((await first.sandbox.exited).code, 0, first.output());
      const second = await sh(`cat ${tmp}/state && echo y >> ${tmp}/d/f && rm ${tmp}/state`, { tmpDir });
      assert.equal((await second.sandbox.exited).code, 0, second.output());
      assert.equal(second.output('stdout'), 'kept\n');
      await provider.releaseTmp(tmpDir);
    });

    if (!options.containment) return;

    it('runs as its own unprivileged uid, unique among live sandboxes', TEST_TIMEOUT, async () => {
      const rs = await Promise.all([0, 1, 2].map(() => sh('id -u; id -G; echo done; exec sleep 30')));
      for (const r of rs) await r.waitFor('done');
      const uids = rs.map((r) => r.sandbox.uid);
      assert.equal(new Set(uids).size, 3);
      for (const r of rs) {
        assert.notEqual(r.sandbox.uid, 0);
        assert.equal(r.output('stdout'), `${r.sandbox.uid}\n${r.sandbox.uid}\ndone\n`);
      }
      await Promise.all(rs.map((r) => r.sandbox.kill()));
    });

    it('is OOM-killed past its memory limit and the host carries on', TEST_TIMEOUT, async () => {
      const r = await launch(
        ['node', '-e', 'const a = []; for (;;) a.push(Buffer.alloc(16 << 20, 1)); console.log("survived")'],
        { memoryMb: 128 },
      );
      const exit = await r.sandbox.exited;
      assert.deepEqual(exit, { code: null, signal: 'SIGKILL', oomKilled: true });
      assert.doesNotMatch(r.output(), /survived/);
      const next = await sh('echo fine');
      assert.equal((await next.sandbox.exited).code, 0);
    });

    it('stops a fork bomb at pids.max and kill cleans it up', TEST_TIMEOUT, async () => {
      const pidsMax = 48;
      const r = await sh('bomb() { bomb | bomb & }; bomb; echo armed; exec sleep 60', { pidsMax });
      await r.waitFor(/fork|Resource temporarily unavailable/i);
      const owned = () => hostProcessesOwnedBy(r.sandbox.uid).length;
      assert.ok(owned() <= pidsMax, `${owned()} processes`);
      const t0 = performance.now();
      await r.sandbox.kill();
      // The cgroup is killed when kill() resolves; the last of ~48 processes may still be
      // on its way out of the kernel for a moment on a busy machine: all gone within 2 s.
      while (owned() > 0 && performance.now() - t0 < 2000) await new Promise((res) => setTimeout(res, 10));
      const killMs = performance.now() - t0;
      assert.equal(owned(), 0, `${owned()} processes left ${killMs} ms after kill`);
      assert.ok(killMs < 2000, `kill took ${killMs} ms`);
    });

    it('fills /tmp only up to its cap: ENOSPC inside, the host disk untouched', TEST_TIMEOUT, async () => {
      const tmpDir = newTmpDir();
      const freeBefore = freeBytes(base);
      const r = await sh('dd if=/dev/zero of=/tmp/fill bs=1M count=64 2>&1; echo "dd=$?"; df -k /tmp', {
        tmpDir,
        tmpSizeMb: 8,
      });
      await r.sandbox.exited;
      assert.match(r.output(), /No space left on device/);
      assert.match(r.output(), /dd=1/);
      assert.ok(fs.statSync(path.join(tmpDir, 'fill')).size <= 9 * MiB);
      assert.ok(freeBefore - freeBytes(base) < 24 * MiB, 'host disk usage grew past the cap');
      await provider.releaseTmp(tmpDir);
    });

    it(
      "cannot see other functions' code, the platform's data or the host's files",
      TEST_TIMEOUT,
      async () => {
        const other = await sh('echo b-up; exec sleep 30', { codeDir: otherCodeDir });
        await other.waitFor('b-up');
        const targets = [
          path.join(otherCodeDir, 'secret.txt'),
          path.join(dataDir, 'platform-secret.txt'),
          `/proc/1/root${path.join(otherCodeDir, 'secret.txt')}`,
          '/etc/shadow',
        ];
        const r = await sh(
          `for t in ${targets.join(' ')}; do cat $t >/dev/null 2>&1 || echo "denied $t"; done; ls /var/task; echo checked`,
        );
        await r.waitFor('checked');
        assert.doesNotMatch(r.output(), /SECRET-OF/);
        for (const t of targets) assert.ok(r.output().includes(`denied ${t}\n`), `${t} is readable`);
        assert.equal(r.output().match(/handler\.txt/g)?.length, 1, 'its own code is visible');
        await other.sandbox.kill();
      },
    );

    it('sees only its own processes in /proc', TEST_TIMEOUT, async () => {
      const r = await sh(
        'sleep 30 & for p in /proc/[0-9]*; do echo "$p $(tr "\\0" " " < $p/cmdline)"; done; echo listed',
      );
      await r.waitFor('listed');
      const lines = r.output('stdout').trim().split('\n').slice(0, -1);
      assert.ok(lines.length <= 6, lines.join('\n'));
      for (const l of lines) assert.ok(Number(l.split(' ')[0]?.slice('/proc/'.length)) < 50, l);
      assert.doesNotMatch(r.output(), new RegExp(String(process.pid)));
      assert.doesNotMatch(r.output(), /--test|launcher-/);
      await r.sandbox.kill();
    });

    it(
      'refuses new namespaces, mounts, keyrings, bpf, perf and userfaultfd: every process under the seccomp filter',
      TEST_TIMEOUT,
      async () => {
        const numbers = SECCOMP_ARCHES[process.arch]?.numbers;
        assert.ok(numbers, `no seccomp table for ${process.arch}`);
        // With outbound access (a pooled sandbox where there is a pool), and without (plus the relay).
        for (const over of [{ outbound: true }, { outbound: false, loopbackPorts: [9] }]) {
          const r = await launch(['python3', '-c', SECCOMP_PROBE, JSON.stringify(numbers)], over);
          await r.waitFor('probed');
          const got = JSON.parse(r.output('stdout').split('\n')[0] ?? '{}') as Record<string, string>;
          assert.deepEqual(
            got,
            {
              unshareUser: 'EPERM',
              unshareNet: 'EPERM',
              unshareMount: 'EPERM',
              unshareFiles: 'ok',
              cloneUser: 'EPERM',
              clone3: 'ENOSYS',
              setns: 'EPERM',
              mountTmpfs: 'EPERM',
              keyctl: 'EPERM',
              addKey: 'EPERM',
              bpf: 'EPERM',
              perfEventOpen: 'EPERM',
              userfaultfd: 'EPERM',
              ioUringSetup: 'EPERM',
              fork: 'ok',
              thread: 'ok',
              seccompMode: '2',
            },
            JSON.stringify(over),
          );
          const owned = hostProcessesOwnedBy(r.sandbox.uid);
          assert.ok(owned.length >= (over.outbound ? 2 : 3), `${owned.length} processes`); // pid 1, python (, relay)
          for (const pid of owned)
            assert.match(fs.readFileSync(`/proc/${pid}/status`, 'utf8'), /^Seccomp:\s+2$/m, `pid ${pid}`);
          await r.sandbox.kill();
        }
      },
    );

    it('has read-only /var/task, /opt and /var/runtime', TEST_TIMEOUT, async () => {
      const r = await sh(
        'for d in /var/task /opt /var/runtime /usr /; do touch $d/x 2>&1; done; touch /tmp/ok && echo tmp-writable',
        { layersDir: otherCodeDir },
      );
      await r.sandbox.exited;
      assert.equal(r.output().match(/Read-only file system/g)?.length, 5, r.output());
      assert.match(r.output(), /tmp-writable/);
    });

    it('reaches only the listed host loopback ports, as its own uid; nothing of the host itself', {
      // Two sandboxes and several 2 s probes of dropped addresses: room for a busy machine.
      timeout: 60_000,
    }, async () => {
      const peers: Array<number | undefined> = [];
      const allowed = net.createServer((sock) => {
        peers.push(loopbackPeerUid(sock));
        sock.end('hello from host');
      });
      const other = net.createServer((sock) => sock.end('should not be reachable'));
      // On every host address: the sandbox must not reach it by the host's own addresses either.
      const wide = net.createServer((sock) => sock.end('should not be reachable'));
      await Promise.all([
        ...[allowed, other].map((s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', r))),
        new Promise<void>((r) => wide.listen(0, '0.0.0.0', r)),
      ]);
      const port = (s: net.Server) => (s.address() as net.AddressInfo).port;
      // The host's own addresses, not the host ends of other sandboxes' veth pairs (`lbn…`,
      // network.ts): those come and go with concurrent sandboxes; lambda-network.test.ts
      // checks that sandboxes cannot reach each other.
      const hostIps = Object.entries(os.networkInterfaces())
        .filter(([name]) => !name.startsWith('lbn'))
        .flatMap(([, addrs]) => addrs ?? [])
        .filter((a) => a.family === 'IPv4' && !a.internal)
        .map((a) => a.address);
      const probe = (p: number, host = '127.0.0.1') =>
        `await new Promise((r) => { const s = require("net").connect(${p}, "${host}"); let d = ""; ` +
        `s.on("data", (c) => d += c); s.on("end", () => { console.log("${host}", ${p}, d); r(); }); ` +
        `s.on("error", (e) => { console.log("${host}", ${p}, e.code); r(); }); s.setTimeout(2000, () => { console.log("${host}", ${p}, "timeout"); s.destroy(); r(); }); });`;
      const hostProbes = hostIps.map((ip) => probe(port(wide), ip)).join(' ');
      // An abstract unix socket of the host's (they belong to a network namespace).
      const abstract = net.createServer((sock) => sock.end('should not be reachable'));
      const abstractName = `lambent-conformance-${process.pid}-${Date.now()}`;
      await new Promise<void>((r) => abstract.listen(`\0${abstractName}`, r));
      const abstractProbe =
        `await new Promise((r) => { const s = require("net").connect("\\0${abstractName}"); ` +
        `s.on("data", () => { console.log("abstract reached"); }); s.on("error", (e) => { console.log("abstract", e.code); r(); }); s.on("end", r); });`;
      try {
        const isolated = await launch(
          [
            'node',
            '-e',
            `(async () => { ${probe(port(allowed))} ${probe(port(other))} ${probe(53, '192.0.2.1')} })()`,
          ],
          { outbound: false, loopbackPorts: [port(allowed)] },
        );
        await isolated.sandbox.exited;
        const out = isolated.output();
        assert.match(out, new RegExp(`${port(allowed)} hello from host`));
        assert.match(out, new RegExp(`${port(other)} ECONNREFUSED`));
        assert.match(out, /53 (ENETUNREACH|EHOSTUNREACH|timeout)/);
        assert.equal(peers[0], isolated.sandbox.uid, 'peer uid seen through the relay');

        const open = await launch(
          [
            'node',
            '-e',
            `(async () => { ${probe(port(allowed))} ${probe(port(other))} ${hostProbes} ${abstractProbe} })()`,
          ],
          { loopbackPorts: [port(allowed)] },
        );
        await open.sandbox.exited;
        const o = open.output();
        assert.match(o, /hello from host/);
        assert.equal(peers[1], open.sandbox.uid, 'the peer is the sandbox uid');
        if (provider.privateNetwork?.(true)) {
          assert.match(o, new RegExp(`${port(other)} ECONNREFUSED`), o);
          // Dropped (timeout) or without a route (another sandbox's veth, gone meanwhile): never reached.
          for (const ip of hostIps)
            assert.match(o, new RegExp(`${ip} ${port(wide)} (timeout|ENETUNREACH|EHOSTUNREACH)`), o);
          assert.match(o, /abstract ECONNREFUSED/, o);
        }
      } finally {
        allowed.close();
        other.close();
        wide.close();
        abstract.close();
      }
    });
  });
}

/**
 * Python, given the syscall numbers (seccomp.ts): one JSON line of what each call answered,
 * `probed`, then it waits to be killed (the host checks its processes meanwhile).
 */
const SECCOMP_PROBE = `
import ctypes, errno, json, os, sys, threading, time
n = json.loads(sys.argv[1])
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
def call(name, *args):
    r = libc.syscall(ctypes.c_long(n[name]), *[ctypes.c_long(a) if isinstance(a, int) else a for a in args])
    if r == 0 and name == 'clone':
        os._exit(0)
    if r > 0 and name == 'clone':
        os.waitpid(r, 0)
    return 'ok' if r >= 0 else errno.errorcode.get(ctypes.get_errno(), str(ctypes.get_errno()))
out = {}
out['unshareUser'] = call('unshare', 0x10000000)
out['unshareNet'] = call('unshare', 0x40000000)
out['unshareMount'] = call('unshare', 0x00020000)
out['unshareFiles'] = call('unshare', 0x400)
out['cloneUser'] = call('clone', 0x10000000 | 17, 0, 0, 0, 0)
out['clone3'] = call('clone3', 0, 0)
out['setns'] = call('setns', 0, 0)
out['mountTmpfs'] = call('mount', b'none', b'/tmp', b'tmpfs', 0, 0)
out['keyctl'] = call('keyctl', 0, -3, 0)
out['addKey'] = call('add_key', b'user', b'k', b'v', 1, -3)
out['bpf'] = call('bpf', 0, 0, 0)
out['perfEventOpen'] = call('perf_event_open', 0, 0, -1, -1, 0)
out['userfaultfd'] = call('userfaultfd', 0)
out['ioUringSetup'] = call('io_uring_setup', 1, 0)
pid = os.fork()
if pid == 0:
    os._exit(7)
out['fork'] = 'ok' if os.WEXITSTATUS(os.waitpid(pid, 0)[1]) == 7 else 'failed'
seen = []
t = threading.Thread(target=lambda: seen.append(1))
t.start(); t.join()
out['thread'] = 'ok' if seen else 'failed'
out['seccompMode'] = [l.split()[1] for l in open('/proc/self/status') if l.startswith('Seccomp:')][0]
print(json.dumps(out))
print('probed', flush=True)
time.sleep(30)
`;

/** Host processes whose command line contains all `parts` (Linux /proc; elsewhere: not checked). */
function hostProcessesWith(parts: string[]): string[] {
  const found: string[] = [];
  if (!fs.existsSync('/proc/self/cmdline')) return found;
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
      if (/^State:\s+Z/m.test(status)) continue;
      const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
      if (parts.every((p) => cmdline.includes(p))) found.push(`${pid} ${cmdline}`);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

function hostProcessesOwnedBy(uid: number): number[] {
  const found: number[] = [];
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
      if (/^State:\s+Z/m.test(status)) continue;
      if (new RegExp(`^Uid:\\s+${uid}\\s`, 'm').test(status)) found.push(Number(pid));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

function freeBytes(dir: string): number {
  const s = fs.statfsSync(dir);
  return s.bavail * s.bsize;
}

/** Owner uid of the peer of a loopback IPv4 connection, from /proc/net/tcp. */
function loopbackPeerUid(sock: net.Socket): number | undefined {
  const hex = (port: number | undefined) =>
    `0100007F:${(port ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
  const local = hex(sock.remotePort);
  const remote = hex(sock.localPort);
  for (const line of fs.readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[1] === local && f[2] === remote) return Number(f[7]);
  }
  return undefined;
}
