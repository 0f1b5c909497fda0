import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { crc32 } from 'node:zlib';
import { structure } from '../../shared/shapes.js';
import { createRestJsonCodec } from '../rest-json/codec.js';
import type { Operation, StreamEvent } from '../types.js';
import { encodeEvent, encodeMessage, MAX_EVENT_PAYLOAD_BYTES, MAX_MESSAGE_BYTES } from './encoder.js';

/** A reader written from the format's description, checking both CRCs. */
function decode(message: Buffer): { headers: Record<string, string>; payload: Buffer; rest: Buffer } {
  const total = message.readUInt32BE(0);
  const headersLength = message.readUInt32BE(4);
  assert.equal(message.readUInt32BE(8), crc32(message.subarray(0, 8)), 'prelude CRC');
  assert.equal(message.readUInt32BE(total - 4), crc32(message.subarray(0, total - 4)), 'message CRC');
  const headers: Record<string, string> = {};
  let at = 12;
  while (at < 12 + headersLength) {
    const nameLength = message.readUInt8(at);
    const name = message.toString('utf8', at + 1, at + 1 + nameLength);
    at += 1 + nameLength;
    assert.equal(message.readUInt8(at), 7, 'string header');
    const valueLength = message.readUInt16BE(at + 1);
    headers[name] = message.toString('utf8', at + 3, at + 3 + valueLength);
    at += 3 + valueLength;
  }
  return { headers, payload: message.subarray(at, total - 4), rest: message.subarray(total) };
}

describe('event stream encoder', () => {
  it("matches the format's empty-message test vector", () => {
    assert.equal(encodeMessage({}, new Uint8Array()).toString('base64'), 'AAAAEAAAAAAFwkjrfZjI/w==');
  });

  it('writes headers in order and the payload as is', () => {
    const message = encodeEvent('PayloadChunk', 'application/octet-stream', Buffer.from('héllo'));
    const { headers, payload, rest } = decode(message);
    assert.deepEqual(Object.entries(headers), [
      [':event-type', 'PayloadChunk'],
      [':content-type', 'application/octet-stream'],
      [':message-type', 'event'],
    ]);
    assert.equal(payload.toString(), 'héllo');
    assert.equal(rest.length, 0);
  });

  it('refuses a message past 16 MiB', () => {
    assert.throws(() => encodeMessage({}, Buffer.alloc(MAX_MESSAGE_BYTES)), RangeError);
  });
});

describe('rest-json event-stream output', () => {
  const op: Operation = {
    name: 'Streamy',
    http: { method: 'POST', path: '/s', status: 200 },
    input: structure({}),
    output: { statusCode: 'StatusCode', headers: { Version: 'X-Version' }, eventStream: 'Events' },
    handler: () => ({}),
  };

  async function* events(): AsyncGenerator<StreamEvent> {
    yield { type: 'PayloadChunk', payload: Buffer.from('abc') };
    yield { type: 'PayloadChunk', payload: Buffer.alloc(MAX_EVENT_PAYLOAD_BYTES + 10, 1) };
    yield { type: 'InvokeComplete', members: { ErrorCode: 'E', LogResult: 'bG9n' } };
  }

  it('frames each event, splits a blob too large for one message, encodes members as JSON', async () => {
    const out = createRestJsonCodec().encode(
      op,
      { StatusCode: 200, Version: '$LATEST', Events: events() },
      'rid',
    );
    assert.equal(out.status, 200);
    assert.equal(out.headers['content-type'], 'application/vnd.amazon.eventstream');
    assert.equal(out.headers['X-Version'], '$LATEST');
    assert.equal(out.headers['x-amzn-requestid'], 'rid');
    assert.ok(out.stream);
    const decoded = [];
    for await (const piece of out.stream) decoded.push(decode(Buffer.from(piece)));
    assert.deepEqual(
      decoded.map((d) => [d.headers[':event-type'], d.headers[':content-type'], d.payload.length]),
      [
        ['PayloadChunk', 'application/octet-stream', 3],
        ['PayloadChunk', 'application/octet-stream', MAX_EVENT_PAYLOAD_BYTES],
        ['PayloadChunk', 'application/octet-stream', 10],
        ['InvokeComplete', 'application/json', 36],
      ],
    );
    assert.deepEqual(JSON.parse(decoded[3]?.payload.toString() ?? ''), { ErrorCode: 'E', LogResult: 'bG9n' });
  });
});
