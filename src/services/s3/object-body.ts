/**
 * The one place an object's upload body is decoded and verified: the request's body as the
 * gateway streams it (StreamedBody) through the aws-chunked reader (src/protocols/aws-chunked/),
 * which handles plain bodies and every aws-chunked form the clients send (signed chunks chained
 * from the request's seed signature, unsigned with a checksum trailer, signed trailers), and
 * holds the body to `x-amz-content-sha256`, `Content-MD5`, `Content-Length` and an
 * `x-amz-checksum-*` header or trailer.
 *
 * The consumer must not treat the bytes as stored until iteration ends without an error: the
 * checks that need the whole body (a chunk's signature, the trailer, the digests) run as the
 * body ends.
 */
import { readUploadBody, type UploadBody } from '../../protocols/aws-chunked/index.js';
import type { StreamedBody } from '../../protocols/types.js';

export type ObjectBody = UploadBody;

export function readObjectBody(body: StreamedBody, maxBytes: number): ObjectBody {
  return readUploadBody(body, {
    headers: body.headers,
    maxBytes,
    ...(body.chunkSigning ? { chunkSigning: body.chunkSigning } : {}),
  });
}

/** The PutObject output members that carry the checksum the client sent (S3 echoes it). */
export function checksumOutput(result: ReturnType<ObjectBody['result']>): Record<string, string> {
  if (!result.checksum) return {};
  return { [`Checksum${result.checksum.algorithm}`]: result.checksum.value, ChecksumType: 'FULL_OBJECT' };
}
