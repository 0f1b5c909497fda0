/**
 * Issue 10, items 6 and 8, through the API as a user would: functions try to leave their
 * sandbox through the kernel (user and network namespaces, mounts, keyrings, bpf, perf,
 * userfaultfd, io_uring). The seccomp filter refuses each with EPERM, the function itself
 * keeps working, and the platform keeps serving a bystander with normal latency.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  CreateFunctionCommand,
  InvokeCommand,
  type InvokeCommandOutput,
  type LambdaClient,
  type Runtime,
} from '@aws-sdk/client-lambda';
import { SECCOMP_ARCHES } from '../src/sandbox/linux/seccomp.js';
import { deployNode, TEST_ROLE } from './support/functions.js';
import { removeDataDir, startServer, type TestServer } from './support/server.js';
import { active } from './support/wait.js';
import { zipOf } from './support/zips.js';

const linux = process.platform === 'linux' && process.getuid?.() === 0;
const numbers = SECCOMP_ARCHES[process.arch]?.numbers;
const payload = (out: InvokeCommandOutput) => Buffer.from(out.Payload ?? new Uint8Array()).toString('utf8');

/** A minimal custom runtime in bash and curl, as AWS's custom-runtime tutorial writes one. */
const BOOTSTRAP = `#!/bin/sh
set -uo pipefail
source "$LAMBDA_TASK_ROOT/function.sh"
API="http://\${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"
while true; do
  HEADERS="$(mktemp)"
  EVENT="$(curl -sS -LD "$HEADERS" "$API/invocation/next")"
  ID=$(grep -Fi Lambda-Runtime-Aws-Request-Id "$HEADERS" | tr -d '[:space:]' | cut -d: -f2)
  curl -sS "$API/invocation/$ID/response" --data-binary "$(handler "$EVENT")" >/dev/null
done
`;

/** Each attempt prints `<name>: <exit code> <first line of output>`. */
function shellFunction(n: Record<string, number>): string {
  const perl = (name: string, call: string) =>
    `try ${name} env LC_ALL=C perl -e 'my $r = syscall(${call}); print $r < 0 ? "$!" : "succeeded"; exit($r < 0 ? 1 : 0)'`;
  return [
    'try() { local name=$1; shift; local out; out=$("$@" 2>&1 </dev/null); echo "$name: $? $(echo "$out" | head -n1)"; }',
    'handler() {',
    '  mkdir -p /tmp/m',
    '  try unshare-user unshare -U -r true',
    '  try unshare-user-mount unshare -U -r -m sh -c "mount -t tmpfs none /tmp/m && echo mounted"',
    '  try unshare-user-cgroupfs unshare -U -r -m -C sh -c "mount -t cgroup2 none /tmp/m && echo mounted"',
    '  try unshare-net unshare -n true',
    `  ${perl('keyctl', `${n.keyctl}, 0, -3, 0`)}`,
    `  ${perl('bpf', `${n.bpf}, 0, 0, 0`)}`,
    `  ${perl('perf_event_open', `${n.perf_event_open}, 0, 0, -1, -1, 0`)}`,
    `  ${perl('userfaultfd', `${n.userfaultfd}, 0`)}`,
    '  try still-works sh -c "echo fine > /tmp/f && cat /tmp/f"',
    '}',
    '',
  ].join('\n');
}

/** The same from Python with ctypes: `{ name: errno name or "succeeded" }`. */
function pythonFunction(n: Record<string, number>): string {
  return `
import ctypes, errno, json, threading
N = json.loads('${JSON.stringify(n)}')
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long

def call(name, *args):
    r = libc.syscall(ctypes.c_long(N[name]), *[ctypes.c_long(a) if isinstance(a, int) else a for a in args])
    return 'succeeded' if r >= 0 else errno.errorcode.get(ctypes.get_errno(), str(ctypes.get_errno()))

def handler(event, context):
    out = {
        'unshare_user': call('unshare', 0x10000000),
        'unshare_net': call('unshare', 0x40000000),
        'mount_tmpfs': call('mount', b'none', b'/tmp', b'tmpfs', 0, 0),
        'keyctl': call('keyctl', 0, -3, 0),
        'add_key': call('add_key', b'user', b'k', b'v', 1, -3),
        'request_key': call('request_key', b'user', b'k', 0, 0),
        'bpf': call('bpf', 0, 0, 0),
        'perf_event_open': call('perf_event_open', 0, 0, -1, -1, 0),
        'userfaultfd': call('userfaultfd', 0),
        'io_uring_setup': call('io_uring_setup', 1, 0),
        'clone3': call('clone3', 0, 0),
    }
    done = []
    t = threading.Thread(target=lambda: done.append(True))
    t.start(); t.join()
    out['threads'] = 'work' if done else 'broken'
    return out
`;
}

