/**
 * The Runtime API endpoint driven with plain HTTP (fetch and raw sockets): the protocol, the emulator's
 * answers to misuse, per-environment isolation, abort and close.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { afterEach, describe, it } from 'node:test';
import { createRuntimeEndpoint } from './endpoint.js';
import type { Invocation, RuntimeEndpoint } from './types.js';

const open: RuntimeEndpoint[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((e) => e.close()));
});

async function endpoint(options?: Parameters<typeof createRuntimeEndpoint>[0]): Promise<RuntimeEndpoint> {
  const e = await createRuntimeEndpoint(options);
  open.push(e);
  return e;
}

const base = (e: RuntimeEndpoint) => `http://${e.address}/2018-06-01/runtime`;

function invocation(requestId: string, extra: Partial<Invocation> = {}): Invocation {
  return {
    requestId,
    payload: Buffer.from(`{"id":"${requestId}"}`),
    deadlineMs: 1_700_000_000_000,
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:f',
    ...extra,
  };
}

/** Starts an invocation whose outcome the test does not wait for (closing the endpoint rejects it). */
function fire(e: RuntimeEndpoint, inv: Invocation): void {
  e.invoke(inv).catch(() => {});
}

const post = (url: string, body: string, headers: Record<string, string> = {}) =>
  fetch(url, { method: 'POST', body, headers });

