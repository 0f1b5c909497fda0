/**
 * S3 upload bodies: plain and aws-chunked, signed and unsigned, with Content-MD5 and the
 * flexible checksums (header or trailer), decoded and verified while they stream.
 *
 * Plugging it into PutObject / UploadPart:
 *   const body = readUploadBody(req, { headers: req.headers, maxBytes,
 *     chunkSigning: streamingSigned ? chunkSigningFor(auth, secretAccessKey) : undefined });
 *   for await (const bytes of body) await write(bytes);   // to a temp file
 *   const { size, md5Hex, checksum } = body.result();      // then fsync + rename + metadata
 * On any throw, delete the temp file: nothing was stored. `auth` is the gateway's parsed
 * SigV4Auth (signature = the seed, amzDate, scope, date, region, service). The gateway already
 * leaves STREAMING-* bodies unhashed; for a hex x-amz-content-sha256 it need not hash S3 bodies
 * either, as the reader holds the body to it (XAmzContentSHA256Mismatch).
 */

export * from './errors.js';
export {
  type ChecksumAlgorithm,
  type ChunkSigning,
  readUploadBody,
  type UploadBody,
  type UploadBodyOptions,
  type UploadBodyResult,
} from './read-upload-body.js';
export { chunkSigningFor, deriveSigningKey } from './signing-key.js';
/** For callers that want to refuse bad headers before reading any body. */
export { planUpload, type UploadPlan } from './upload-headers.js';
