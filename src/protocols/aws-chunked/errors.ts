/**
 * The S3 errors an upload body can fail with, named, worded and given the status S3 gives them.
 * Sources: the recordings in test/conformance/aws-recorded/test_s3.snapshot.json (BadDigest,
 * InvalidDigest, InvalidRequest checksum messages, EntityTooLarge), AWS's S3 error code list,
 * and, where neither says, what S3-compatible servers report AWS answering (marked "unrecorded").
 * Extra members of S3's XML error body (ExpectedDigest, Chunk, ...) travel in `fields`.
 */

import type { ChecksumAlgorithm } from '../../shared/checksums.js';
import { AwsError, awsError } from '../../shared/errors.js';

/** Content-MD5 did not match the body (recorded for PutObject and UploadPart). */
export class BadDigestException extends AwsError {
  constructor(message: string, fields: Record<string, unknown> = {}) {
    super('BadDigest', message, 400, { fields });
  }
}

export function contentMd5Mismatch(expectedDigest: string, calculatedBase64: string): BadDigestException {
  return new BadDigestException('The Content-MD5 you specified did not match what we received.', {
    ExpectedDigest: expectedDigest,
    CalculatedDigest: calculatedBase64,
  });
}

/** `The CRC32 you specified did not match the calculated checksum.` (recorded, per algorithm). */
export function checksumMismatch(algorithm: ChecksumAlgorithm): BadDigestException {
  return new BadDigestException(`The ${algorithm} you specified did not match the calculated checksum.`);
}

/** Content-MD5 that is not the base64 of 16 bytes (recorded, with the value echoed). */
export class InvalidDigest extends AwsError {
  constructor(contentMd5: string) {
    super('InvalidDigest', 'The Content-MD5 you specified was invalid.', 400, {
      fields: { 'Content-MD5': contentMd5 },
    });
  }
}

export class InvalidRequest extends awsError('InvalidRequest', 400) {}

/** `Value for x-amz-checksum-crc32 header is invalid.` (recorded). */
export function invalidChecksumValue(algorithm: ChecksumAlgorithm): InvalidRequest {
  return new InvalidRequest(`Value for x-amz-checksum-${algorithm.toLowerCase()} header is invalid.`);
}

export const MULTIPLE_CHECKSUMS =
  'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.';
export const UNSUPPORTED_ALGORITHM =
  'Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]';
/** Unrecorded; AWS's wording as clients report it. */
export const SDK_ALGORITHM_WITHOUT_CHECKSUM =
  'x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or x-amz-trailer headers were found.';
/** Unrecorded. */
export const UNSUPPORTED_TRAILER = 'The value specified in the x-amz-trailer header is not supported';

/** Unrecorded: a hex x-amz-content-sha256 that the body does not hash to. */
export class XAmzContentSHA256Mismatch extends AwsError {
  constructor(clientComputed: string, s3Computed: string) {
    super(
      'XAmzContentSHA256Mismatch',
      "The provided 'x-amz-content-sha256' header does not match what was computed.",
      400,
      {
        fields: { ClientComputedContentSHA256: clientComputed, S3ComputedContentSHA256: s3Computed },
      },
    );
  }
}

/** Unrecorded: an x-amz-content-sha256 that is none of the known values nor a sha256. */
export class InvalidArgument extends AwsError {
  constructor(message: string, argumentName: string, argumentValue: string) {
    super('InvalidArgument', message, 400, {
      fields: { ArgumentName: argumentName, ArgumentValue: argumentValue },
    });
  }
}

export function invalidContentSha256(value: string): InvalidArgument {
  return new InvalidArgument(
    'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER or a valid sha256 value.',
    'x-amz-content-sha256',
    value,
  );
}

/** Unrecorded. S3 uses two wordings: one for a plain body cut short, one for broken aws-chunked framing. */
export class IncompleteBody extends awsError('IncompleteBody', 400) {}
export const INCOMPLETE_CONTENT_LENGTH =
  'You did not provide the number of bytes specified by the Content-Length HTTP header';
export const BODY_TERMINATED = 'The request body terminated unexpectedly';

/** Unrecorded; 403 as S3 answers chunk-signature failures. */
export class SignatureDoesNotMatch extends awsError(
  'SignatureDoesNotMatch',
  403,
  'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
) {}

/** Unrecorded: a chunk before the last one was smaller than 8 KiB. */
export class InvalidChunkSizeError extends AwsError {
  constructor(chunk: number, badChunkSize: number) {
    super(
      'InvalidChunkSizeError',
      'Only the last chunk is allowed to have a size less than 8192 bytes',
      403,
      {
        fields: { Chunk: chunk, BadChunkSize: badChunkSize },
      },
    );
  }
}

/** Unrecorded: trailer lines that are not `name:value`, or not the declared trailer. */
export class MalformedTrailerError extends awsError(
  'MalformedTrailerError',
  400,
  'The request contained trailing data that was not well-formed or did not conform to our published schema.',
) {}

/** Recorded (POST policy); the same code and message for a body over the allowed size. */
export class EntityTooLarge extends AwsError {
  constructor(maxSizeAllowed: number, proposedSize: number) {
    super('EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size', 400, {
      fields: { MaxSizeAllowed: String(maxSizeAllowed), ProposedSize: String(proposedSize) },
    });
  }
}

/** Unrecorded: neither Content-Length nor (for aws-chunked) x-amz-decoded-content-length. */
export class MissingContentLength extends awsError(
  'MissingContentLength',
  411,
  'You must provide the Content-Length HTTP header.',
) {}

/** Unrecorded: the SigV4a (ECDSA) streaming forms, which Lambent does not verify. */
export class NotImplemented extends awsError(
  'NotImplemented',
  501,
  'A header you provided implies functionality that is not implemented',
) {}
