/**
 * Reads a request body into one Buffer within bounds a hostile client cannot stretch:
 * - more than `limit` bytes are refused: at once when Content-Length says so (nothing is
 *   read), else as soon as the count passes the limit (what was kept is dropped);
 * - bytes of requests not yet authenticated count against a shared budget (a pending body
 *   must be read before its signature can be checked); past it the request is refused;
 * - a body that stalls for `idleTimeoutMs` is given up;
 * - the SHA-256 the signature needs is computed chunk by chunk as the body arrives, so no
 *   single step hashes tens of megabytes while other requests wait.
 */
import { createHash, type Hash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export class BodyTooLargeError extends Error {}
export class BodyBudgetError extends Error {}
export class BodyTimeoutError extends Error {}
export class BodyAbortedError extends Error {}

/** Bytes held by bodies of requests not yet authenticated, across all requests. */
export interface BodyBudget {
  readonly max: number;
  readonly held: number;
  /** A claim on the budget for one request; release it once authenticated or finished. */
  claim(): BodyClaim;
}

export interface BodyClaim {
  /** Adds to this claim; false (and nothing added) when the budget cannot take it. */
  add(bytes: number): boolean;
  release(): void;
}

export function createBodyBudget(max: number): BodyBudget {
  let held = 0;
  return {
    max,
    get held() {
      return held;
    },
    claim() {
      let mine = 0;
      return {
        add(bytes) {
          if (held + bytes > max) return false;
          held += bytes;
          mine += bytes;
          return true;
        },
        release() {
          held -= mine;
          mine = 0;
        },
      };
    },
  };
}

export interface ReadBodyOptions {
  limit: number;
  idleTimeoutMs: number;
  /** Compute the body's SHA-256 while reading (hex in the result). */
  hash: boolean;
  /** Count the body against the unauthenticated budget. */
  claim?: BodyClaim;
}

export interface ReadBody {
  body: Buffer;
  /** Lowercase hex SHA-256 of the body, when asked for. */
  sha256: string | undefined;
}

/** Bodies past this size are copied into one buffer as they arrive (no second full copy at the end). */
const PREALLOCATE_FROM = 64 * 1024;

/** The Content-Length a request declares, or undefined (chunked, absent or malformed). */
export function declaredLength(req: IncomingMessage): number | undefined {
  const raw = req.headers['content-length'];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

export function readBody(req: IncomingMessage, options: ReadBodyOptions): Promise<ReadBody> {
  const { limit, claim } = options;
  const declared = declaredLength(req);
  if (declared !== undefined && declared > limit) return Promise.reject(new BodyTooLargeError());
  if (declared !== undefined && claim && !claim.add(declared)) return Promise.reject(new BodyBudgetError());
  const hash: Hash | undefined = options.hash ? createHash('sha256') : undefined;
  if (declared === 0) {
    return Promise.resolve({ body: Buffer.alloc(0), sha256: hash?.digest('hex') });
  }

  return new Promise((resolve, reject) => {
    const whole =
      declared !== undefined && declared >= PREALLOCATE_FROM ? Buffer.allocUnsafeSlow(declared) : undefined;
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const idle = setTimeout(onIdle, options.idleTimeoutMs);

    function onIdle(): void {
      fail(new BodyTimeoutError());
    }
    function cleanup(): void {
      settled = true;
      clearTimeout(idle);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
      chunks.length = 0;
    }
    function fail(err: Error): void {
      if (settled) return;
      cleanup();
      // Nothing more is read; the gateway answers and decides the connection's fate.
      req.pause();
      reject(err);
    }
    function onData(chunk: Buffer): void {
      if (settled) return;
      const next = size + chunk.length;
      if (next > limit) {
        fail(new BodyTooLargeError());
        return;
      }
      // A declared length was claimed up front; a chunked body claims as it arrives.
      if (claim && declared === undefined && !claim.add(chunk.length)) {
        fail(new BodyBudgetError());
        return;
      }
      if (whole) chunk.copy(whole, size);
      else chunks.push(chunk);
      hash?.update(chunk);
      size = next;
      idle.refresh();
    }
    function onEnd(): void {
      if (settled) return;
      const body = whole
        ? whole.subarray(0, size)
        : chunks.length === 1
          ? (chunks[0] as Buffer)
          : Buffer.concat(chunks, size);
      cleanup();
      resolve({ body, sha256: hash?.digest('hex') });
    }
    function onError(err: Error): void {
      fail(err);
    }
    function onClose(): void {
      // The client went away before the end of its body.
      if (!req.complete) fail(new BodyAbortedError());
    }
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

/**
 * A body handed to an operation as it arrives (S3's PutObject), for a request whose headers are
 * already authenticated: nothing is held here, the consumer pulls at its own pace. Throws
 * BodyTooLargeError past `limit`, BodyTimeoutError when nothing arrives for `idleTimeoutMs`
 * while the consumer waits, BodyAbortedError when the client goes away before the end.
 */
export function streamBody(
  req: IncomingMessage,
  options: { limit: number; idleTimeoutMs: number },
): AsyncIterable<Buffer> {
  return {
    async *[Symbol.asyncIterator]() {
      let size = 0;
      for (;;) {
        const chunk = req.read() as Buffer | null;
        if (chunk !== null) {
          size += chunk.length;
          if (size > options.limit) throw new BodyTooLargeError();
          yield chunk;
          continue;
        }
        if (req.readableEnded) return;
        await nextReadable(req, options.idleTimeoutMs);
      }
    },
  };
}

function nextReadable(req: IncomingMessage, idleTimeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => settle(new BodyTimeoutError()), idleTimeoutMs);
    function settle(err?: Error): void {
      clearTimeout(timer);
      req.off('readable', onReady);
      req.off('end', onReady);
      req.off('error', settle);
      req.off('close', onClose);
      if (err) reject(err);
      else resolve();
    }
    function onReady(): void {
      settle();
    }
    function onClose(): void {
      settle(req.complete ? undefined : new BodyAbortedError());
    }
    req.on('readable', onReady);
    req.on('end', onReady);
    req.on('error', settle);
    req.on('close', onClose);
    if (req.destroyed) onClose();
  });
}
