import assert from 'node:assert/strict';
import { test } from 'node:test';
import { silentLogger } from '../shared/logger.js';
import { createDestinations, deadLetterMessage, invocationRecord } from './destinations.js';

const error = Buffer.from(
  JSON.stringify({
    errorMessage: 'Test exception (this is intentional)',
    errorType: 'Exception',
    stackTrace: [],
  }),
);

test('invocation record: the recorded shape (RetriesExhausted, with the last answer)', () => {
  const record = invocationRecord({
    requestId: 'r-1',
    functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:f:$LATEST',
    condition: 'RetriesExhausted',
    approximateInvokeCount: 3,
    requestPayload: Buffer.from('{"raise_error":1}'),
    response: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled', payload: error },
    timestamp: new Date('2026-01-02T03:04:05.678Z'),
  });
  assert.deepEqual(record, {
    version: '1.0',
    timestamp: '2026-01-02T03:04:05.678Z',
    requestContext: {
      requestId: 'r-1',
      functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:f:$LATEST',
      condition: 'RetriesExhausted',
      approximateInvokeCount: 3,
    },
    requestPayload: { raise_error: 1 },
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    responsePayload: JSON.parse(error.toString()),
  });
});

test('invocation record without a run (ZeroReservedConcurrency): no responseContext', () => {
  const record = invocationRecord({
    requestId: 'r-2',
    functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:f:$LATEST',
    condition: 'ZeroReservedConcurrency',
    approximateInvokeCount: 0,
    requestPayload: Buffer.from('{}'),
  });
  assert.deepEqual(Object.keys(record), ['version', 'timestamp', 'requestContext', 'requestPayload']);
});

test('dead-letter message: body is the event; RequestID, ErrorCode, ErrorMessage attributes (recorded)', () => {
  const m = deadLetterMessage({
    requestId: 'r-3',
    requestPayload: Buffer.from('{"raise_error": 1}'),
    response: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled', payload: error },
  });
  assert.equal(m.body, '{"raise_error": 1}');
  assert.deepEqual(m.attributes, {
    RequestID: { DataType: 'String', StringValue: 'r-3' },
    ErrorCode: { DataType: 'Number', StringValue: '200' },
    ErrorMessage: { DataType: 'String', StringValue: 'Test exception (this is intentional)' },
  });
});

test('a destination in a service without a target is not delivered, and counted', async () => {
  const warnings: string[] = [];
  const d = createDestinations({ logger: { ...silentLogger, warn: (m: string) => warnings.push(m) } });
  const delivered: string[] = [];
  d.register('lambda', { deliver: async (arn) => void delivered.push(arn) });
  const msg = { kind: 'dead-letter' as const, body: '{}', attributes: {} };
  assert.equal(await d.deliver('arn:aws:sqs:us-east-1:000000000000:q', msg, { requestId: 'r' }), false);
  assert.equal(
    await d.deliver('arn:aws:lambda:us-east-1:000000000000:function:f', msg, { requestId: 'r' }),
    true,
  );
  assert.deepEqual(delivered, ['arn:aws:lambda:us-east-1:000000000000:function:f']);
  assert.deepEqual(d.failures(), { missingService: 1, failed: 0 });
  assert.equal(warnings.length, 1);
  assert.match(warnings[0] ?? '', /no sqs service/);
});
