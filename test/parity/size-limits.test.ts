/**
 * Parity: code and request size limits against `TestLambdaSizeLimits::test_oversized_*` of
 * test_lambda_api.snapshot.json. The archives are built cheaply: zeros deflated once and
 * repeated under many names (a ~300 KB zip that unzips past 250 MB), and stored entries for the
 * zipped-size cases (the recorded test padded its code with '#' into an uncompressed archive).
 *
 * Not replayed: test_large_lambda (needs code from S3, not implemented yet).
 */
import { describe } from 'node:test';
import { CreateFunctionCommand, type CreateFunctionCommandInput } from '@aws-sdk/client-lambda';
import { parityCase, parityServer, ROLE, uniqueName } from './harness.js';
import { call } from './recorded.js';
import { buildZip, deflatedEntry, storedEntry } from './zip-builder.js';

const ps = parityServer();

const CODE_SIZE_ZIPPED = 52_428_800; // config.LAMBDA_LIMITS_CODE_SIZE_ZIPPED
const CODE_SIZE_UNZIPPED = 262_144_000; // config.LAMBDA_LIMITS_CODE_SIZE_UNZIPPED
const CREATE_FUNCTION_REQUEST_SIZE = 70_167_211; // config.LAMBDA_LIMITS_CREATE_FUNCTION_REQUEST_SIZE
const MIB = 1024 * 1024;
const HANDLER = 'def handler(event, context):\n    return event\n';

/** `_generate_sized_python_str`: the handler padded with '#' to `size` characters. */
function sizedPython(size: number): Buffer {
  const head = Buffer.from(HANDLER);
  return Buffer.concat([head, Buffer.alloc(size - head.length, '#')]);
}

/** Unzips to just over 250 MiB: 250 × 1 MiB of zeros (deflated once, ~1 KB each) plus the handler. */
function oversizedUnzippedZip(): Buffer {
  const chunk = deflatedEntry('pad/0.bin', Buffer.alloc(MIB));
  const entries = [storedEntry('handler.py', HANDLER)];
  for (let i = 0; i < CODE_SIZE_UNZIPPED / MIB; i++) entries.push({ ...chunk, name: `pad/${i}.bin` });
  return buildZip(entries);
}

function createInput(
  zip: Buffer,
  extra: Partial<CreateFunctionCommandInput> = {},
): CreateFunctionCommandInput {
  return {
    FunctionName: uniqueName('test_lambda'),
    Runtime: 'python3.12',
    Handler: 'handler.handler',
    Role: ROLE,
    Code: { ZipFile: zip },
    Timeout: 10,
    ...extra,
  };
}

const create = (input: CreateFunctionCommandInput) => call(ps.lambda.send(new CreateFunctionCommand(input)));

describe('parity: size limits', { concurrency: false }, () => {
  // Recorded with code from S3; the limit and message are the same for ZipFile (checked on unzip).
  parityCase('TestLambdaSizeLimits::test_oversized_unzipped_lambda', {}, async (rec) => {
    rec.match('invalid_param_exc', await create(createInput(oversizedUnzippedZip())));
  });

  parityCase('TestLambdaSizeLimits::test_oversized_lambda', {}, async (rec) => {
    rec.match('invalid_param_exc', await create(createInput(oversizedUnzippedZip())));
  });

  parityCase(
    'TestLambdaSizeLimits::test_oversized_zipped_create_lambda',
    { timeout: 60_000 },
    async (rec) => {
      // An uncompressed archive just over 50 MB: the zipped-size check comes before the request-size one.
      const zip = buildZip([storedEntry('handler.py', sizedPython(CODE_SIZE_ZIPPED))]);
      rec.match('invalid_param_exc', await create(createInput(zip)));
    },
  );

  parityCase(
    'TestLambdaSizeLimits::test_oversized_request_create_lambda',
    { timeout: 60_000 },
    async (rec) => {
      // Slightly below the zipped limit, plus an environment that pushes the request past its limit.
      const zip = buildZip([storedEntry('handler.py', sizedPython(CODE_SIZE_ZIPPED - 1024))]);
      const largeEnv = sizedPython(CREATE_FUNCTION_REQUEST_SIZE - CODE_SIZE_ZIPPED + MIB).toString();
      rec.match(
        'invalid_param_exc',
        await create(createInput(zip, { Environment: { Variables: { largeKey: largeEnv } } })),
      );
    },
  );
});
