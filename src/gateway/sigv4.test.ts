/**
 * SigV4 verifier tests. Requests are signed by the real SDK signer (@smithy/signature-v4, as
 * used by every @aws-sdk/client-*) and put on the "wire" with the SDK's own query builder, so
 * these tests fail when the verifier and the SDKs disagree, not when the verifier and its
 * author agree with each other.
 */

import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
// The query builder the SDK's Node HTTP handler uses to put request.query on the wire.
import { buildQueryString } from '@smithy/core/protocols';
import { SignatureV4 } from '@smithy/signature-v4';
import type { HttpRequest } from '@smithy/types';
import { NodeSha256 } from '../../test/support/sign.js';
import { AwsError } from '../shared/errors.js';
import type { SecretLookup, SignedRequestView } from './sigv4.js';
import {
  canonicalPath,
  canonicalQuery,
  createSigningKeyCache,
  parseQuery,
  readCredentialScope,
  verifySigV4,
} from './sigv4.js';

const CREDS = { accessKeyId: 'AKIDTEST', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const lookup: SecretLookup = (id) =>
  id === CREDS.accessKeyId
    ? { secretAccessKey: CREDS.secretAccessKey, accountId: '000000000000' }
    : undefined;
const T0 = new Date('2024-01-01T00:00:00Z');
const MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

function signer(service = 'lambda', extra: { uriEscapePath?: boolean; applyChecksum?: boolean } = {}) {
  return new SignatureV4({ service, region: 'us-east-1', credentials: CREDS, sha256: NodeSha256, ...extra });
}

function request(init: Partial<HttpRequest> = {}): HttpRequest {
  return {
    method: 'GET',
    protocol: 'http:',
    hostname: 'localhost',
    port: 4566,
    path: '/',
    query: {},
    ...init,
    headers: { host: 'localhost:4566', ...init.headers },
  };
}

/** What the gateway sees of a request the SDK sent. */
function toView(r: HttpRequest): SignedRequestView {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.headers)) headers[k.toLowerCase()] = v;
  return { method: r.method, rawPath: r.path, rawQuery: buildQueryString(r.query ?? {}), headers };
}

const hashOf =
  (body: string | Uint8Array = '') =>
  () =>
    createHash('sha256').update(body).digest('hex');
const notCalled = () => {
  throw new Error('payloadHash must not be called');
};

function expectAwsError(fn: () => unknown, code: string, message?: string | RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof AwsError, `expected an AwsError, got ${String(err)}`);
    assert.equal(err.code, code);
    assert.equal(err.status, 403);
    if (typeof message === 'string') assert.equal(err.message, message);
    else if (message) assert.match(err.message, message);
    return true;
  });
}

