/**
 * Accepts a code package from a request: size limits with AWS's messages, a full
 * validation of the zip (no hostile entries, unzipped size within the quota, including the
 * layers the function uses), then a durable write to the blob store.
 */
import type { BlobStore } from '../../storage/blob-store.js';
import { unzippedTooLarge } from './code/errors.js';
import { codeDigest, inspectZip } from './code/zip-package.js';
import { withCodeFromS3 } from './code-from-s3.js';
import type { LambdaDeps } from './deps.js';
import { InvalidParameterValueException, RequestEntityTooLargeException } from './errors.js';

export interface CodeInput {
  ZipFile?: Buffer;
  S3Bucket?: string;
  S3Key?: string;
  S3ObjectVersion?: string;
  ImageUri?: string;
}

export interface AcceptedCode {
  codeKey: string;
  codeSha256: string;
  codeSize: number;
  unzippedSize: number;
}

export async function acceptZip(
  code: CodeInput,
  blobs: BlobStore,
  limits: { maxZippedCodeBytes: number; maxUnzippedCodeBytes: number },
  /** Unzipped bytes already taken by the layers the function references. */
  layersUnzipped = 0,
): Promise<AcceptedCode> {
  const zip = code.ZipFile;
  // An S3 location was read into ZipFile by acceptCode.
  if (!zip) throw new InvalidParameterValueException('Please provide a source for function code.');
  if (zip.length > limits.maxZippedCodeBytes) {
    throw new RequestEntityTooLargeException(
      `Zipped size must be smaller than ${limits.maxZippedCodeBytes} bytes`,
    );
  }
  // The quota covers the code and its layers together; AWS's message names the whole quota.
  const summary = await inspectZip(zip, {
    maxUnzippedBytes: limits.maxUnzippedCodeBytes - layersUnzipped,
  }).catch((err: unknown) => {
    if (
      layersUnzipped > 0 &&
      err instanceof Error &&
      err.message.startsWith('Unzipped size must be smaller')
    ) {
      throw unzippedTooLarge(limits.maxUnzippedCodeBytes);
    }
    throw err;
  });
  const { codeSha256, codeSize } = codeDigest(zip);
  const codeKey = await blobs.put(zip);
  return { codeKey, codeSha256, codeSize, unzippedSize: summary.unzippedBytes };
}

/**
 * A request's code package, uploaded or named by S3 location: read (code-from-s3.ts), then
 * accepted as above. A package from S3 may be as large as the unzipped quota.
 */
export async function acceptCode(
  deps: Pick<LambdaDeps, 'blobs' | 'limits' | 'codeObjects'>,
  input: CodeInput,
  ctx: { accountId: string },
  layersUnzipped = 0,
): Promise<AcceptedCode> {
  const max = deps.limits.maxUnzippedCodeBytes;
  const { code, fromS3 } = await withCodeFromS3(input, deps.codeObjects, ctx.accountId, max);
  const limits = fromS3 ? { ...deps.limits, maxZippedCodeBytes: max } : deps.limits;
  return acceptZip(code, deps.blobs, limits, layersUnzipped);
}
