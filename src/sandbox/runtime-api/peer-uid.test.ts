import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { connect, createServer, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { createRuntimeEndpoint } from './endpoint.js';
import { endpointKey, findUid, peerUidOf, procEndpointKey } from './peer-uid.js';

const isRoot = process.getuid?.() === 0;

describe('peerUidOf', () => {
  it('reads /proc address words in host byte order and matches IPv4 to IPv4-mapped IPv6', () => {
    assert.equal(procEndpointKey('0100007F:1F90'), '4:7f000001:8080');
    assert.equal(endpointKey('127.0.0.1', 8080), '4:7f000001:8080');
    // ::ffff:127.0.0.1 as /proc/net/tcp6 prints it
    assert.equal(procEndpointKey('0000000000000000FFFF00000100007F:1F90'), '4:7f000001:8080');
    assert.equal(endpointKey('::ffff:127.0.0.1', 8080), '4:7f000001:8080');
    // ::1
    assert.equal(procEndpointKey('00000000000000000000000001000000:0050'), `6:${'00'.repeat(15)}01:80`);
    assert.equal(endpointKey('::1', 80), `6:${'00'.repeat(15)}01:80`);
    assert.equal(endpointKey('fe80::1:2', 1), '6:fe800000000000000000000000010002:1');
  });

  it('finds the row whose local end is the peer and remote end is us', () => {
    const table = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0100007F:9C83 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 36425 1 0 100 0 0 10 0',
      '   1: 0100007F:D431 0100007F:9C83 01 00000000:00000000 00:00000000 00000000  1234        0 36426 1 0 20 4 30 10 -1',
      '   2: 0100007F:9C83 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 36427 1 0 20 4 30 10 -1',
    ].join('\n');
    assert.equal(findUid(table, '4:7f000001:54321', '4:7f000001:40067'), 1234);
    assert.equal(findUid(table, '4:7f000001:40067', '4:7f000001:54321'), 0);
    assert.equal(findUid(table, '4:7f000001:1', '4:7f000001:2'), undefined);
  });

  it('names this process uid for a connection from this process', async () => {
    const accepted = new Promise<Socket>((resolve) => {
      const server = createServer((s) => {
        resolve(s);
        server.close();
      });
      server.listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        const client = connect(port, '127.0.0.1');
        client.on('error', () => {});
        setTimeout(() => client.destroy(), 500);
      });
    });
    const socket = await accepted;
    assert.equal(await peerUidOf(socket), process.getuid?.());
    socket.destroy();
  });

  it('names the uid a child process runs as, and authorize can refuse all others', {
    skip: !isRoot && 'needs root to spawn as another uid',
    timeout: 60_000,
  }, async () => {
    const SANDBOX_UID = 65534;
    const endpoint = await createRuntimeEndpoint({
      authorize: async (socket) => (await peerUidOf(socket)) === SANDBOX_UID,
    });
    try {
      const url = `http://${endpoint.address}/2018-06-01/runtime/invocation/x/response`;
      // This process (root) is refused (the connection is closed: not a time-out)...
      await assert.rejects(
        fetch(url, { method: 'POST', body: '1', signal: AbortSignal.timeout(15_000) }),
        (err) => {
          assert.notEqual((err as Error).name, 'TimeoutError', 'the refused request hung');
          return true;
        },
      );
      // ...the sandbox's uid gets the Runtime API's own answer.
      // Bounded on both sides, so a stuck exchange fails with what was seen rather than at the
      // test's timeout (it once hung in a CI run): the request gives up after 15 s, the child is
      // killed after 30 s. A clean environment: nothing of the runner's reaches the other uid.
      const script = `fetch(${JSON.stringify(url)}, { method: 'POST', body: '1', signal: AbortSignal.timeout(15000) }).then(r => r.text()).then(t => process.stdout.write(t), e => { process.stdout.write('refused: ' + e.message); })`;
      const child = spawn(process.execPath, ['-e', script], {
        uid: SANDBOX_UID,
        gid: SANDBOX_UID,
        cwd: '/',
        env: { PATH: '/usr/bin:/bin' },
        stdio: ['ignore', 'pipe', 'inherit'],
        timeout: 30_000,
      });
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (c: string) => {
        out += c;
      });
      // A child that cannot start (e.g. this node is not readable by that uid) fails the test
      // instead of leaving it waiting for a close that never comes.
      // A timer of its own: a test that times out does not end its promise, and a listener left
      // open then keeps the whole test process (and a CI run) waiting forever.
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error(`the child (uid ${SANDBOX_UID}) did not finish in 40 s; its output: ${out}`));
        }, 40_000);
        child.on('error', (err) => {
          clearTimeout(timer);
          reject(err);
        });
        child.on('close', () => {
          clearTimeout(timer);
          resolve();
        });
      });
      assert.equal(out, '{"errorMessage":"Invalid request ID","errorType":"InvalidRequestID"}\n');
    } finally {
      await endpoint.close();
    }
  });
});
