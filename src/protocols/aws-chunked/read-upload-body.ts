/**
 * Decodes and verifies an S3 upload body while it streams: a plain body (UNSIGNED-PAYLOAD or a
 * hex x-amz-content-sha256), or aws-chunked framing in each form clients send
 * (STREAMING-AWS4-HMAC-SHA256-PAYLOAD with chunk signatures chained from the request's seed
 * signature, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER
 * with a signed trailer), holding it to Content-MD5 and to an x-amz-checksum-* header or trailer.
 *
 * Memory stays constant: the decoded bytes are yielded as views of the source's buffers, and
 * only a chunk-header or trailer line (≤ 4 KiB) is ever copied. A chunk's bytes are yielded
 * before its signature (which follows it) can be checked, so a failure surfaces as an error
 * thrown from the iteration after some bytes were yielded: the caller discards what it wrote.
 *
 * Not handled: SigV4a (ECDSA) streaming signatures (NotImplemented), several trailers at once
 * (S3 accepts one checksum trailer), and the CRC64NVME that S3 computes for objects uploaded
 * without a checksum (the caller can run one over the yielded bytes if it wants it).
 */

import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import {
  CHECKSUM_LENGTH,
  type ChecksumAlgorithm,
  createChecksum,
  type RunningChecksum,
} from '../../shared/checksums.js';
import {
  BODY_TERMINATED,
  checksumMismatch,
  contentMd5Mismatch,
  INCOMPLETE_CONTENT_LENGTH,
  IncompleteBody,
  InvalidChunkSizeError,
  invalidChecksumValue,
  MalformedTrailerError,
  SignatureDoesNotMatch,
  XAmzContentSHA256Mismatch,
} from './errors.js';
import {
  type ChunkSigning,
  checksumAlgorithmOfHeader,
  decodeBase64Exact,
  planUpload,
  type UploadPlan,
} from './upload-headers.js';

export type { ChecksumAlgorithm } from '../../shared/checksums.js';
export type { ChunkSigning } from './upload-headers.js';

export interface UploadBodyOptions {
  /** content-encoding, x-amz-content-sha256, x-amz-decoded-content-length, content-length,
   *  content-md5, x-amz-checksum-<alg>, x-amz-trailer, x-amz-sdk-checksum-algorithm. */
  headers: IncomingHttpHeaders;
  /** For STREAMING-AWS4-HMAC-SHA256-PAYLOAD(-TRAILER): what chunk signatures chain from. */
  chunkSigning?: ChunkSigning;
  /** Decoded bytes accepted at most (S3's EntityTooLarge beyond). */
  maxBytes?: number;
  /** How BadDigest's ExpectedDigest shows the sent Content-MD5: AWS shows hex for PutObject
   *  and the base64 as sent for UploadPart (both recorded). Default 'hex'. */
  expectedDigestForm?: 'hex' | 'base64';
}

export interface UploadBodyResult {
  size: number;
  /** Hex MD5 of the decoded bytes (a single-part object's ETag). */
  md5Hex: string;
  /** The checksum the client sent (header or trailer), verified; base64 as S3 returns it. */
  checksum?: { algorithm: ChecksumAlgorithm; value: string };
}

export interface UploadBody {
  [Symbol.asyncIterator](): AsyncIterator<Buffer>;
  /** Valid once iteration has ended without error; throws before that. */
  result(): UploadBodyResult;
}

/**
 * Header problems (bad Content-MD5 or checksum values, unknown x-amz-content-sha256, a
 * declared length over maxBytes, ...) are thrown by the first `next()`, before any body is read.
 */
export function readUploadBody(source: AsyncIterable<Buffer>, opts: UploadBodyOptions): UploadBody {
  let result: UploadBodyResult | undefined;
  return {
    [Symbol.asyncIterator]() {
      return decode(source, opts, (r) => {
        result = r;
      });
    },
    result() {
      if (result === undefined)
        throw new Error('readUploadBody: result() before the body was read to its end');
      return result;
    },
  };
}

interface Digests {
  size: number;
  md5: ReturnType<typeof createHash>;
  sha256: ReturnType<typeof createHash> | undefined;
  checksum: RunningChecksum | undefined;
}

function update(d: Digests, bytes: Buffer): void {
  d.size += bytes.length;
  d.md5.update(bytes);
  d.sha256?.update(bytes);
  d.checksum?.update(bytes);
}

async function* decode(
  source: AsyncIterable<Buffer>,
  opts: UploadBodyOptions,
  done: (r: UploadBodyResult) => void,
): AsyncGenerator<Buffer, void, undefined> {
  const plan = planUpload(opts.headers, opts.chunkSigning, opts.maxBytes);
  const digests: Digests = {
    size: 0,
    md5: createHash('md5'),
    sha256: plan.declaredSha256 !== undefined ? createHash('sha256') : undefined,
    checksum: plan.checksum !== undefined ? createChecksum(plan.checksum.algorithm) : undefined,
  };
  let trailerValue: Buffer | undefined;
  if (plan.chunked) {
    const chunked = new ChunkedDecoder(plan, digests);
    for await (const buf of source) yield* chunked.push(buf);
    trailerValue = chunked.end();
  } else {
    for await (const buf of source) {
      if (digests.size + buf.length > plan.declaredLength) {
        // Node's parser never passes more than Content-Length; another source might.
        throw new IncompleteBody(INCOMPLETE_CONTENT_LENGTH);
      }
      update(digests, buf);
      yield buf;
    }
    if (digests.size !== plan.declaredLength) throw new IncompleteBody(INCOMPLETE_CONTENT_LENGTH);
  }
  done(await finish(plan, digests, trailerValue, opts));
}

