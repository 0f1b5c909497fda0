/**
 * Parsing a large JSON body without stalling every other request. JSON.parse of a 70 MB
 * CreateFunction (a base64 zip) takes ~0.3-0.6 s on this kind of machine and decoding the
 * base64 as much again; 16 MB of a million small members takes over a second. Both run on
 * the one event loop. Here the body is walked in slices with a yield between them:
 *
 * - long string literals (the zip) are cut out of the document and base64-decoded slice by
 *   slice into a LongJsonString, which fromJson turns into a Buffer (blob) or a string;
 * - what is left (the "skeleton": every other member) must be small, at most `skeletonLimit`
 *   bytes, and is given to JSON.parse, which parses that much in a few milliseconds. Past it
 *   the caller answers RequestEntityTooLarge: no Lambda operation has that many small
 *   parameters (AWS's own CreateFunction limit is the base64 zip plus 256 KiB).
 */
import { randomBytes } from 'node:crypto';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { SerializationException } from '../shared/errors.js';

/** A long string member of a large body: decoded as base64 ahead of time, as text on demand. */
export class LongJsonString {
  constructor(
    private readonly raw: Buffer,
    private readonly escaped: boolean,
    private readonly decoded: Buffer | undefined,
  ) {}
  /** The bytes a blob member carries (base64-decoded). */
  bytes(): Buffer {
    return this.decoded ?? Buffer.from(this.text(), 'base64');
  }
  text(): string {
    return this.escaped
      ? (JSON.parse(`"${this.raw.toString('utf8')}"`) as string)
      : this.raw.toString('utf8');
  }
}

export class SkeletonTooLargeError extends Error {}

export interface LargeJsonOptions {
  /** String literals at least this long are cut out (and base64-decoded in slices). */
  longString: number;
  /** Largest skeleton (the document without its long strings) to parse. */
  skeletonLimit: number;
  /** Bytes scanned or decoded between two yields to the event loop. */
  slice: number;
}

export const LARGE_JSON_DEFAULTS: LargeJsonOptions = {
  longString: 64 * 1024,
  skeletonLimit: 256 * 1024,
  slice: 512 * 1024,
};

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const BASE64 = /^[A-Za-z0-9+/]*$/;

export async function parseLargeJson(body: Buffer, options = LARGE_JSON_DEFAULTS): Promise<unknown> {
  const { longString, skeletonLimit, slice } = options;
  // A placeholder no client can predict, so a string sent in the body cannot pose as one.
  const token = `\u0000${randomBytes(8).toString('hex')}:`;
  const longs: LongJsonString[] = [];
  const parts: string[] = [];
  let skeletonBytes = 0;
  let segmentStart = 0;
  let scanned = 0;
  let i = 0;
  const malformed = () =>
    new SerializationException('Could not parse request body into json: the body is not valid JSON');

  while (i < body.length) {
    const open = body.indexOf(QUOTE, i);
    if (open < 0) break;
    // Quotes occur only in strings: the next unescaped quote closes this one.
    let close = body.indexOf(QUOTE, open + 1);
    let escaped = false;
    while (close >= 0) {
      let backslashes = 0;
      while (body[close - 1 - backslashes] === BACKSLASH) backslashes++;
      if (backslashes > 0) escaped = true;
      if (backslashes % 2 === 0) break;
      close = body.indexOf(QUOTE, close + 1);
    }
    if (close < 0) throw malformed();
    if (!escaped) escaped = body.subarray(open + 1, close).includes(BACKSLASH);
    if (close - open - 1 >= longString) {
      skeletonBytes += open - segmentStart;
      if (skeletonBytes > skeletonLimit) throw new SkeletonTooLargeError();
      parts.push(body.toString('utf8', segmentStart, open), JSON.stringify(`${token}${longs.length}`));
      longs.push(await longValue(body.subarray(open + 1, close), escaped, slice));
      segmentStart = close + 1;
    } else if (close + 1 - segmentStart + skeletonBytes > skeletonLimit) {
      throw new SkeletonTooLargeError();
    }
    i = close + 1;
    if (i - scanned >= slice) {
      scanned = i;
      await yieldToLoop();
    }
  }
  skeletonBytes += body.length - segmentStart;
  if (skeletonBytes > skeletonLimit) throw new SkeletonTooLargeError();
  parts.push(body.toString('utf8', segmentStart));

  let doc: unknown;
  try {
    doc = JSON.parse(parts.join(''), (_key, value: unknown) =>
      typeof value === 'string' && value.startsWith(token) ? longs[Number(value.slice(token.length))] : value,
    );
  } catch {
    throw malformed();
  }
  return doc;
}

/** Decodes a long literal as base64 in slices when it is plain base64; else leaves it as text. */
async function longValue(raw: Buffer, escaped: boolean, slice: number): Promise<LongJsonString> {
  if (escaped) return new LongJsonString(raw, true, undefined);
  let end = raw.length;
  while (end > 0 && raw[end - 1] === 0x3d) end--; // '=' padding
  if (raw.length - end > 2) return new LongJsonString(raw, false, undefined);
  const out = Buffer.allocUnsafeSlow(Math.floor((end * 3) / 4));
  let written = 0;
  const step = Math.max(4, slice - (slice % 4)); // whole 4-character groups per slice
  for (let at = 0; at < raw.length; at += step) {
    const text = raw.toString('latin1', at, Math.min(raw.length, at + step));
    const chunkEnd = Math.min(end, at + step) - at;
    if (chunkEnd > 0 && !BASE64.test(text.slice(0, chunkEnd))) {
      // Not plain base64: Buffer.from's lenient reading of the whole string decides.
      return new LongJsonString(raw, false, undefined);
    }
    written += out.write(text, written, 'base64');
    if (at + step < raw.length) await yieldToLoop();
  }
  return new LongJsonString(raw, false, out.subarray(0, written));
}
