/**
 * Response streaming at the Runtime API: a streamed response reaches the invocation's sink chunk by
 * chunk while the runtime is still sending (raw sockets, and the real Node runtime's
 * awslambda.streamifyResponse), with backpressure, the size limit and errors in trailers.
 */
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { ChunkStream } from '../../invoke/response-stream.js';
import { createRuntimeEndpoint } from './endpoint.js';
import { eventually, startFixture } from './runtime-fixture.js';
import type { Invocation, ResponseSink, RuntimeEndpoint } from './types.js';

const open: RuntimeEndpoint[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((e) => e.close()));
});

async function endpoint(options?: Parameters<typeof createRuntimeEndpoint>[0]): Promise<RuntimeEndpoint> {
  const e = await createRuntimeEndpoint(options);
  open.push(e);
  return e;
}

function invocation(requestId: string, stream?: ResponseSink): Invocation {
  return {
    requestId,
    payload: Buffer.from('{}'),
    deadlineMs: Date.now() + 30_000,
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:f',
    ...(stream ? { stream } : {}),
  };
}

/** A sink that records what it got; `full` makes write() ask for a pause until `drain()`. */
function recordingSink() {
  const got: Buffer[] = [];
  let contentType: string | undefined;
  let started = false;
  let full = false;
  let waiting: (() => void) | undefined;
  const sink: ResponseSink = {
    start(type) {
      started = true;
      contentType = type;
    },
    write(chunk) {
      got.push(chunk);
      return !full;
    },
    onDrain(resume) {
      if (!full) resume();
      else waiting = resume;
    },
  };
  return {
    sink,
    got,
    text: () => Buffer.concat(got).toString(),
    started: () => started,
    contentType: () => contentType,
    setFull(value: boolean) {
      full = value;
      if (!value && waiting) {
        const w = waiting;
        waiting = undefined;
        w();
      }
    },
    paused: () => waiting !== undefined,
  };
}

/** Takes the invocation with a raw `/next` and returns a socket to post the response on. */
async function takeInvocation(e: RuntimeEndpoint): Promise<{ socket: Socket; received: () => string }> {
  await (await fetch(`http://${e.address}/2018-06-01/runtime/invocation/next`)).text();
  const [host, port] = e.address.split(':');
  const socket = connect(Number(port), host);
  let received = '';
  socket.setEncoding('latin1').on('data', (d: string) => {
    received += d;
  });
  return { socket, received: () => received };
}

const STREAM_HEAD = (id: string) =>
  `POST /2018-06-01/runtime/invocation/${id}/response HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n` +
  'Lambda-Runtime-Function-Response-Mode: streaming\r\nTransfer-Encoding: chunked\r\n\r\n';
const chunk = (text: string) => `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n`;

describe('Runtime API: streamed responses to a sink', () => {
  it('hands each chunk on as it arrives, before the body ends', async () => {
    const e = await endpoint();
    const rec = recordingSink();
    const result = e.invoke(invocation('s1', rec.sink));
    const { socket, received } = await takeInvocation(e);
    socket.write(STREAM_HEAD('s1') + chunk('first '));
    await eventually(() => rec.text() === 'first ');
    assert.equal(rec.contentType(), 'text/plain');
    let settled = false;
    void result.then(() => {
      settled = true;
    });
    socket.write(`${chunk('second')}0\r\n\r\n`);
    const r = await result;
    assert.ok(settled);
    assert.equal(r.kind, 'response');
    assert.equal(r.payload.length, 0, 'nothing buffered');
    assert.equal(r.kind === 'response' && r.streamedBytes, 12);
    assert.equal(rec.text(), 'first second');
    await eventually(() => received().includes('202 Accepted'));
    socket.destroy();
  });

  it('stops reading the runtime while the sink is full, and goes on when it drains', async () => {
    const e = await endpoint();
    const rec = recordingSink();
    rec.setFull(true);
    const result = e.invoke(invocation('bp', rec.sink));
    const { socket } = await takeInvocation(e);
    const piece = 'x'.repeat(64 * 1024);
    socket.write(STREAM_HEAD('bp') + chunk(piece));
    await eventually(() => rec.paused());
    const before = rec.got.length;
    // Several megabytes more: the kernel buffers fill, the runtime's writes back up.
    let written = 0;
    let blocked = false;
    while (written < 8 * 1024 * 1024) {
      written += piece.length;
      if (!socket.write(chunk(piece))) {
        blocked = true;
        break;
      }
    }
    assert.ok(blocked, 'the runtime side is held back');
    assert.ok(rec.got.length - before <= 2, `${rec.got.length - before} chunks taken while full`);
    rec.setFull(false);
    socket.write('0\r\n\r\n');
    const r = await result;
    assert.equal(r.kind, 'response');
    assert.equal(Buffer.concat(rec.got).length, piece.length + written);
    socket.destroy();
  });

  it('fails the invocation past the streamed size limit, and reads on to answer 413', async () => {
    const e = await endpoint({ maxStreamedResponseBytes: 10 });
    const rec = recordingSink();
    const result = e.invoke(invocation('big', rec.sink));
    const { socket, received } = await takeInvocation(e);
    socket.write(`${STREAM_HEAD('big') + chunk('0123456789') + chunk('abc')}0\r\n\r\n`);
    const r = await result;
    assert.equal(r.kind, 'error');
    assert.equal(r.kind === 'error' && r.errorType, 'Function.ResponseSizeTooLarge');
    assert.match(r.payload.toString(), /exceeded maximum allowed payload size \(10 bytes\)/);
    assert.equal(rec.text(), '0123456789', 'what fitted was forwarded, the rest dropped');
    await eventually(() => received().includes('413'));
    socket.destroy();
  });

  it('a buffered response never touches the sink', async () => {
    const e = await endpoint();
    const rec = recordingSink();
    const result = e.invoke(invocation('b1', rec.sink));
    const { socket } = await takeInvocation(e);
    socket.write(
      'POST /2018-06-01/runtime/invocation/b1/response HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\n"ok"',
    );
    const r = await result;
    assert.equal(r.payload.toString(), '"ok"');
    assert.equal(rec.started(), false);
    socket.destroy();
  });
});

