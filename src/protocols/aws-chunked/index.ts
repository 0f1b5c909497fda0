/**
 * S3 upload bodies: plain and aws-chunked, signed and unsigned, with Content-MD5 and the
 * flexible checksums (header or trailer), decoded and verified while they stream.
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