describe('seccomp: kernel escapes from inside a function', {
  skip: linux ? false : 'the Linux sandbox needs root on Linux',
}, () => {
  let server: TestServer;
  let lambda: LambdaClient;

  async function deploy(
    name: string,
    runtime: Runtime,
    handler: string,
    files: Record<string, string>,
    modes: Record<string, number> = {},
  ) {
    await lambda.send(
      new CreateFunctionCommand({
        FunctionName: name,
        Runtime: runtime,
        Handler: handler,
        Role: TEST_ROLE,
        Code: { ZipFile: await zipOf(files, modes) },
        Timeout: 20,
      }),
    );
    await active(lambda, name);
  }
  const invoke = (name: string) =>
    lambda.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from('{}') }));

  /** The platform is alive, answers health quickly and serves another function normally. */
  async function platformFine() {
    const t0 = performance.now();
    const res = await fetch(`${server.url}/_lambent/health`);
    const healthMs = performance.now() - t0;
    assert.equal(res.status, 200);
    await res.arrayBuffer();
    assert.ok(healthMs < 100, `health took ${healthMs.toFixed(1)} ms`);
    const out = await invoke('bystander');
    assert.equal(out.FunctionError, undefined);
    assert.deepEqual(JSON.parse(payload(out)), { fine: true });
  }

  before(async () => {
    assert.ok(numbers, `no seccomp table for ${process.arch}`);
    server = await startServer();
    lambda = server.lambda();
    await (await fetch(`${server.url}/_lambent/health`)).arrayBuffer(); // the client's first fetch loads undici
    await deployNode(lambda, 'bystander', 'exports.handler = async () => ({ fine: true });');
  });
  after(async () => {
    await server.stop();
    removeDataDir(server.dataDir);
  });

  test('provided.al2023 (bash): unshare -U -r, unshare -n, tmpfs and cgroupfs mounts, keyctl, bpf, perf, userfaultfd are refused', async () => {
    await deploy(
      'escape-sh',
      'provided.al2023',
      'function.handler',
      { bootstrap: BOOTSTRAP, 'function.sh': shellFunction(numbers ?? {}) },
      { bootstrap: 0o100755, 'function.sh': 0o100755 },
    );
    const out = await invoke('escape-sh');
    assert.equal(out.FunctionError, undefined, payload(out));
    const lines = Object.fromEntries(
      payload(out)
        .trim()
        .split('\n')
        .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]),
    );
    for (const name of ['unshare-user', 'unshare-user-mount', 'unshare-user-cgroupfs', 'unshare-net'])
      assert.match(
        lines[name] ?? '',
        /^1 unshare: unshare failed: Operation not permitted/,
        `${name}: ${lines[name]}`,
      );
    for (const name of ['keyctl', 'bpf', 'perf_event_open', 'userfaultfd'])
      assert.equal(lines[name], '1 Operation not permitted', name);
    assert.equal(lines['still-works'], '0 fine');
    await platformFine();
  });

  test('python3.12 (ctypes): each call answers EPERM (clone3 ENOSYS) and threads still work', async () => {
    await deploy('escape-py', 'python3.12', 'app.handler', { 'app.py': pythonFunction(numbers ?? {}) });
    const out = await invoke('escape-py');
    assert.equal(out.FunctionError, undefined, payload(out));
    assert.deepEqual(JSON.parse(payload(out)), {
      unshare_user: 'EPERM',
      unshare_net: 'EPERM',
      mount_tmpfs: 'EPERM',
      keyctl: 'EPERM',
      add_key: 'EPERM',
      request_key: 'EPERM',
      bpf: 'EPERM',
      perf_event_open: 'EPERM',
      userfaultfd: 'EPERM',
      io_uring_setup: 'EPERM',
      clone3: 'ENOSYS',
      threads: 'work',
    });
    await platformFine();
  });

  test('nodejs20.x: the runtime under the filter spawns processes and uses its thread pool', async () => {
    await deployNode(
      lambda,
      'node-under-filter',
      `const { execFileSync } = require('child_process');
       const crypto = require('crypto');
       exports.handler = async () => ({
         echo: execFileSync('sh', ['-c', 'echo spawned']).toString().trim(),
         hash: (await new Promise((r, j) => crypto.pbkdf2('a', 'b', 1000, 8, 'sha256', (e, k) => (e ? j(e) : r(k))))).toString('hex'),
         file: (await require('fs/promises').writeFile('/tmp/x', 'y'), await require('fs/promises').readFile('/tmp/x', 'utf8')),
         seccomp: require('fs').readFileSync('/proc/self/status', 'utf8').match(/^Seccomp:\\s+(\\d)/m)[1],
       });`,
    );
    const out = await invoke('node-under-filter');
    assert.equal(out.FunctionError, undefined, payload(out));
    const body = JSON.parse(payload(out));
    assert.equal(body.echo, 'spawned');
    assert.equal(body.hash.length, 16);
    assert.equal(body.file, 'y');
    assert.equal(body.seccomp, '2');
    await platformFine();
  });
});