async function withNode(
  files: Record<string, string>,
  fn: (f: Awaited<ReturnType<typeof startFixture>>) => Promise<void>,
  runtime = 'nodejs20.x',
) {
  const f = await startFixture({ runtime, handler: 'index.handler', files });
  try {
    await fn(f);
  } finally {
    await f.close();
  }
}

/** Collects a ChunkStream as the consumer of an invocation would. */
async function collect(stream: ChunkStream, onChunk?: (chunk: Buffer) => void): Promise<Buffer[]> {
  const chunks: Buffer[] = [];
  for await (const c of stream) {
    chunks.push(c);
    onChunk?.(c);
  }
  return chunks;
}

describe('Node runtime: awslambda.streamifyResponse, streamed', () => {
  it('sends the first chunk while the handler is still running', async () => {
    const files = {
      'index.mjs': `import { existsSync } from 'node:fs';
        export const handler = awslambda.streamifyResponse(async (event, responseStream) => {
          responseStream.setContentType('text/plain');
          responseStream.write('first;');
          // Waits for the test's signal, which it sends only after it has the first chunk.
          while (!existsSync(event.signal)) await new Promise((r) => setTimeout(r, 2));
          responseStream.write('second;');
          responseStream.end('last');
        });`,
    };
    await withNode(files, async (f) => {
      const signal = join(f.taskRoot, 'go');
      const sink = new ChunkStream();
      const result = f.invoke({ signal }, { stream: sink });
      let settled = false;
      void result.then(() => {
        settled = true;
      });
      const chunks = collect(sink, (c) => {
        if (c.toString().startsWith('first;')) {
          assert.equal(settled, false, 'the invocation is still running');
          assert.equal(existsSync(signal), false);
          writeFileSync(signal, '');
        }
      });
      const r = await result;
      sink.end();
      assert.equal(r.kind, 'response');
      assert.equal(sink.contentType, 'text/plain');
      assert.equal(Buffer.concat(await chunks).toString(), 'first;second;last');
    });
  });

  it('an error after the first write ends the stream with the error in its trailers', async () => {
    const files = {
      'index.mjs': `export const handler = awslambda.streamifyResponse(async (event, responseStream) => {
          responseStream.write('partial');
          await new Promise((r) => setTimeout(r, 1));
          throw new TypeError('broke mid-stream');
        });`,
    };
    await withNode(files, async (f) => {
      const sink = new ChunkStream();
      const chunks = collect(sink);
      const r = await f.invoke({}, { stream: sink });
      sink.end();
      assert.equal(r.kind, 'error');
      assert.equal(r.kind === 'error' && r.errorType, 'TypeError');
      const doc = JSON.parse(r.payload.toString());
      assert.equal(doc.errorType, 'TypeError');
      assert.equal(doc.errorMessage, 'broke mid-stream');
      assert.equal(Buffer.concat(await chunks).toString(), 'partial');
      // The runtime goes on serving.
      const sink2 = new ChunkStream();
      const next = collect(sink2);
      const again = await f.invoke({}, { stream: sink2 });
      sink2.end();
      assert.equal(again.kind, 'error');
      assert.equal(Buffer.concat(await next).toString(), 'partial');
      assert.ok(f.stdoutLines().some((l) => l.includes('Invoke Error') && l.includes('broke mid-stream')));
    });
  });

  it('an error before anything was written is an ordinary function error', async () => {
    const files = {
      'index.mjs': `export const handler = awslambda.streamifyResponse(async () => { throw new Error('early'); });`,
    };
    await withNode(files, async (f) => {
      const sink = new ChunkStream();
      const r = await f.invoke({}, { stream: sink });
      assert.equal(r.kind, 'error');
      assert.equal(r.kind === 'error' && r.errorType, 'Error');
      assert.equal(JSON.parse(r.payload.toString()).errorMessage, 'early');
    });
  });

  it('HttpResponseStream.from writes the metadata prelude and its 8 NUL bytes first', async () => {
    const files = {
      'index.mjs': `export const handler = awslambda.streamifyResponse(async (event, responseStream) => {
          const http = awslambda.HttpResponseStream.from(responseStream, {
            statusCode: 201, headers: { 'x-a': 'b' }, cookies: ['c=d'],
          });
          http.write('body');
          http.end();
        });`,
    };
    await withNode(files, async (f) => {
      const sink = new ChunkStream();
      const chunks = collect(sink);
      const r = await f.invoke({}, { stream: sink });
      sink.end();
      assert.equal(r.kind, 'response');
      assert.equal(sink.contentType, 'application/vnd.awslambda.http-integration-response');
      const all = Buffer.concat(await chunks);
      const prelude = JSON.stringify({ statusCode: 201, headers: { 'x-a': 'b' }, cookies: ['c=d'] });
      assert.equal(all.subarray(0, prelude.length).toString(), prelude);
      assert.deepEqual([...all.subarray(prelude.length, prelude.length + 8)], [0, 0, 0, 0, 0, 0, 0, 0]);
      assert.equal(all.subarray(prelude.length + 8).toString(), 'body');
    });
  });

  it('a slow reader holds a fast writer back: the platform never queues more than its mark', async () => {
    const files = {
      'index.mjs': `export const handler = awslambda.streamifyResponse(async (event, responseStream) => {
          const piece = Buffer.alloc(256 * 1024, 97);
          for (let i = 0; i < 64; i++) {
            // 16 MiB in all, as fast as the stream takes it.
            if (!responseStream.write(piece)) await new Promise((r) => responseStream.once('drain', r));
          }
          responseStream.end();
        });`,
    };
    await withNode(files, async (f) => {
      const mark = 256 * 1024;
      const sink = new ChunkStream(mark);
      let most = 0;
      const write = sink.write.bind(sink);
      sink.write = (c: Buffer) => {
        const ok = write(c);
        most = Math.max(most, sink.bufferedBytes);
        return ok;
      };
      const result = f.invoke({}, { stream: sink });
      void result.then(() => sink.end());
      let total = 0;
      for await (const c of sink) {
        total += c.length;
        // A slow client: a few turns of the event loop per chunk.
        for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
      }
      assert.equal((await result).kind, 'response');
      assert.equal(total, 16 * 1024 * 1024);
      // At most one socket read (64 KiB) lands after the mark was reached.
      assert.ok(most <= mark + 64 * 1024, `queued up to ${most} bytes`);
    });
  });

  it("AWS's documented pattern: pipeline(readable, responseStream)", async () => {
    const files = {
      'index.mjs': `import { pipeline } from 'node:stream/promises';
        import { Readable } from 'node:stream';
        export const handler = awslambda.streamifyResponse(async (event, responseStream) => {
          responseStream.setContentType('application/json');
          await pipeline(Readable.from(['{"a":', '1}']), responseStream);
        });`,
    };
    await withNode(files, async (f) => {
      const sink = new ChunkStream();
      const chunks = collect(sink);
      const r = await f.invoke({}, { stream: sink });
      sink.end();
      assert.equal(r.kind, 'response');
      assert.equal(sink.contentType, 'application/json');
      assert.equal(Buffer.concat(await chunks).toString(), '{"a":1}');
    });
  });

  it('nodejs24.x (promises only) streams the same way', async () => {
    const files = {
      'index.mjs': `export const handler = awslambda.streamifyResponse(async (event, responseStream) => {
          responseStream.write('twenty');
          responseStream.end('-four');
        });`,
    };
    await withNode(
      files,
      async (f) => {
        const sink = new ChunkStream();
        const chunks = collect(sink);
        const r = await f.invoke({}, { stream: sink });
        sink.end();
        assert.equal(r.kind, 'response');
        assert.deepEqual((await chunks).map(String), ['twenty', '-four']);
      },
      'nodejs24.x',
    );
  });

  it('a handler that does not stream answers in one piece, sink untouched', async () => {
    await withNode({ 'index.js': 'exports.handler = async () => ({ plain: true });' }, async (f) => {
      const sink = new ChunkStream();
      const r = await f.invoke({}, { stream: sink });
      assert.equal(r.kind, 'response');
      assert.equal(r.payload.toString(), '{"plain":true}');
      assert.equal(sink.contentType, undefined);
    });
  });
});
