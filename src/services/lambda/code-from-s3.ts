/**
 * Code packages named by S3 location (`Code.S3Bucket`/`S3Key` of CreateFunction,
 * UpdateFunctionCode's `S3Bucket`/`S3Key`, PublishLayerVersion's `Content`): read from Lambent's
 * S3 as the calling account, then accepted like an uploaded zip. Failures are AWS's
 * InvalidParameterValueException naming S3's error (recorded: NoSuchBucket, NoSuchKey).
 *
 * Lambda defines what it needs (`CodeObjects`); the S3 service provides it (registry.ts), so
 * neither imports the other's internals. Objects are versioned nowhere yet: an
 * `S3ObjectVersion` other than `null` names a version that does not exist (Lambent's choice of
 * AWS's wording, not recorded).
 */
import type { CodeInput } from './code-intake.js';
import { InvalidParameterValueException } from './errors.js';

export type CodeObjectError = 'NoSuchBucket' | 'NoSuchKey' | 'EntityTooLarge';

export interface CodeObjects {
  /** The object's bytes as `accountId` reads them (another account's bucket does not exist for it). */
  read(
    accountId: string,
    bucket: string,
    key: string,
    maxBytes: number,
  ): Promise<{ bytes: Buffer } | { error: CodeObjectError }>;
}

const S3_MESSAGES: Record<CodeObjectError | 'NoSuchVersion', string> = {
  NoSuchBucket: 'The specified bucket does not exist',
  NoSuchKey: 'The specified key does not exist.',
  NoSuchVersion: 'The specified version does not exist.',
  EntityTooLarge: 'Your proposed upload exceeds the maximum allowed size',
};

function getObjectFailed(code: keyof typeof S3_MESSAGES): InvalidParameterValueException {
  return new InvalidParameterValueException(
    `Error occurred while GetObject. S3 Error Code: ${code}. S3 Error Message: ${S3_MESSAGES[code]}`,
  );
}

/**
 * The code input with its zip read from S3 when it names an S3 location (`fromS3` says so: such
 * a package may be as large as the unzipped quota, not the 50 MB of a direct upload).
 */
export async function withCodeFromS3(
  code: CodeInput,
  objects: CodeObjects | undefined,
  accountId: string,
  maxBytes: number,
): Promise<{ code: CodeInput; fromS3: boolean }> {
  if (code.ZipFile || !code.S3Bucket) return { code, fromS3: false };
  if (!objects) throw getObjectFailed('NoSuchBucket');
  if (!code.S3Key) throw new InvalidParameterValueException('Please provide a source for function code.');
  if (code.S3ObjectVersion !== undefined && code.S3ObjectVersion !== 'null') {
    throw getObjectFailed('NoSuchVersion');
  }
  const got = await objects.read(accountId, code.S3Bucket, code.S3Key, maxBytes);
  if ('error' in got) throw getObjectFailed(got.error);
  return { code: { ZipFile: got.bytes }, fromS3: true };
}