describe('Runtime API endpoint', () => {
  it('keeps at most maxConnections open: past it a new connection is closed at once', async () => {
    const e = await endpoint({ maxConnections: 5 });
    const [host, port] = e.address.split(':');
    const outcomes = await Promise.all(
      Array.from(
        { length: 8 },
        () =>
          new Promise<{ socket: ReturnType<typeof connect>; closed: boolean }>((resolve) => {
            // A kept connection answers a request (404); a refused one closes without a byte.
            const socket = connect(Number(port), host, () =>
              socket.write('GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n'),
            );
            socket.once('data', () => resolve({ socket, closed: false }));
            socket.on('close', () => resolve({ socket, closed: true }));
            socket.on('error', () => {});
          }),
      ),
    );
    assert.equal(outcomes.filter((o) => !o.closed).length, 5);
    for (const o of outcomes) o.socket.destroy();
    // Once the server has seen them go, a new connection is served again.
    const answered = () =>
      new Promise<boolean>((resolve) => {
        const socket = connect(Number(port), host, () =>
          socket.write('GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n'),
        );
        socket.once('data', () => {
          socket.destroy();
          resolve(true);
        });
        socket.on('close', () => resolve(false));
        socket.on('error', () => {});
      });
    let served = false;
    for (let i = 0; i < 100 && !served; i++) served = await answered();
    assert.ok(served);
  });

  it('listens on its own 127.0.0.1 port', async () => {
    const a = await endpoint();
    const b = await endpoint();
    assert.match(a.address, /^127\.0\.0\.1:\d+$/);
    assert.notEqual(a.address, b.address);
  });

  it('long-polls /next and delivers the invocation with every Lambda-Runtime header', async () => {
    const e = await endpoint();
    const next = fetch(`${base(e)}/invocation/next`);
    assert.deepEqual(await e.initialized, { kind: 'ready' });
    const result = e.invoke(
      invocation('req-1', {
        traceId: 'Root=1-5e1b4151-5ac6c58f5b5daa6532e6a4a8;Parent=1;Sampled=0',
        clientContext: '{"custom":{"foo":"bär"}}',
        cognitoIdentity: '{"cognitoIdentityId":"id","cognitoIdentityPoolId":"pool"}',
      }),
    );
    const res = await next;
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('lambda-runtime-aws-request-id'), 'req-1');
    assert.equal(res.headers.get('lambda-runtime-deadline-ms'), '1700000000000');
    assert.equal(
      res.headers.get('lambda-runtime-invoked-function-arn'),
      'arn:aws:lambda:us-east-1:000000000000:function:f',
    );
    assert.equal(
      res.headers.get('lambda-runtime-trace-id'),
      'Root=1-5e1b4151-5ac6c58f5b5daa6532e6a4a8;Parent=1;Sampled=0',
    );
    // fetch decodes header bytes as Latin-1; the bytes on the wire are UTF-8.
    const cc = Buffer.from(res.headers.get('lambda-runtime-client-context') ?? '', 'latin1').toString('utf8');
    assert.equal(cc, '{"custom":{"foo":"bär"}}');
    assert.equal(
      res.headers.get('lambda-runtime-cognito-identity'),
      '{"cognitoIdentityId":"id","cognitoIdentityPoolId":"pool"}',
    );
    assert.equal(res.headers.get('content-type'), 'application/json');
    assert.equal(await res.text(), '{"id":"req-1"}');

    const ack = await post(`${base(e)}/invocation/req-1/response`, '{"ok":true}');
    assert.equal(ack.status, 202);
    assert.equal(ack.headers.get('content-type'), 'application/json');
    assert.equal(await ack.text(), '{"status":"OK"}\n');
    const r = await result;
    assert.equal(r.kind, 'response');
    assert.equal(r.payload.toString(), '{"ok":true}');
  });

  it('omits optional headers that are absent', async () => {
    const e = await endpoint();
    const next = fetch(`${base(e)}/invocation/next`);
    await e.initialized;
    fire(e, invocation('plain'));
    const res = await next;
    assert.equal(res.headers.get('lambda-runtime-trace-id'), null);
    assert.equal(res.headers.get('lambda-runtime-client-context'), null);
    assert.equal(res.headers.get('lambda-runtime-cognito-identity'), null);
    await res.text();
  });

  it('queues an invocation until the runtime asks', async () => {
    const e = await endpoint();
    const result = e.invoke(invocation('early'));
    const res = await fetch(`${base(e)}/invocation/next`);
    assert.equal(res.headers.get('lambda-runtime-aws-request-id'), 'early');
    await res.text();
    await post(`${base(e)}/invocation/early/response`, '"done"');
    assert.equal((await result).payload.toString(), '"done"');
  });

  it('passes /error bodies and Lambda-Runtime-Function-Error-Type through', async () => {
    const e = await endpoint();
    const result = e.invoke(invocation('bad'));
    await (await fetch(`${base(e)}/invocation/next`)).text();
    const body = '{"errorMessage":"boom","errorType":"Error","stackTrace":[]}';
    const ack = await post(`${base(e)}/invocation/bad/error`, body, {
      'Lambda-Runtime-Function-Error-Type': 'Error',
      'Content-Type': 'application/json',
    });
    assert.equal(ack.status, 202);
    assert.equal(await ack.text(), '{"status":"OK"}\n');
    const r = await result;
    assert.deepEqual(
      { kind: r.kind, errorType: r.kind === 'error' ? r.errorType : '' },
      { kind: 'error', errorType: 'Error' },
    );
    assert.equal(r.payload.toString(), body);
  });

  it('answers 400 InvalidRequestID for an unknown request id', async () => {
    const e = await endpoint();
    fire(e, invocation('real'));
    await (await fetch(`${base(e)}/invocation/next`)).text();
    for (const action of ['response', 'error']) {
      const res = await post(`${base(e)}/invocation/not-the-one/${action}`, '{}');
      assert.equal(res.status, 400);
      assert.equal(res.headers.get('content-type'), 'application/json');
      assert.equal(
        await res.text(),
        '{"errorMessage":"Invalid request ID","errorType":"InvalidRequestID"}\n',
      );
    }
  });

  it('answers 400 InvalidRequestID for a response before any invocation', async () => {
    const e = await endpoint();
    const res = await post(`${base(e)}/invocation/anything/response`, '{}');
    assert.equal(res.status, 400);
    assert.deepEqual(await res.json(), { errorMessage: 'Invalid request ID', errorType: 'InvalidRequestID' });
  });

  it('answers 403 InvalidStateTransition to a second response for the same invocation', async () => {
    const e = await endpoint();
    const result = e.invoke(invocation('once'));
    await (await fetch(`${base(e)}/invocation/next`)).text();
    assert.equal((await post(`${base(e)}/invocation/once/response`, '1')).status, 202);
    for (const action of ['response', 'error']) {
      const again = await post(`${base(e)}/invocation/once/${action}`, '2');
      assert.equal(again.status, 403);
      const target = action === 'response' ? 'InvocationResponse' : 'InvocationErrorResponse';
      assert.equal(
        await again.text(),
        `{"errorMessage":"State transition from RuntimeResponseSentState to ${target} failed for runtime. Error: State transition is not allowed","errorType":"InvalidStateTransition"}\n`,
      );
    }
    assert.equal((await result).payload.toString(), '1');
  });

  it('releases the answered request id at the next /next: then it is unknown (400)', async () => {
    const e = await endpoint();
    fire(e, invocation('old'));
    await (await fetch(`${base(e)}/invocation/next`)).text();
    await (await post(`${base(e)}/invocation/old/response`, '1')).text();
    const parked = fetch(`${base(e)}/invocation/next`);
    await new Promise((r) => setTimeout(r, 20));
    const late = await post(`${base(e)}/invocation/old/response`, '2');
    assert.equal(late.status, 400);
    await late.text();
    fire(e, invocation('new'));
    assert.equal((await parked).headers.get('lambda-runtime-aws-request-id'), 'new');
  });

  it('answers 403 to /runtime/init/error once the runtime is ready', async () => {
    const e = await endpoint();
    void fetch(`${base(e)}/invocation/next`).catch(() => {});
    await e.initialized;
    const res = await post(`${base(e)}/init/error`, '{}', {
      'Lambda-Runtime-Function-Error-Type': 'Runtime.X',
    });
    assert.equal(res.status, 403);
    assert.deepEqual(await res.json(), {
      errorMessage:
        'State transition from Ready to InitError failed for runtime. Error: State transition is not allowed',
      errorType: 'InvalidStateTransition',
    });
  });

  it('reports an init error, fails a waiting invocation with it, and refuses /next afterwards', async () => {
    const e = await endpoint();
    const waiting = e.invoke(invocation('first'));
    const body =
      '{"errorType":"Runtime.ImportModuleError","errorMessage":"Error: Cannot find module \'index\'","trace":[]}';
    const res = await post(`${base(e)}/init/error`, body, {
      'Lambda-Runtime-Function-Error-Type': 'Runtime.ImportModuleError',
    });
    assert.equal(res.status, 202);
    assert.equal(await res.text(), '{"status":"OK"}\n');
    const init = await e.initialized;
    assert.equal(init.kind, 'init-error');
    assert.equal(init.kind === 'init-error' && init.errorType, 'Runtime.ImportModuleError');
    assert.equal(init.kind === 'init-error' && init.payload.toString(), body);
    const r = await waiting;
    assert.equal(r.kind, 'error');
    assert.equal(r.payload.toString(), body);
    // Later invocations get the same error at once.
    assert.equal((await e.invoke(invocation('second'))).payload.toString(), body);
    const next = await fetch(`${base(e)}/invocation/next`);
    assert.equal(next.status, 403);
    assert.equal(
      (await next.json()).errorMessage,
      'State transition from InitError to Ready failed for runtime. Error: State transition is not allowed',
    );
    const again = await post(`${base(e)}/init/error`, '{}');
    assert.equal(again.status, 403);
    await again.text();
  });

  it('answers 413 RequestEntityTooLarge past the limit and fails the invocation with Function.ResponseSizeTooLarge', async () => {
    const e = await endpoint({ maxResponseBytes: 1000 });
    const result = e.invoke(invocation('big'));
    await (await fetch(`${base(e)}/invocation/next`)).text();
    const res = await post(`${base(e)}/invocation/big/response`, 'x'.repeat(1001));
    assert.equal(res.status, 413);
    assert.equal(
      await res.text(),
      '{"errorMessage":"Exceeded maximum allowed payload size (1000 bytes).","errorType":"RequestEntityTooLarge"}\n',
    );
    const r = await result;
    assert.equal(r.kind, 'error');
    assert.equal(r.kind === 'error' && r.errorType, 'Function.ResponseSizeTooLarge');
    assert.deepEqual(JSON.parse(r.payload.toString()), {
      errorMessage: 'Response payload size exceeded maximum allowed payload size (1000 bytes).',
      errorType: 'Function.ResponseSizeTooLarge',
    });
    // The runtime's state moved on as after a response: a second answer is a state error.
    assert.equal((await post(`${base(e)}/invocation/big/response`, '1')).status, 403);
  });

  it('uses AWS limit of 6291556 bytes by default', async () => {
    const e = await endpoint();
    const result = e.invoke(invocation('six'));
    await (await fetch(`${base(e)}/invocation/next`)).text();
    const exactly = Buffer.alloc(6291556, 0x61);
    const ok = await fetch(`${base(e)}/invocation/six/response`, { method: 'POST', body: exactly });
    assert.equal(ok.status, 202);
    await ok.text();
    assert.equal((await result).payload.length, 6291556);

    const result2 = e.invoke(invocation('seven'));
    await (await fetch(`${base(e)}/invocation/next`)).text();
    const over = await fetch(`${base(e)}/invocation/seven/response`, {
      method: 'POST',
      body: Buffer.alloc(6291557, 0x61),
    });
    assert.equal(over.status, 413);
    assert.match(await over.text(), /6291556 bytes/);
    const r2 = await result2;
    assert.equal(r2.kind === 'error' && r2.errorType, 'Function.ResponseSizeTooLarge');
  });

  it('answers 404 and 405 like the emulator router', async () => {
    const e = await endpoint();
    const nf = await fetch(`http://${e.address}/2018-06-01/runtime/nope`);
    assert.equal(nf.status, 404);
    assert.equal(await nf.text(), '404 page not found\n');
    const na = await post(`${base(e)}/invocation/next`, '');
    assert.equal(na.status, 405);
    await na.text();
    const na2 = await fetch(`${base(e)}/invocation/x/response`);
    assert.equal(na2.status, 405);
    await na2.text();
  });

  it('re-delivers the current invocation to a runtime that polls again before answering', async () => {
    const e = await endpoint();
    const result = e.invoke(invocation('again'));
    await (await fetch(`${base(e)}/invocation/next`)).text();
    const second = await fetch(`${base(e)}/invocation/next`);
    assert.equal(second.headers.get('lambda-runtime-aws-request-id'), 'again');
    await second.text();
    await post(`${base(e)}/invocation/again/response`, '"x"');
    assert.equal((await result).payload.toString(), '"x"');
  });

  it('serves a /next pipelined behind its response on one connection', async () => {
    const e = await endpoint();
    const port = Number(e.address.split(':')[1]);
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.setEncoding('latin1').on('data', (d: string) => {
      received += d;
    });
    const GET = 'GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n';
    socket.write(GET);
    await e.initialized;
    const first = e.invoke(invocation('p1'));
    while (!received.includes('{"id":"p1"}')) await new Promise((r) => setTimeout(r, 2));
    socket.write(
      `POST /2018-06-01/runtime/invocation/p1/response HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\n"p1"${GET}`,
    );
    assert.equal((await first).payload.toString(), '"p1"');
    const second = e.invoke(invocation('p2'));
    while (!received.includes('{"id":"p2"}')) await new Promise((r) => setTimeout(r, 2));
    assert.match(received, /HTTP\/1\.1 202 Accepted/);
    socket.write(
      `POST /2018-06-01/runtime/invocation/p2/response HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\n"p2"`,
    );
    assert.equal((await second).payload.toString(), '"p2"');
    socket.destroy();
  });

  it('accepts chunked bodies and streamed responses with an error in the trailers', async () => {
    const e = await endpoint();
    const port = Number(e.address.split(':')[1]);
    const result = e.invoke(invocation('s1'));
    await (await fetch(`${base(e)}/invocation/next`)).text();
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.setEncoding('latin1').on('data', (d: string) => {
      received += d;
    });
    socket.write(
      'POST /2018-06-01/runtime/invocation/s1/response HTTP/1.1\r\nHost: x\r\n' +
        'Lambda-Runtime-Function-Response-Mode: streaming\r\nTransfer-Encoding: chunked\r\n' +
        'Trailer: Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body\r\n\r\n' +
        '5\r\nhello\r\n0\r\nLambda-Runtime-Function-Error-Type: Runtime.StreamError\r\n' +
        `Lambda-Runtime-Function-Error-Body: ${Buffer.from('{"errorMessage":"mid-stream"}').toString('base64')}\r\n\r\n`,
    );
    const r = await result;
    assert.equal(r.kind, 'error');
    assert.equal(r.kind === 'error' && r.errorType, 'Runtime.StreamError');
    assert.equal(r.payload.toString(), '{"errorMessage":"mid-stream"}');
    while (!received.includes('202')) await new Promise((res) => setTimeout(res, 2));
    socket.destroy();
  });

  it('rejects a second concurrent invoke()', async () => {
    const e = await endpoint();
    fire(e, invocation('one'));
    await assert.rejects(e.invoke(invocation('two')), /already in flight/);
  });

  it('abort() fails the in-flight invocation and later ones; a late answer gets 400', async () => {
    const e = await endpoint();
    const result = e.invoke(invocation('slow'));
    await (await fetch(`${base(e)}/invocation/next`)).text();
    const reason = new Error('Sandbox.Timedout');
    e.abort(reason);
    await assert.rejects(result, (err) => err === reason);
    await assert.rejects(e.invoke(invocation('after')), (err) => err === reason);
    const late = await post(`${base(e)}/invocation/slow/response`, '"late"');
    assert.equal(late.status, 400);
    await late.text();
  });

  it('abort() before init rejects `initialized`; close() ends parked polls', async () => {
    const e = await endpoint();
    const reason = new Error('exited');
    e.abort(reason);
    await assert.rejects(e.initialized, (err) => err === reason);

    const f = await endpoint();
    const parked = fetch(`${base(f)}/invocation/next`);
    await f.initialized;
    await f.close();
    await assert.rejects(parked);
  });

  it('refuses connections the authorize hook rejects, sync or async', async () => {
    let allow = false;
    const sync = await endpoint({ authorize: () => allow });
    await assert.rejects(fetch(`${base(sync)}/invocation/x/response`, { method: 'POST', body: '1' }));
    allow = true;
    assert.equal((await post(`${base(sync)}/invocation/x/response`, '1')).status, 400);

    const seen: number[] = [];
    const asyncEp = await endpoint({
      authorize: async (socket) => {
        seen.push(socket.remotePort ?? 0);
        await new Promise((r) => setTimeout(r, 20));
        return seen.length > 1;
      },
    });
    await assert.rejects(post(`${base(asyncEp)}/invocation/x/response`, '1'));
    // Bytes sent before the verdict are not lost: the request is answered once authorized.
    const res = await post(`${base(asyncEp)}/invocation/x/response`, '1');
    assert.equal(res.status, 400);
    assert.equal((await res.json()).errorType, 'InvalidRequestID');
    assert.equal(seen.length, 2);
  });

  it('token port: the right token line, then HTTP; anything else is dropped unread', async () => {
    const e = await endpoint({ authorize: () => false, token: 'sekret' });
    assert.ok(e.tokenPort);
    /** Sends `first`, waits for the go-ahead (or the close), then an HTTP request; returns all it got back. */
    const talk = (first: string) =>
      new Promise<string>((resolve) => {
        const socket = connect({ host: '127.0.0.1', port: e.tokenPort as number });
        let got = '';
        socket.on('data', (chunk) => {
          got += chunk.toString('latin1');
          if (got === 'K')
            socket.write(
              'POST /2018-06-01/runtime/invocation/x/response HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n\r\n1',
            );
          if (got.includes('InvalidRequestID')) socket.destroy();
        });
        socket.on('error', () => {});
        socket.on('close', () => resolve(got));
        setTimeout(() => socket.destroy(), 2000);
        socket.write(first);
      });
    const ok = await talk('sekret\n');
    assert.match(ok, /^KHTTP\/1\.1 400 /);
    assert.match(ok, /InvalidRequestID/);
    assert.equal(await talk('wrong!\n'), '');
    assert.equal(await talk('GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\n\r\n'), '');
  });
});