describe('verifySigV4 with requests signed by @smithy/signature-v4', () => {
  it('accepts a header-signed POST with a signed body', async () => {
    const body = JSON.stringify({ hello: 'world' });
    const signed = await signer().sign(
      request({
        method: 'POST',
        path: '/2015-03-31/functions',
        body,
        headers: { 'content-type': 'application/json' },
      }),
      { signingDate: T0 },
    );
    const id = verifySigV4(toView(signed), lookup, T0, hashOf(body));
    assert.deepEqual(id, {
      accessKeyId: CREDS.accessKeyId,
      accountId: '000000000000',
      region: 'us-east-1',
      service: 'lambda',
      sessionToken: undefined,
    });
  });

  it('accepts a request signed without x-amz-content-sha256 (botocore style), hashing the body', async () => {
    const body = 'payload';
    const signed = await signer('lambda', { applyChecksum: false }).sign(
      request({ method: 'POST', path: '/x', body }),
      { signingDate: T0 },
    );
    assert.equal(signed.headers['x-amz-content-sha256'], undefined);
    verifySigV4(toView(signed), lookup, T0, hashOf(body));
  });

  it('accepts UNSIGNED-PAYLOAD without hashing the body', async () => {
    const signed = await signer().sign(
      request({
        method: 'PUT',
        path: '/x',
        body: 'anything',
        headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
      }),
      { signingDate: T0 },
    );
    verifySigV4(toView(signed), lookup, T0, notCalled);
  });

  it('double-encodes a Lambda path with encoded characters', async () => {
    const path =
      '/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Af/invocations';
    assert.equal(
      canonicalPath(path, 'lambda'),
      '/2015-03-31/functions/arn%253Aaws%253Alambda%253Aus-east-1%253A000000000000%253Afunction%253Af/invocations',
    );
    const body = '{"a":1}';
    const signed = await signer().sign(request({ method: 'POST', path, body }), { signingDate: T0 });
    verifySigV4(toView(signed), lookup, T0, hashOf(body));
  });

  it('normalises dot segments and empty segments like the SDK', async () => {
    const path = '/a/./b/../c//d%20e/';
    assert.equal(canonicalPath(path, 'lambda'), '/a/c/d%2520e/');
    const signed = await signer().sign(request({ path }), { signingDate: T0 });
    verifySigV4(toView(signed), lookup, T0, hashOf());
  });

  it('canonicalises awkward query strings (spaces, =, /, +, unicode, repeated and empty values)', async () => {
    const query = {
      'a b': 'c d',
      'k=ey': 'v=al/ue',
      plus: 'a+b',
      uni: 'ünïcødé ✓ 😀',
      rep: ['2', '10', '1', 'b', 'a'],
      empty: '',
      'tilde~-_.': "*!'()",
    };
    const signed = await signer().sign(request({ path: '/q', query }), { signingDate: T0 });
    const view = toView(signed);
    verifySigV4(view, lookup, T0, hashOf());
    assert.match(
      canonicalQuery(parseQuery(view.rawQuery), false),
      /^a%20b=c%20d&empty=&k%3Dey=v%3Dal%2Fue&plus=a%2Bb&rep=1&rep=10&rep=2&rep=a&rep=b&tilde~-_.=%2A%21%27%28%29&uni=/,
    );
  });

  it('treats a raw + in the query as a literal plus and tolerates sloppy encodings', () => {
    // Hand-built URLs: lower-case hex, unencoded reserved characters, a bare key, bad escapes.
    const params = parseQuery('b=%2b+x&a=%3a!&flag&c=%zz%4');
    assert.equal(canonicalQuery(params, false), 'a=%3A%21&b=%2B%2Bx&c=%25zz%254&flag=');
  });

  it('accepts a presigned non-S3 URL (signed over the hash of the empty body)', async () => {
    const presigned = await signer().presign(
      request({ path: '/2015-03-31/functions/f', query: { Qualifier: '$LATEST' } }),
      {
        signingDate: T0,
        expiresIn: 900,
      },
    );
    const view = toView(presigned);
    const scope = readCredentialScope(view);
    assert.equal(scope?.presigned, true);
    assert.equal(scope?.service, 'lambda');
    assert.equal(scope?.accessKeyId, CREDS.accessKeyId);
    verifySigV4(view, lookup, new Date(T0.getTime() + 899_000), hashOf(''));
  });

  it('passes the parsed scope back without re-parsing and carries the session token', async () => {
    const withToken = new SignatureV4({
      service: 'lambda',
      region: 'us-east-1',
      credentials: { ...CREDS, sessionToken: 'tok/en+=' },
      sha256: NodeSha256,
    });
    const presigned = await withToken.presign(request({ path: '/p' }), { signingDate: T0 });
    const view = toView(presigned);
    const parsed = readCredentialScope(view);
    assert.ok(parsed);
    const id = verifySigV4(view, lookup, T0, hashOf(''), { parsed, keyCache: createSigningKeyCache(4) });
    assert.equal(id.sessionToken, 'tok/en+=');
    const headerSigned = await withToken.sign(request({ path: '/h' }), { signingDate: T0 });
    assert.equal(verifySigV4(toView(headerSigned), lookup, T0, hashOf('')).sessionToken, 'tok/en+=');
  });

  it('rejects an expired or not yet valid presigned URL in S3 words', async () => {
    const presigned = await signer().presign(request({ path: '/p' }), { signingDate: T0, expiresIn: 60 });
    const view = toView(presigned);
    expectAwsError(
      () => verifySigV4(view, lookup, new Date(T0.getTime() + 61_000), hashOf('')),
      'AccessDeniedException',
      'Request has expired',
    );
    expectAwsError(
      () => verifySigV4(view, lookup, new Date(T0.getTime() - 6 * 60_000), hashOf('')),
      'AccessDeniedException',
      'Request is not yet valid',
    );
  });

  it('rejects a malformed X-Amz-Expires and missing presign parameters', () => {
    const base =
      'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDTEST%2F20240101%2Fus-east-1%2Flambda%2Faws4_request&X-Amz-Date=20240101T000000Z&X-Amz-SignedHeaders=host&X-Amz-Signature=00';
    const view = (q: string): SignedRequestView => ({
      method: 'GET',
      rawPath: '/',
      rawQuery: q,
      headers: { host: 'h' },
    });
    expectAwsError(
      () => readCredentialScope(view(`${base}&X-Amz-Expires=abc`)),
      'IncompleteSignatureException',
      'X-Amz-Expires should be a number',
    );
    expectAwsError(
      () => readCredentialScope(view(`${base}&X-Amz-Expires=604801`)),
      'IncompleteSignatureException',
      'X-Amz-Expires must be less than a week (in seconds) that is 604800',
    );
    expectAwsError(
      () => readCredentialScope(view('X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20240101T000000Z')),
      'IncompleteSignatureException',
      "AWS query-string parameters must include 'X-Amz-Credential'. AWS query-string parameters must include 'X-Amz-Signature'. AWS query-string parameters must include 'X-Amz-SignedHeaders'. Re-examine the query-string parameters.",
    );
  });

  it('verifies S3 requests over the path as sent (no normalisation, no double encoding)', async () => {
    const s3 = signer('s3', { uriEscapePath: false });
    const path = '/bucket/dir/./my%20key%3Aa//b';
    assert.equal(canonicalPath(path, 's3'), path);
    const signed = await s3.sign(
      request({ method: 'PUT', path, body: 'data', headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } }),
      { signingDate: T0 },
    );
    verifySigV4(toView(signed), lookup, T0, notCalled);

    const body = 'object body';
    const signedBody = await s3.sign(request({ method: 'PUT', path, body }), { signingDate: T0 });
    verifySigV4(toView(signedBody), lookup, T0, hashOf(body));

    // The S3 presigner sets x-amz-content-sha256: UNSIGNED-PAYLOAD; the signer hoists it into the query.
    const presigned = await s3.presign(
      request({
        path: '/bucket/k%2Bey',
        query: { 'x-id': 'GetObject' },
        headers: { 'X-Amz-Content-Sha256': 'UNSIGNED-PAYLOAD' },
      }),
      { signingDate: T0 },
    );
    assert.equal(presigned.query?.['X-Amz-Content-Sha256'], 'UNSIGNED-PAYLOAD');
    verifySigV4(toView(presigned), lookup, T0, notCalled);
    const lower = await s3.presign(
      request({ path: '/bucket/k', headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } }),
      { signingDate: T0 },
    );
    verifySigV4(toView(lower), lookup, T0, notCalled);
  });

  it('joins repeated headers with commas and trims header values', async () => {
    const signed = await signer().sign(
      request({ path: '/h', headers: { 'x-multi': 'a,b', 'x-spaces': '  one   two\tthree  ' } }),
      { signingDate: T0, signableHeaders: new Set(['x-multi', 'x-spaces']) },
    );
    const view = toView(signed);
    view.headers['x-multi'] = ['a', ' b '];
    view.headers['x-spaces'] = 'one two \t three';
    verifySigV4(view, lookup, T0, hashOf());
  });

  it('rejects a wrong secret, an unknown key and a signed header that went missing', async () => {
    const signed = await signer().sign(request({ path: '/x', headers: { 'x-extra': '1' } }), {
      signingDate: T0,
    });
    const view = toView(signed);
    expectAwsError(
      () => verifySigV4(view, () => ({ secretAccessKey: 'other', accountId: '1' }), T0, hashOf()),
      'InvalidSignatureException',
      MISMATCH,
    );
    expectAwsError(
      () => verifySigV4(view, () => undefined, T0, hashOf()),
      'UnrecognizedClientException',
      'The security token included in the request is invalid.',
    );
    const { 'x-extra': _dropped, ...rest } = view.headers;
    expectAwsError(
      () => verifySigV4({ ...view, headers: rest }, lookup, T0, hashOf()),
      'InvalidSignatureException',
      MISMATCH,
    );
    // Tampered path, query, method and signature all fail too.
    expectAwsError(
      () => verifySigV4({ ...view, rawPath: '/y' }, lookup, T0, hashOf()),
      'InvalidSignatureException',
      MISMATCH,
    );
    expectAwsError(
      () => verifySigV4({ ...view, rawQuery: 'a=1' }, lookup, T0, hashOf()),
      'InvalidSignatureException',
      MISMATCH,
    );
    expectAwsError(
      () => verifySigV4({ ...view, method: 'DELETE' }, lookup, T0, hashOf()),
      'InvalidSignatureException',
      MISMATCH,
    );
    const upper = String(view.headers.authorization).replace(
      /Signature=(\w+)/,
      (_m, s: string) => `Signature=${s.toUpperCase()}`,
    );
    expectAwsError(
      () =>
        verifySigV4({ ...view, headers: { ...view.headers, authorization: upper } }, lookup, T0, hashOf()),
      'InvalidSignatureException',
      MISMATCH,
    );
  });

  it('rejects a body changed after signing, with or without x-amz-content-sha256', async () => {
    const body = '{"amount":1}';
    const withHeader = await signer().sign(request({ method: 'POST', path: '/x', body }), {
      signingDate: T0,
    });
    assert.ok(withHeader.headers['x-amz-content-sha256']);
    expectAwsError(
      () => verifySigV4(toView(withHeader), lookup, T0, hashOf('{"amount":9}')),
      'InvalidSignatureException',
      MISMATCH,
    );
    const without = await signer('lambda', { applyChecksum: false }).sign(
      request({ method: 'POST', path: '/x', body }),
      {
        signingDate: T0,
      },
    );
    expectAwsError(
      () => verifySigV4(toView(without), lookup, T0, hashOf('{"amount":9}')),
      'InvalidSignatureException',
      MISMATCH,
    );
  });

  it('rejects requests outside the five-minute window with AWS messages', async () => {
    const now = new Date('2024-01-01T00:10:00Z');
    const old = await signer().sign(request(), { signingDate: new Date('2024-01-01T00:00:00Z') });
    expectAwsError(
      () => verifySigV4(toView(old), lookup, now, hashOf()),
      'InvalidSignatureException',
      'Signature expired: 20240101T000000Z is now earlier than 20240101T000500Z (20240101T001000Z - 5 min.)',
    );
    const future = await signer().sign(request(), { signingDate: new Date('2024-01-01T00:20:00Z') });
    expectAwsError(
      () => verifySigV4(toView(future), lookup, now, hashOf()),
      'InvalidSignatureException',
      'Signature not yet current: 20240101T002000Z is still later than 20240101T001500Z (20240101T001000Z + 5 min.)',
    );
    // Exactly five minutes either way is still fine.
    const edge = await signer().sign(request(), { signingDate: new Date('2024-01-01T00:05:00Z') });
    verifySigV4(toView(edge), lookup, now, hashOf());
  });

  it('accepts requests sent by the real LambdaClient (Invoke by ARN)', async () => {
    const captured: HttpRequest[] = [];
    const client = new LambdaClient({
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:4566',
      credentials: CREDS,
      maxAttempts: 1,
      requestHandler: {
        handle: async (req: HttpRequest) => {
          captured.push(req);
          throw new Error('captured');
        },
      },
    });
    await assert.rejects(
      client.send(
        new InvokeCommand({
          FunctionName: 'arn:aws:lambda:us-east-1:000000000000:function:f',
          Qualifier: '$LATEST',
          Payload: new TextEncoder().encode('{"k":"v"}'),
        }),
      ),
      /captured/,
    );
    const sent = captured[0];
    assert.ok(sent);
    assert.match(sent.path, /arn%3Aaws%3Alambda/);
    verifySigV4(toView(sent), lookup, new Date(), hashOf(sent.body as Uint8Array));
  });

  it('matches the AWS SigV4 test suite vector get-vanilla', () => {
    const view: SignedRequestView = {
      method: 'GET',
      rawPath: '/',
      rawQuery: '',
      headers: {
        host: 'example.amazonaws.com',
        'x-amz-date': '20150830T123600Z',
        authorization:
          'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
      },
    };
    const example: SecretLookup = () => ({ secretAccessKey: CREDS.secretAccessKey, accountId: '1' });
    verifySigV4(view, example, new Date('2015-08-30T12:36:00Z'), hashOf(''));
  });
});

