/**
 * Hostile and malformed requests get AWS's errors, with the right status and type, and
 * nothing is written: bad signatures, unknown keys, unknown operations, malformed JSON,
 * wrong types, zip slip, zip bombs and oversized bodies. The server keeps serving.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  CreateFunctionCommand,
  GetFunctionCommand,
  type LambdaClient,
  ListFunctionsCommand,
} from '@aws-sdk/client-lambda';
import { removeDataDir, startServer, type TestServer } from './support/server.js';
import { signedFetch } from './support/sign.js';
import { NODE_HANDLER, zipOf } from './support/zips.js';

const ROLE = 'arn:aws:iam::000000000000:role/r';

/** Every file under a directory (to prove a refused request wrote nothing). */
function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath ?? e.path, e.name))
    .sort();
}

describe('bad input', () => {
  let server: TestServer;
  let lambda: LambdaClient;
  let blobsDir: string;

  before(async () => {
    server = await startServer();
    lambda = server.lambda();
    blobsDir = path.join(server.dataDir, 'blobs');
  });
  after(async () => {
    await server.stop();
    removeDataDir(server.dataDir);
  });

  test('a wrong secret is InvalidSignatureException 403', async () => {
    await assert.rejects(
      server.lambda({ secretAccessKey: 'wrong' }).send(new ListFunctionsCommand({})),
      (err: Error & { $metadata: { httpStatusCode: number } }) => {
        assert.equal(err.name, 'InvalidSignatureException');
        assert.equal(err.$metadata.httpStatusCode, 403);
        assert.match(
          err.message,
          /^The request signature we calculated does not match the signature you provided/,
        );
        return true;
      },
    );
  });

  test('an unknown access key is UnrecognizedClientException 403', async () => {
    await assert.rejects(server.lambda({ accessKeyId: 'AKIDUNKNOWN' }).send(new ListFunctionsCommand({})), {
      name: 'UnrecognizedClientException',
      message: 'The security token included in the request is invalid.',
    });
  });

  test('no signature at all is MissingAuthenticationTokenException 403 with a request id', async () => {
    const res = await fetch(`${server.url}/2015-03-31/functions/`);
    assert.equal(res.status, 403);
    assert.equal(res.headers.get('x-amzn-errortype'), 'MissingAuthenticationTokenException');
    assert.match(res.headers.get('x-amzn-requestid') ?? '', /^[0-9a-f-]{36}$/);
    assert.deepEqual(await res.json(), { message: 'Missing Authentication Token' });
  });

  test('a signature from 10 minutes ago is refused as expired', async () => {
    const res = await signedFetch(server.url, '/2015-03-31/functions/', {
      signingDate: new Date(Date.now() - 10 * 60_000),
    });
    assert.equal(res.status, 403);
    assert.equal(res.headers.get('x-amzn-errortype'), 'InvalidSignatureException');
    assert.match(
      ((await res.json()) as { message: string }).message,
      /^Signature expired: \d{8}T\d{6}Z is now earlier than/,
    );
  });

  test('an unknown operation gets an AWS error, not a crash', async () => {
    const res = await signedFetch(server.url, '/2015-03-31/no-such-thing');
    assert.equal(res.status, 404);
    assert.equal(res.headers.get('x-amzn-errortype'), 'UnknownOperationException');
  });

  test('malformed JSON is a 400 SerializationException', async () => {
    const res = await signedFetch(server.url, '/2015-03-31/functions', {
      method: 'POST',
      body: '{"FunctionName": "x",',
    });
    assert.equal(res.status, 400);
    assert.equal(res.headers.get('x-amzn-errortype'), 'SerializationException');
  });

  test('a wrong JSON type is a 400, not a 500', async () => {
    const res = await signedFetch(server.url, '/2015-03-31/functions', {
      method: 'POST',
      body: JSON.stringify({
        FunctionName: 'f',
        Role: ROLE,
        Runtime: 'nodejs20.x',
        Handler: 'a.b',
        MemorySize: 'big',
        Code: { ZipFile: '' },
      }),
    });
    assert.equal(res.status, 400);
    assert.equal(res.headers.get('x-amzn-errortype'), 'SerializationException');
  });

  test('a missing required member is AWS validation wording', async () => {
    await assert.rejects(
      lambda.send(
        new CreateFunctionCommand({
          FunctionName: 'f',
          Runtime: 'nodejs20.x',
          Handler: 'a.b',
          Code: { ZipFile: Buffer.from('x') },
        } as never),
      ),
      {
        name: 'ValidationException',
        message:
          "1 validation error detected: Value null at 'role' failed to satisfy constraint: Member must not be null",
      },
    );
  });

  test('zip slip is refused and nothing is stored', async () => {
    const before = filesUnder(blobsDir);
    const evil = await zipOf({ 'index.js': NODE_HANDLER });
    // Rewrite the entry name in both headers to climb out of the code directory.
    const slip = Buffer.from(
      evil.toString('latin1').replaceAll('index.js', '../../x.js'.slice(0, 8)),
      'latin1',
    );
    await assert.rejects(
      lambda.send(
        new CreateFunctionCommand({
          FunctionName: 'slip',
          Runtime: 'nodejs20.x',
          Handler: 'index.handler',
          Role: ROLE,
          Code: { ZipFile: slip },
        }),
      ),
      {
        name: 'InvalidParameterValueException',
        message: 'Could not unzip uploaded file. Please check your file, then try to upload again.',
      },
    );
    assert.deepEqual(filesUnder(blobsDir), before);
    await assert.rejects(lambda.send(new GetFunctionCommand({ FunctionName: 'slip' })), {
      name: 'ResourceNotFoundException',
    });
  });

  test('a zip bomb is stopped at the unzipped limit', async () => {
    const before = filesUnder(blobsDir);
    // 300 MB of zeros deflates to ~300 KB: over the 250 MB unzipped quota.
    const bomb = await zipOf({ 'zeros.bin': Buffer.alloc(300 * 1024 * 1024) });
    assert.ok(bomb.length < 1024 * 1024);
    const started = Date.now();
    await assert.rejects(
      lambda.send(
        new CreateFunctionCommand({
          FunctionName: 'bomb',
          Runtime: 'nodejs20.x',
          Handler: 'index.handler',
          Role: ROLE,
          Code: { ZipFile: bomb },
        }),
      ),
      {
        name: 'InvalidParameterValueException',
        message: 'Unzipped size must be smaller than 262144000 bytes',
      },
    );
    assert.ok(Date.now() - started < 5000, 'refused quickly');
    assert.deepEqual(filesUnder(blobsDir), before);
  });

  test('a corrupt zip is AWS\'s "Could not unzip"', async () => {
    await assert.rejects(
      lambda.send(
        new CreateFunctionCommand({
          FunctionName: 'corrupt',
          Runtime: 'nodejs20.x',
          Handler: 'i.h',
          Role: ROLE,
          Code: { ZipFile: Buffer.from('PK\u0003\u0004 not really a zip') },
        }),
      ),
      {
        name: 'InvalidParameterValueException',
        message: 'Could not unzip uploaded file. Please check your file, then try to upload again.',
      },
    );
  });

  test('an oversized request body is 413 RequestEntityTooLargeException and is not buffered', async () => {
    const res = await signedFetch(server.url, '/2015-03-31/functions', {
      method: 'POST',
      body: Buffer.alloc(71 * 1024 * 1024, 0x20),
      headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
    });
    assert.equal(res.status, 413);
    assert.equal(res.headers.get('x-amzn-errortype'), 'RequestEntityTooLargeException');
    assert.deepEqual(await res.json(), {
      message: 'Request must be smaller than 70167211 bytes for the CreateFunction operation',
    });
  });

  test('after all that, the server still serves', async () => {
    const zip = await zipOf({ 'index.js': NODE_HANDLER });
    const created = await lambda.send(
      new CreateFunctionCommand({
        FunctionName: 'fine',
        Runtime: 'nodejs20.x',
        Handler: 'index.handler',
        Role: ROLE,
        Code: { ZipFile: zip },
      }),
    );
    assert.equal(created.CodeSha256, createHash('sha256').update(zip).digest('base64'));
  });
});
