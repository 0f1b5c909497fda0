/** Unit tests of the parity machinery itself (no server): normalisation and boto3's views. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Bindings, differences, errorView, outputView, validationSummary } from './recorded.js';

const UUID_A = '0f8fad5b-d9cb-469f-a165-70867728950e';
const UUID_B = '7c9e6679-7425-40de-944b-e07fc1f90ae7';

describe('parity machinery', () => {
  test('placeholders: account, partition and region are substituted; names unify', () => {
    const b = new Bindings();
    const expected = 'arn:<partition>:lambda:<region>:111111111111:function:<function-name:1>';
    assert.equal(b.normalise('arn:aws:lambda:us-east-1:000000000000:function:fn-1', expected), expected);
    assert.equal(b.valueOf('<function-name:1>'), 'fn-1');
  });

  test('the same placeholder must stand for the same value', () => {
    const b = new Bindings();
    assert.equal(b.normalise(UUID_A, '<uuid:1>'), '<uuid:1>');
    assert.equal(b.normalise(UUID_A, '<uuid:1>'), '<uuid:1>');
    assert.notEqual(b.normalise(UUID_B, '<uuid:1>'), '<uuid:1>');
  });

  test('two numbers of one kind must stand for two values', () => {
    const b = new Bindings();
    assert.equal(b.normalise(UUID_A, '<uuid:1>'), '<uuid:1>');
    // Lambent kept the revision where AWS changed it: shown as the placeholder it already has.
    assert.equal(b.normalise(UUID_A, '<uuid:2>'), '<uuid:1>');
  });

  test('a placeholder only matches values of its kind', () => {
    const b = new Bindings();
    assert.equal(b.normalise('not-a-uuid', '<uuid:1>'), 'not-a-uuid');
    assert.equal(b.normalise('2024-01-31T12:34:56.789+0000', 'date'), 'date');
    assert.equal(b.normalise('yesterday', 'date'), 'yesterday');
    assert.equal(b.normalise(276, '<code-size>'), '<code-size>');
  });

  test('unnumbered value placeholders (<location>) do not bind', () => {
    const b = new Bindings();
    assert.equal(b.normalise('http://127.0.0.1/a', '<location>'), '<location>');
    assert.equal(b.normalise('http://127.0.0.1/b', '<location>'), '<location>');
  });

  test('differences lists paths', () => {
    assert.deepEqual(differences({ a: 1, b: { c: 'x' } }, { a: 1, b: { c: 'y' }, d: true }), [
      '/b/c: recorded "y", Lambent "x"',
      '/d: recorded true, Lambent (absent)',
    ]);
  });

  test('outputView drops $metadata and nulls, adds ResponseMetadata', () => {
    assert.deepEqual(outputView({ $metadata: { httpStatusCode: 201 }, A: 1, B: null }), {
      A: 1,
      ResponseMetadata: { HTTPHeaders: {}, HTTPStatusCode: 201 },
    });
  });

  test('errorView reads the raw body like botocore: modeled members only, Message vs message kept', () => {
    const raw = (body: object, code: string, status: number) => ({
      statusCode: status,
      headers: { 'x-amzn-errortype': `${code}:http://internal.amazon.com/coral/com.amazonaws.lambda/` },
      body: Buffer.from(JSON.stringify(body)),
    });
    const sdkError = (code: string, status: number, body: object) => {
      const e = Object.assign(new Error('sdk message'), {
        name: code,
        $metadata: { httpStatusCode: status },
      });
      Object.defineProperty(e, '$response', {
        value: { [Symbol.for('lambent.parity.rawResponse')]: raw(body, code, status) },
      });
      return e;
    };
    assert.deepEqual(
      errorView(sdkError('ResourceNotFoundException', 404, { Type: 'User', Message: 'nope', Extra: 1 })),
      {
        Error: { Code: 'ResourceNotFoundException', Message: 'nope' },
        Type: 'User',
        Message: 'nope',
        ResponseMetadata: { HTTPHeaders: {}, HTTPStatusCode: 404 },
      },
    );
    // `message` is not a member of ResourceNotFoundException: the wrong key shows.
    assert.deepEqual(
      errorView(sdkError('ResourceNotFoundException', 404, { Type: 'User', message: 'nope' })),
      {
        Error: { Code: 'ResourceNotFoundException', Message: 'nope' },
        Type: 'User',
        ResponseMetadata: { HTTPHeaders: {}, HTTPStatusCode: 404 },
      },
    );
    // Not modeled by Lambda: no top-level members; a null message stays null.
    assert.deepEqual(errorView(sdkError('AccessDeniedException', 403, { Message: null })), {
      Error: { Code: 'AccessDeniedException', Message: null },
      ResponseMetadata: { HTTPHeaders: {}, HTTPStatusCode: 403 },
    });
  });

  test('validationSummary splits "N validation errors detected"', () => {
    const view = { Error: { Code: 'ValidationException', Message: '2 validation errors detected: a; b' } };
    assert.deepEqual(validationSummary(view), { Code: 'ValidationException', Count: 2, Errors: ['a', 'b'] });
    assert.deepEqual(validationSummary({ Error: { Code: 'X', Message: 'm' } }), { Code: 'X', Message: 'm' });
  });
});