describe('readCredentialScope and malformed signatures', () => {
  const DATE = '20240101T000000Z';
  const GOOD = `AWS4-HMAC-SHA256 Credential=AKIDTEST/20240101/us-east-1/lambda/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`;
  const view = (
    authorization: string | undefined,
    extra: Record<string, string> = {},
  ): SignedRequestView => ({
    method: 'GET',
    rawPath: '/',
    rawQuery: '',
    headers: {
      host: 'localhost',
      'x-amz-date': DATE,
      ...(authorization === undefined ? {} : { authorization }),
      ...extra,
    },
  });

  it('returns the scope, or undefined when unsigned', () => {
    assert.deepEqual(
      (({ accessKeyId, date, region, service, presigned }) => ({
        accessKeyId,
        date,
        region,
        service,
        presigned,
      }))(readCredentialScope(view(GOOD)) ?? ({} as never)),
      { accessKeyId: 'AKIDTEST', date: '20240101', region: 'us-east-1', service: 'lambda', presigned: false },
    );
    assert.equal(readCredentialScope(view(undefined)), undefined);
    assert.equal(readCredentialScope(view('   ')), undefined);
    expectAwsError(
      () => verifySigV4(view(undefined), lookup, T0, hashOf()),
      'MissingAuthenticationTokenException',
      'Missing Authentication Token',
    );
  });

  it('reports missing parameters the way AWS does', () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.e30.abc';
    expectAwsError(
      () => readCredentialScope(view(jwt, { 'x-amz-date': '' })),
      'IncompleteSignatureException',
      `Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization=${jwt}`,
    );
    const noSig =
      'AWS4-HMAC-SHA256 Credential=AKIDTEST/20240101/us-east-1/lambda/aws4_request, SignedHeaders=host';
    expectAwsError(
      () => readCredentialScope({ ...view(noSig), headers: { host: 'h', authorization: noSig } }),
      'IncompleteSignatureException',
      `Authorization header requires 'Signature' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=${noSig}`,
    );
  });

  it('reports a pair without "=" by hash only', () => {
    const bearer = 'Bearer secret-token';
    const digest = createHash('sha256').update(bearer).digest('base64');
    expectAwsError(
      () => readCredentialScope(view(bearer)),
      'IncompleteSignatureException',
      `Invalid key=value pair (missing equal-sign) in Authorization header (hashed with SHA-256 and encoded with Base64): '${digest}'.`,
    );
    expectAwsError(
      () => readCredentialScope(view(GOOD.replace('Credential=', 'Credential= '))),
      'IncompleteSignatureException',
      /missing equal-sign/,
    );
  });

  it('rejects bad dates, unsigned Host, other algorithms and bad credentials', () => {
    expectAwsError(
      () => readCredentialScope(view(GOOD, { 'x-amz-date': '2024-01-01T00:00:00Z' })),
      'IncompleteSignatureException',
      "Date must be in ISO-8601 'basic format'. Got '2024-01-01T00:00:00Z'. See http://en.wikipedia.org/wiki/ISO_8601",
    );
    expectAwsError(
      () => readCredentialScope(view(GOOD, { 'x-amz-date': '20240230T000000Z' })),
      'IncompleteSignatureException',
      /basic format/,
    );
    expectAwsError(
      () => readCredentialScope(view(GOOD.replace('host;', ''))),
      'InvalidSignatureException',
      "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
    );
    expectAwsError(
      () => readCredentialScope(view(GOOD.replace('AWS4-HMAC-SHA256', 'AWS4-HMAC-SHA512'))),
      'IncompleteSignatureException',
      "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512' (only AWS4-HMAC-SHA256 for now). ",
    );
    expectAwsError(
      () => readCredentialScope(view(GOOD.replace('/aws4_request', ''))),
      'IncompleteSignatureException',
      "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'AKIDTEST/20240101/us-east-1/lambda'",
    );
    expectAwsError(
      () =>
        readCredentialScope(
          view(GOOD.replace('aws4_request', 'aws5_request').replace('20240101/', '20240102/')),
        ),
      'InvalidSignatureException',
      "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20240102' != '20240101', from '20240101T000000Z'. ",
    );
  });

  it('accepts the Date header in HTTP format when X-Amz-Date is absent', () => {
    const v = view(GOOD.replace('host;x-amz-date', 'date;host'));
    delete v.headers['x-amz-date'];
    v.headers.date = 'Mon, 01 Jan 2024 00:00:00 GMT';
    assert.equal(readCredentialScope(v)?.amzDate, DATE);
  });

  it('never throws anything but AWS errors on garbage', () => {
    let seed = 42;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const alphabet = [
      'a',
      'Z',
      '0',
      ' ',
      ',',
      '=',
      '/',
      ';',
      '%',
      '%4',
      '%zz',
      '+',
      '&',
      '?',
      '.',
      '..',
      '\t',
      'é',
      '😀',
      '\ud800',
      '\udfff',
      'AWS4-HMAC-SHA256',
      'Credential=',
      'SignedHeaders=',
      'Signature=',
      'aws4_request',
      'X-Amz-Algorithm=',
      'host',
      '20240101T000000Z',
    ];
    const garbage = (len: number) =>
      Array.from({ length: len }, () => alphabet[rand(alphabet.length)]).join('');
    for (let i = 0; i < 2000; i++) {
      const headers: SignedRequestView['headers'] = {
        host: garbage(3),
        'x-amz-date': rand(2) ? DATE : garbage(5),
      };
      if (rand(4))
        headers.authorization = rand(2)
          ? GOOD.slice(0, rand(GOOD.length)) + garbage(rand(20))
          : garbage(rand(40));
      if (rand(5) === 0) headers['x-amz-content-sha256'] = garbage(4);
      if (rand(5) === 0) headers['x-multi'] = [garbage(3), garbage(3)];
      const v: SignedRequestView = {
        method: garbage(2),
        rawPath: garbage(rand(30)),
        rawQuery: garbage(rand(40)),
        headers,
      };
      try {
        verifySigV4(v, lookup, T0, hashOf());
        assert.fail('garbage must not verify');
      } catch (err) {
        assert.ok(err instanceof AwsError, `non-AWS error for ${JSON.stringify(v)}: ${String(err)}`);
      }
    }
    const huge = `AWS4-HMAC-SHA256 Credential=${'A'.repeat(200_000)}/20240101/us-east-1/lambda/aws4_request, SignedHeaders=${'h;'.repeat(50_000)}host, Signature=${'f'.repeat(64)}`;
    expectAwsError(() => verifySigV4(view(huge), lookup, T0, hashOf()), 'UnrecognizedClientException');
    expectAwsError(
      () => verifySigV4(view(`${'x '.repeat(100_000)}`), lookup, T0, hashOf()),
      'IncompleteSignatureException',
    );
  });
});

describe('createSigningKeyCache', () => {
  it('derives each signing key once and stays bounded', () => {
    const cache = createSigningKeyCache(2);
    const a = cache.get('secret', '20240101', 'us-east-1', 'lambda');
    assert.equal(cache.get('secret', '20240101', 'us-east-1', 'lambda'), a);
    // The documented derivation, for one independent check of the bytes.
    let k: Buffer = createHmac('sha256', 'AWS4secret').update('20240101').digest();
    for (const part of ['us-east-1', 'lambda', 'aws4_request'])
      k = createHmac('sha256', k).update(part).digest();
    assert.deepEqual(a, k);
    cache.get('secret', '20240102', 'us-east-1', 'lambda');
    cache.get('secret', '20240103', 'us-east-1', 'lambda');
    assert.notEqual(cache.get('secret', '20240101', 'us-east-1', 'lambda'), a); // evicted, derived again
  });
});
