/**
 * Percent-encoding as SigV4 defines it: RFC 3986 unreserved characters (A-Z a-z 0-9 - _ . ~)
 * stay as they are, every other byte of the UTF-8 form becomes `%XY` with upper-case hex.
 *
 * These functions never throw (unlike `encodeURIComponent` / `decodeURIComponent`), because
 * they run on raw, attacker-controlled request lines: a malformed `%` escape is kept as a
 * literal `%` and a lone surrogate becomes U+FFFD, so garbage simply fails to match a signature.
 */

/** `%XY` for every byte value, precomputed: encoding sits on the path of every request. */
const PERCENT: readonly string[] = Array.from(
  { length: 256 },
  (_, b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`,
);

/** UNRESERVED[c] === 1 for the ASCII codes that SigV4 leaves unencoded. */
const UNRESERVED = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~') {
  UNRESERVED[c.charCodeAt(0)] = 1;
}

/** Fast-path tests: most components (names, numbers, ISO dates) need no work at all. */
const ALL_UNRESERVED = /^[A-Za-z0-9\-_.~]*$/;
const ALL_UNRESERVED_OR_SLASH = /^[A-Za-z0-9\-_.~/]*$/;

function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48; // 0-9
  if (code >= 65 && code <= 70) return code - 55; // A-F
  if (code >= 97 && code <= 102) return code - 87; // a-f
  return -1;
}

function encodeByte(byte: number): string {
  return byte < 128 && UNRESERVED[byte] === 1 ? String.fromCharCode(byte) : (PERCENT[byte] as string);
}

/** The code point at s[i], with lone surrogates read as U+FFFD (as Buffer.from(s, 'utf8') does). */
function codePointAt(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c < 0xd800 || c > 0xdfff) return c;
  if (c <= 0xdbff) {
    const next = s.charCodeAt(i + 1); // NaN past the end, which fails the range test
    if (next >= 0xdc00 && next <= 0xdfff) return 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
  }
  return 0xfffd;
}

/** The `%XY` form of the UTF-8 bytes of one non-ASCII code point. */
function encodeCodePoint(cp: number): string {
  if (cp < 0x800) return (PERCENT[0xc0 | (cp >> 6)] as string) + PERCENT[0x80 | (cp & 63)];
  if (cp < 0x10000) {
    return (
      (PERCENT[0xe0 | (cp >> 12)] as string) + PERCENT[0x80 | ((cp >> 6) & 63)] + PERCENT[0x80 | (cp & 63)]
    );
  }
  return (
    (PERCENT[0xf0 | (cp >> 18)] as string) +
    PERCENT[0x80 | ((cp >> 12) & 63)] +
    PERCENT[0x80 | ((cp >> 6) & 63)] +
    PERCENT[0x80 | (cp & 63)]
  );
}

/**
 * Encodes every character of `s` that is not unreserved (a `%` included, so an already
 * encoded `%3A` becomes `%253A`); with `keepSlash`, `/` stays literal. This is what the SDKs
 * apply to the path of non-S3 requests (smithy `escapeUri` per segment, botocore `quote`).
 */
export function uriEncode(s: string, keepSlash = false): string {
  if ((keepSlash ? ALL_UNRESERVED_OR_SLASH : ALL_UNRESERVED).test(s)) return s;
  // Copy runs of unreserved characters by slice; string concatenation beats array joins here.
  let out = '';
  let run = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 128 && (UNRESERVED[c] === 1 || (keepSlash && c === 47))) continue;
    out += s.slice(run, i);
    if (c < 128) {
      out += PERCENT[c];
    } else {
      const cp = codePointAt(s, i);
      out += encodeCodePoint(cp);
      if (cp > 0xffff) i++;
    }
    run = i + 1;
  }
  return out + s.slice(run);
}

/**
 * Brings one raw query-string key or value into canonical form: decode `%XY` escapes and
 * re-encode byte by byte with the strict encoder. Working on bytes (not on decoded text)
 * keeps invalid UTF-8 escapes stable instead of throwing. `+` is a literal plus (→ `%2B`),
 * not a space: botocore and smithy both send a plus as `%2B` and a space as `%20`, so this
 * only matters for hand-built URLs, and AWS's SigV4 test suite treats `+` literally too.
 */
export function canonicalizeQueryComponent(raw: string): string {
  if (ALL_UNRESERVED.test(raw)) return raw;
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === 37 /* % */ && i + 2 < raw.length) {
      const hi = hexValue(raw.charCodeAt(i + 1));
      const lo = hexValue(raw.charCodeAt(i + 2));
      if (hi >= 0 && lo >= 0) {
        out += encodeByte((hi << 4) | lo);
        i += 2;
        continue;
      }
    }
    if (c < 128) {
      out += encodeByte(c);
    } else {
      const cp = codePointAt(raw, i);
      out += encodeCodePoint(cp);
      if (cp > 0xffff) i++;
    }
  }
  return out;
}

/**
 * Percent-decodes a query component into text (malformed escapes kept literally, invalid
 * UTF-8 replaced by U+FFFD). Used only to read the values of the `X-Amz-*` parameters.
 */
export function percentDecode(raw: string): string {
  if (!raw.includes('%')) return raw;
  const bytes: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === 37 && i + 2 < raw.length) {
      const hi = hexValue(raw.charCodeAt(i + 1));
      const lo = hexValue(raw.charCodeAt(i + 2));
      if (hi >= 0 && lo >= 0) {
        bytes.push((hi << 4) | lo);
        i += 2;
        continue;
      }
    }
    if (c < 0x80) {
      bytes.push(c);
    } else {
      // Rare (raw non-ASCII in a request line): let Buffer produce the UTF-8 bytes.
      const cp = raw.codePointAt(i) ?? c;
      const ch = String.fromCodePoint(cp);
      for (const b of Buffer.from(ch, 'utf8')) bytes.push(b);
      i += ch.length - 1;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}
