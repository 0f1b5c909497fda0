/** The AWS JSON protocol codec and X-Amz-Target router, without a server. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AwsError, SerializationException, UnknownOperationException } from '../../shared/errors.js';
import { structure } from '../../shared/shapes.js';
import type { Operation } from '../types.js';
import {
  createJsonCodec,
  JSON_HTTP_BINDING,
  JsonTargetRouter,
  protocolError,
  unknownOperationError,
} from './index.js';

const op: Operation = {
  name: 'PutThing',
  http: JSON_HTTP_BINDING,
  input: structure({
    name: { type: 'string' },
    data: { type: 'blob' },
    nested: { type: 'structure', members: { n: { type: 'integer' } } },
  }),
  handler: () => ({}),
};
const request = (body: string) => ({
  method: 'POST',
  rawPath: '/',
  query: new URLSearchParams(),
  headers: {},
  body: Buffer.from(body),
});

describe('JsonTargetRouter', () => {
  const router = new JsonTargetRouter(['Svc_20200101'], [op]);
  test('matches POST / with the prefix and operation name', () => {
    assert.equal(router.match('POST', '/', { 'x-amz-target': 'Svc_20200101.PutThing' })?.op, op);
  });
  test('anything else matches nothing', () => {
    for (const [method, path, target] of [
      ['POST', '/', 'Svc_20200101.Nope'],
      ['POST', '/', 'Other_1.PutThing'],
      ['POST', '/', 'PutThing'],
      ['GET', '/', 'Svc_20200101.PutThing'],
      ['POST', '/x', 'Svc_20200101.PutThing'],
    ] as const) {
      assert.equal(
        router.match(method, path, { 'x-amz-target': target }),
        undefined,
        `${method} ${path} ${target}`,
      );
    }
    assert.equal(router.match('POST', '/', {}), undefined);
  });
});

describe('createJsonCodec', () => {
  const codec = createJsonCodec('1.0');
  test('decodes known members, blobs from base64, nulls as absent, unknown members dropped', () => {
    const input = codec.decode(
      op,
      request(JSON.stringify({ name: 'a', data: 'aGk=', nested: { n: 1, x: 2 }, extra: 1, gone: null })),
      {},
    );
    assert.deepEqual(input, { name: 'a', data: Buffer.from('hi'), nested: { n: 1 } });
  });
  test('a body that is not a JSON object is a silent Coral SerializationException', () => {
    for (const body of ['', 'nope', '[]', '"s"', 'null']) {
      assert.throws(
        () => codec.decode(op, request(body), {}),
        (err: unknown) => {
          const res = codec.encodeError(err as AwsError, 'rid');
          assert.equal(res.status, 400);
          assert.deepEqual(JSON.parse(String(res.body)), {
            __type: 'com.amazon.coral.service#SerializationException',
          });
          return err instanceof SerializationException;
        },
      );
    }
  });
  test('encodes output with the version content type; Dates as epoch seconds, Buffers as base64', () => {
    const res = codec.encode(
      op,
      { at: new Date(1_500_000_000_500), blob: Buffer.from('hi'), skip: undefined },
      'rid',
    );
    assert.equal(res.status, 200);
    assert.deepEqual(res.headers, {
      'x-amzn-requestid': 'rid',
      'content-type': 'application/x-amz-json-1.0',
    });
    assert.deepEqual(JSON.parse(String(res.body)), { at: 1_500_000_000.5, blob: 'aGk=' });
  });
  test('errors: __type and message (or the error’s own key), fields, status', () => {
    const err = new AwsError('ThingNotFound', 'no thing', 404, { fields: { resource: 'x' } });
    const res = createJsonCodec('1.1').encodeError(err, 'rid');
    assert.equal(res.status, 404);
    assert.equal(res.headers['content-type'], 'application/x-amz-json-1.1');
    assert.deepEqual(JSON.parse(String(res.body)), {
      __type: 'ThingNotFound',
      message: 'no thing',
      resource: 'x',
    });
    const unknown = codec.encodeError(unknownOperationError(), 'rid');
    assert.deepEqual(JSON.parse(String(unknown.body)), {
      __type: 'com.amazon.coral.service#UnknownOperationException',
    });
    const typed = codec.encodeError(
      new SerializationException('class X can not be converted to an Integer'),
      'rid',
    );
    assert.deepEqual(JSON.parse(String(typed.body)), {
      __type: 'com.amazon.coral.service#SerializationException',
      Message: 'class X can not be converted to an Integer',
    });
    assert.ok(protocolError(new UnknownOperationException()) instanceof UnknownOperationException);
  });
});
