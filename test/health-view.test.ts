/**
 * The unauthenticated health document names an account's resources only to this machine: the
 * functions whose execution role may not write their logs (function and role ARNs, IAM's
 * reason) are listed to a loopback peer (`lambent doctor`) and only counted for anyone else.
 * A server listening on every address (with its own keys, as that requires) is asked once over
 * loopback and once over one of the machine's other addresses.
 */
import assert from 'node:assert/strict';
import os from 'node:os';
import { after, before, describe, test } from 'node:test';
import { removeDataDir, startServer, type TestServer } from './support/server.js';

const outside = Object.values(os.networkInterfaces())
  .flat()
  .find((a) => a !== undefined && a.family === 'IPv4' && !a.internal)?.address;

describe('health: what a remote caller sees', {
  skip: outside ? false : 'this machine has no non-loopback IPv4 address',
}, () => {
  let server: TestServer;

  before(async () => {
    server = await startServer({
      host: '0.0.0.0',
      credentials: [
        {
          accessKeyId: 'AKIAHEALTHVIEW000001',
          secretAccessKey: 'health-view-secret',
          accountId: '111122223333',
        },
      ],
    });
  });
  after(async () => {
    await server?.stop();
    if (server) removeDataDir(server.dataDir);
  });

  type Health = { parts: { functionLogs: { withoutPermission: unknown } } };
  const ask = async (host: string) => {
    const port = new URL(server.url).port;
    return (await (await fetch(`http://${host}:${port}/_lambent/health`)).json()) as Health;
  };

  test('a loopback peer gets the list, another peer a count', async () => {
    assert.ok(Array.isArray((await ask('127.0.0.1')).parts.functionLogs.withoutPermission));
    assert.equal((await ask(outside as string)).parts.functionLogs.withoutPermission, 0);
  });
});
