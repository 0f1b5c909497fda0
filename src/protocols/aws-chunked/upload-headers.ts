/**
 * Reads what an upload's headers say about its body — framing (plain or aws-chunked), how it
 * is signed, its declared length, and the digests it must match — and refuses, with S3's
 * errors, headers that no body could satisfy. Needs no body, so a caller can run it before
 * reading one.
 */

import type { IncomingHttpHeaders } from 'node:http';
import { CHECKSUM_ALGORITHMS, CHECKSUM_LENGTH, type ChecksumAlgorithm } from '../../shared/checksums.js';
import {
  EntityTooLarge,
  InvalidDigest,
  InvalidRequest,
  invalidChecksumValue,
  invalidContentSha256,
  MissingContentLength,
  MULTIPLE_CHECKSUMS,
  NotImplemented,
  SDK_ALGORITHM_WITHOUT_CHECKSUM,
  SignatureDoesNotMatch,
  UNSUPPORTED_ALGORITHM,
  UNSUPPORTED_TRAILER,
} from './errors.js';

/** What chunk signatures chain from: the gateway verified the seed (the request's) signature. */
export interface ChunkSigning {
  signingKey: Buffer;
  seedSignature: string;
  /** `YYYYMMDDTHHMMSSZ`, as in the request's string to sign. */
  amzDate: string;
  /** `date/region/service/aws4_request`. */
  scope: string;
}

export interface UploadPlan {
  /** aws-chunked framing (`STREAMING-*`, or `Content-Encoding: aws-chunked`). */
  chunked: boolean;
  /** Chunk (and trailer) signatures to verify; only for chunked bodies. */
  signing: ChunkSigning | undefined;
  /** Whether the signed form is the `-TRAILER` one (then the trailer carries a signature). */
  signedTrailer: boolean;
  /** Decoded length the body must have: Content-Length, or x-amz-decoded-content-length. */
  declaredLength: number;
  /** Lowercase hex x-amz-content-sha256 of a plain body. */
  declaredSha256: string | undefined;
  contentMd5: { raw: string; digest: Buffer } | undefined;
  /** The flexible checksum: its value now (header) or at the end (trailer). */
  checksum:
    | { algorithm: ChecksumAlgorithm; expected: Buffer | undefined; trailerName: string | undefined }
    | undefined;
}

const SIGNED = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD';
const SIGNED_TRAILER = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER';
const UNSIGNED_TRAILER = 'STREAMING-UNSIGNED-PAYLOAD-TRAILER';
const ECDSA = 'STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD';
const SHA256_HEX = /^[0-9a-fA-F]{64}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const DECIMAL = /^\d{1,16}$/;
const CHECKSUM_PREFIX = 'x-amz-checksum-';

export function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The bytes of a base64 value of exactly `length` bytes, or undefined. */
export function decodeBase64Exact(value: string, length: number): Buffer | undefined {
  if (!BASE64.test(value)) return undefined;
  const bytes = Buffer.from(value, 'base64');
  return bytes.length === length ? bytes : undefined;
}

/** `x-amz-checksum-crc32` → CRC32; anything else (including -type, -mode) → undefined. */
export function checksumAlgorithmOfHeader(name: string): ChecksumAlgorithm | undefined {
  if (!name.startsWith(CHECKSUM_PREFIX)) return undefined;
  const suffix = name.slice(CHECKSUM_PREFIX.length).toUpperCase();
  return CHECKSUM_ALGORITHMS.find((a) => a === suffix);
}