async function finish(
  plan: UploadPlan,
  d: Digests,
  trailerValue: Buffer | undefined,
  opts: UploadBodyOptions,
): Promise<UploadBodyResult> {
  if (plan.declaredSha256 !== undefined && d.sha256 !== undefined) {
    const computed = d.sha256.digest('hex');
    if (computed !== plan.declaredSha256) throw new XAmzContentSHA256Mismatch(plan.declaredSha256, computed);
  }
  const md5 = d.md5.digest();
  if (plan.contentMd5 !== undefined && !md5.equals(plan.contentMd5.digest)) {
    const expected =
      opts.expectedDigestForm === 'base64' ? plan.contentMd5.raw : plan.contentMd5.digest.toString('hex');
    throw contentMd5Mismatch(expected, md5.toString('base64'));
  }
  const result: UploadBodyResult = { size: d.size, md5Hex: md5.toString('hex') };
  if (plan.checksum !== undefined && d.checksum !== undefined) {
    const expected = plan.checksum.expected ?? trailerValue;
    const computed = await d.checksum.digest();
    if (expected === undefined || !computed.equals(expected)) throw checksumMismatch(plan.checksum.algorithm);
    result.checksum = { algorithm: plan.checksum.algorithm, value: computed.toString('base64') };
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// aws-chunked framing:  <hex-size>[;chunk-signature=<sig>]\r\n<data>\r\n ... 0[;chunk-signature=<sig>]\r\n
// then trailer lines (`name:value\r\n`, a signed trailer ending in `x-amz-trailer-signature:<sig>\r\n`)
// and an empty line.

const CR = 0x0d;
const LF = 0x0a;
const MAX_LINE = 4096;
/** AWS: every chunk but the last carries at least 8 KiB. */
const MIN_CHUNK = 8192;
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const HEX_SIZE = /^[0-9a-fA-F]{1,13}$/; // 13 hex digits < 2^53: every size stays an exact number
const SIGNATURE = /^[0-9a-f]{64}$/;

type State = 'header' | 'data' | 'data-crlf' | 'trailer' | 'done';

function malformed(): IncompleteBody {
  return new IncompleteBody(BODY_TERMINATED);
}

class ChunkedDecoder {
  private state: State = 'header';
  private pending: Buffer | undefined; // a line split across source buffers
  private remaining = 0; // data bytes left in the current chunk
  private crlfSeen = 0;
  private chunkNumber = 0;
  private previousSize = -1;
  private chunkSignature = '';
  private chunkHash: ReturnType<typeof createHash> | undefined;
  private previousSignature: string;
  private readonly trailers: { name: string; value: string }[] = [];
  private trailerSignature: string | undefined;

  constructor(
    private readonly plan: UploadPlan,
    private readonly digests: Digests,
  ) {
    this.previousSignature = plan.signing?.seedSignature ?? '';
  }

  *push(buf: Buffer): Generator<Buffer, void, undefined> {
    let pos = 0;
    while (pos < buf.length) {
      switch (this.state) {
        case 'data': {
          const take = Math.min(this.remaining, buf.length - pos);
          const bytes = buf.subarray(pos, pos + take);
          pos += take;
          this.remaining -= take;
          update(this.digests, bytes);
          this.chunkHash?.update(bytes);
          yield bytes;
          if (this.remaining === 0) {
            this.verifyChunk();
            this.state = 'data-crlf';
            this.crlfSeen = 0;
          }
          break;
        }
        case 'data-crlf': {
          if (buf[pos] !== (this.crlfSeen === 0 ? CR : LF)) throw malformed();
          pos++;
          if (++this.crlfSeen === 2) this.state = 'header';
          break;
        }
        case 'header':
        case 'trailer': {
          const nl = buf.indexOf(LF, pos);
          const pendingLength = this.pending?.length ?? 0;
          if (nl < 0) {
            if (pendingLength + buf.length - pos > MAX_LINE) throw malformed();
            const rest = buf.subarray(pos);
            this.pending =
              this.pending === undefined ? Buffer.from(rest) : Buffer.concat([this.pending, rest]);
            pos = buf.length;
            break;
          }
          if (pendingLength + nl + 1 - pos > MAX_LINE) throw malformed();
          const line =
            this.pending === undefined
              ? buf.subarray(pos, nl + 1)
              : Buffer.concat([this.pending, buf.subarray(pos, nl + 1)]);
          this.pending = undefined;
          pos = nl + 1;
          if (line.length < 2 || line[line.length - 2] !== CR) throw malformed();
          const text = line.toString('latin1', 0, line.length - 2);
          if (this.state === 'header') this.chunkHeader(text);
          else this.trailerLine(text);
          break;
        }
        case 'done':
          throw malformed(); // bytes after the final empty line
      }
    }
  }

  /** Checks the end of the input; returns the checksum trailer's value, if one was declared. */
  end(): Buffer | undefined {
    // The final empty line is optional when the input ends cleanly after the last trailer line.
    if (!(this.state === 'done' || (this.state === 'trailer' && this.pending === undefined))) {
      throw malformed();
    }
    this.state = 'done';
    if (this.digests.size !== this.plan.declaredLength) throw malformed();
    return this.checkTrailers();
  }

  private chunkHeader(text: string): void {
    const semi = text.indexOf(';');
    const sizeText = semi < 0 ? text : text.slice(0, semi);
    if (!HEX_SIZE.test(sizeText)) throw malformed();
    const size = Number.parseInt(sizeText, 16);
    this.chunkNumber++;
    if (size > 0 && this.previousSize >= 0 && this.previousSize < MIN_CHUNK) {
      throw new InvalidChunkSizeError(this.chunkNumber, this.previousSize);
    }
    if (this.digests.size + size > this.plan.declaredLength) {
      // More than x-amz-decoded-content-length promised (which is at most maxBytes).
      throw malformed();
    }
    this.previousSize = size;
    if (this.plan.signing !== undefined) {
      const ext = semi < 0 ? '' : text.slice(semi + 1);
      const sig = ext.startsWith('chunk-signature=') ? ext.slice('chunk-signature='.length) : '';
      if (!SIGNATURE.test(sig)) throw new SignatureDoesNotMatch();
      this.chunkSignature = sig;
      this.chunkHash = createHash('sha256');
    }
    if (size === 0) {
      this.verifyChunk();
      this.state = 'trailer';
    } else {
      this.remaining = size;
      this.state = 'data';
    }
  }

  private verifyChunk(): void {
    const signing = this.plan.signing;
    if (signing === undefined || this.chunkHash === undefined) return;
    const stringToSign = `AWS4-HMAC-SHA256-PAYLOAD\n${signing.amzDate}\n${signing.scope}\n${this.previousSignature}\n${EMPTY_SHA256}\n${this.chunkHash.digest('hex')}`;
    this.chunkHash = undefined;
    checkSignature(signing.signingKey, stringToSign, this.chunkSignature);
    this.previousSignature = this.chunkSignature;
  }

  private trailerLine(text: string): void {
    if (text === '') {
      this.state = 'done';
      return;
    }
    const colon = text.indexOf(':');
    if (colon <= 0) throw new MalformedTrailerError();
    const name = text.slice(0, colon).trim().toLowerCase();
    const value = text.slice(colon + 1).trim();
    if (name === 'x-amz-trailer-signature') {
      if (this.trailerSignature !== undefined) throw new MalformedTrailerError();
      this.trailerSignature = value;
    } else {
      if (this.trailerSignature !== undefined) throw new MalformedTrailerError(); // the signature comes last
      if (this.trailers.length >= 8) throw new MalformedTrailerError();
      this.trailers.push({ name, value });
    }
  }

  private checkTrailers(): Buffer | undefined {
    const signing = this.plan.signing;
    if (signing !== undefined && this.plan.signedTrailer) {
      if (this.trailerSignature === undefined || !SIGNATURE.test(this.trailerSignature)) {
        throw new SignatureDoesNotMatch();
      }
      let canonical = '';
      for (const t of this.trailers) canonical += `${t.name}:${t.value}\n`;
      const stringToSign = `AWS4-HMAC-SHA256-TRAILER\n${signing.amzDate}\n${signing.scope}\n${this.previousSignature}\n${createHash('sha256').update(canonical, 'latin1').digest('hex')}`;
      checkSignature(signing.signingKey, stringToSign, this.trailerSignature);
    } else if (this.trailerSignature !== undefined) {
      throw new MalformedTrailerError();
    }

    const declared = this.plan.checksum?.trailerName;
    let value: Buffer | undefined;
    for (const t of this.trailers) {
      const algorithm = checksumAlgorithmOfHeader(t.name);
      if (declared === undefined || t.name !== declared || algorithm === undefined || value !== undefined) {
        throw new MalformedTrailerError(); // a trailer that x-amz-trailer did not announce
      }
      value = decodeBase64Exact(t.value, CHECKSUM_LENGTH[algorithm]);
      if (value === undefined) throw invalidChecksumValue(algorithm);
    }
    if (declared !== undefined && value === undefined) throw new MalformedTrailerError();
    return value;
  }
}

function checkSignature(key: Buffer, stringToSign: string, provided: string): void {
  const expected = createHmac('sha256', key).update(stringToSign, 'utf8').digest();
  if (!timingSafeEqual(expected, Buffer.from(provided, 'hex'))) throw new SignatureDoesNotMatch();
}
