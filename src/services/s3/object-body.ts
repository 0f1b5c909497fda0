/**
 * The one place an object's upload body is decoded and verified. Plain bodies only for now:
 * iteration yields the object's bytes and throws S3's error when the body does not hold to
 * what the request declared (a hex `x-amz-content-sha256`, `Content-MD5`, `Content-Length`).
 * `aws-chunked` bodies (`x-amz-content-sha256: STREAMING-...`, `Content-Encoding: aws-chunked`)
 * and the flexible checksums (`x-amz-checksum-*`) are decoded by src/protocols/aws-chunked/,
 * whose reader replaces this function; until then such a request answers NotImplemented.
 *
 * The consumer must not treat the bytes as stored until iteration ends without an error: the
 * checks that need the whole body run after the last byte.
 */
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { badDigest, contentSha256Mismatch, incompleteBody, invalidDigest, notImplemented } from './errors.js';

export interface ObjectBody {
  [Symbol.asyncIterator](): AsyncIterator<Buffer>;
  /** Valid once iteration has ended without an error. */
  result(): { size: number; md5Hex: string };
}

const HEX_SHA256 = /^[0-9a-f]{64}$/;

export function readObjectBody(source: AsyncIterable<Buffer>, headers: IncomingHttpHeaders): ObjectBody {
  let done: { size: number; md5Hex: string } | undefined;
  return {
    async *[Symbol.asyncIterator]() {
      const declaredSha = header(headers, 'x-amz-content-sha256')?.toLowerCase();
      const encoding = header(headers, 'content-encoding') ?? '';
      if (declaredSha?.startsWith('streaming-') || /(^|,)\s*aws-chunked\s*(,|$)/i.test(encoding)) {
        throw notImplemented('Lambent does not decode aws-chunked upload bodies yet');
      }
      const contentMd5 = header(headers, 'content-md5');
      if (contentMd5 !== undefined && !isMd5Base64(contentMd5)) throw invalidDigest(contentMd5);
      const declaredLength = header(headers, 'content-length');
      const md5 = createHash('md5');
      const sha = declaredSha && HEX_SHA256.test(declaredSha) ? createHash('sha256') : undefined;
      let size = 0;
      for await (const chunk of source) {
        md5.update(chunk);
        sha?.update(chunk);
        size += chunk.length;
        yield chunk;
      }
      if (declaredLength !== undefined && Number(declaredLength) !== size) throw incompleteBody();
      const digest = md5.digest();
      if (sha && declaredSha) {
        const computed = sha.digest('hex');
        if (computed !== declaredSha) throw contentSha256Mismatch(declaredSha, computed);
      }
      if (contentMd5 !== undefined && Buffer.from(contentMd5, 'base64').compare(digest) !== 0) {
        throw badDigest(contentMd5, digest.toString('base64'));
      }
      done = { size, md5Hex: digest.toString('hex') };
    },
    result() {
      if (!done) throw new Error('readObjectBody: result() before the body was read to its end');
      return done;
    },
  };
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

function isMd5Base64(value: string): boolean {
  return /^[A-Za-z0-9+/]{22}==$/.test(value);
}