export function planUpload(
  headers: IncomingHttpHeaders,
  chunkSigning: ChunkSigning | undefined,
  maxBytes: number | undefined,
): UploadPlan {
  const contentSha256 = header(headers, 'x-amz-content-sha256')?.trim();
  const awsChunkedEncoding = (header(headers, 'content-encoding') ?? '')
    .split(',')
    .some((e) => e.trim().toLowerCase() === 'aws-chunked');
  let chunked = false;
  let signed = false;
  let signedTrailer = false;
  let declaredSha256: string | undefined;
  if (contentSha256 === undefined || contentSha256 === 'UNSIGNED-PAYLOAD') {
    // Some SDKs (Java v2 with checksums) send aws-chunked framing with UNSIGNED-PAYLOAD.
    chunked = awsChunkedEncoding;
  } else if (SHA256_HEX.test(contentSha256)) {
    declaredSha256 = contentSha256.toLowerCase();
  } else if (contentSha256 === UNSIGNED_TRAILER) {
    chunked = true;
  } else if (contentSha256 === SIGNED || contentSha256 === SIGNED_TRAILER) {
    chunked = true;
    signed = true;
    signedTrailer = contentSha256 === SIGNED_TRAILER;
  } else if (contentSha256 === ECDSA || contentSha256 === `${ECDSA}-TRAILER`) {
    throw new NotImplemented();
  } else {
    throw invalidContentSha256(contentSha256);
  }
  // Without the seed the chain cannot be checked: refuse rather than store unverified bytes.
  if (signed && chunkSigning === undefined) throw new SignatureDoesNotMatch();

  const lengthHeader = header(headers, chunked ? 'x-amz-decoded-content-length' : 'content-length');
  if (lengthHeader === undefined || !DECIMAL.test(lengthHeader.trim())) throw new MissingContentLength();
  const declaredLength = Number(lengthHeader.trim());
  if (maxBytes !== undefined && declaredLength > maxBytes) throw new EntityTooLarge(maxBytes, declaredLength);

  let contentMd5: UploadPlan['contentMd5'];
  const md5Header = header(headers, 'content-md5');
  if (md5Header !== undefined) {
    const digest = decodeBase64Exact(md5Header.trim(), 16);
    if (digest === undefined) throw new InvalidDigest(md5Header);
    contentMd5 = { raw: md5Header, digest };
  }

  return {
    chunked,
    signing: signed ? chunkSigning : undefined,
    signedTrailer,
    declaredLength,
    declaredSha256,
    contentMd5,
    checksum: planChecksum(headers, chunked),
  };
}

function planChecksum(headers: IncomingHttpHeaders, chunked: boolean): UploadPlan['checksum'] {
  let fromHeader: { algorithm: ChecksumAlgorithm; value: string } | undefined;
  for (const name of Object.keys(headers)) {
    const algorithm = checksumAlgorithmOfHeader(name);
    if (algorithm === undefined) continue;
    if (fromHeader !== undefined) throw new InvalidRequest(MULTIPLE_CHECKSUMS);
    fromHeader = { algorithm, value: header(headers, name) ?? '' };
  }

  let trailerAlgorithm: ChecksumAlgorithm | undefined;
  let trailerName: string | undefined;
  const trailer = header(headers, 'x-amz-trailer');
  // A trailer only exists in aws-chunked framing; on a plain body the header promises nothing.
  if (trailer !== undefined && chunked) {
    trailerName = trailer.trim().toLowerCase();
    trailerAlgorithm = checksumAlgorithmOfHeader(trailerName);
    if (trailerAlgorithm === undefined) throw new InvalidRequest(UNSUPPORTED_TRAILER);
    if (fromHeader !== undefined) throw new InvalidRequest(MULTIPLE_CHECKSUMS);
  }

  const sdkAlgorithm = header(headers, 'x-amz-sdk-checksum-algorithm');
  if (sdkAlgorithm !== undefined) {
    if (!CHECKSUM_ALGORITHMS.some((a) => a === sdkAlgorithm.trim().toUpperCase())) {
      throw new InvalidRequest(UNSUPPORTED_ALGORITHM);
    }
    if (fromHeader === undefined && trailerAlgorithm === undefined) {
      throw new InvalidRequest(SDK_ALGORITHM_WITHOUT_CHECKSUM);
    }
  }

  if (fromHeader !== undefined) {
    const expected = decodeBase64Exact(fromHeader.value.trim(), CHECKSUM_LENGTH[fromHeader.algorithm]);
    if (expected === undefined) throw invalidChecksumValue(fromHeader.algorithm);
    return { algorithm: fromHeader.algorithm, expected, trailerName: undefined };
  }
  if (trailerAlgorithm !== undefined)
    return { algorithm: trailerAlgorithm, expected: undefined, trailerName };
  return undefined;
}
