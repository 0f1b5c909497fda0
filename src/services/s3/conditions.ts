/**
 * GetObject's and HeadObject's conditional requests and ranges, as S3 evaluates them:
 * If-Match (412) and If-Unmodified-Since (412, unless If-Match held), If-None-Match (304) and
 * If-Modified-Since (304, unless If-None-Match is present); `Range: bytes=a-b | a- | -n` (206, or
 * 416 when it starts past the end); a range S3 cannot parse (or several ranges) is ignored and
 * the whole object is sent.
 */
import { invalidRange, preconditionFailed } from './errors.js';

export interface Preconditions {
  IfMatch?: string;
  IfNoneMatch?: string;
  IfModifiedSince?: Date;
  IfUnmodifiedSince?: Date;
}

const unquote = (etag: string) =>
  etag
    .trim()
    .replace(/^W\//, '')
    .replace(/^"(.*)"$/, '$1');

function etagMatches(list: string, etag: string): boolean {
  return list.split(',').some((e) => {
    const t = unquote(e);
    return t === '*' || t === etag;
  });
}

/** Seconds: HTTP dates have no finer resolution. */
const seconds = (ms: number) => Math.floor(ms / 1000);

/** 'ok', or 'not-modified' (304); throws PreconditionFailed (412). */
export function evaluatePreconditions(
  p: Preconditions,
  etag: string,
  lastModified: number,
): 'ok' | 'not-modified' {
  if (p.IfMatch !== undefined && !etagMatches(p.IfMatch, etag)) throw preconditionFailed('If-Match');
  if (
    p.IfMatch === undefined &&
    p.IfUnmodifiedSince !== undefined &&
    seconds(lastModified) > seconds(p.IfUnmodifiedSince.getTime())
  ) {
    throw preconditionFailed('If-Unmodified-Since');
  }
  if (p.IfNoneMatch !== undefined && etagMatches(p.IfNoneMatch, etag)) return 'not-modified';
  if (
    p.IfNoneMatch === undefined &&
    p.IfModifiedSince !== undefined &&
    seconds(lastModified) <= seconds(p.IfModifiedSince.getTime())
  ) {
    return 'not-modified';
  }
  return 'ok';
}

/** The inclusive byte range to send, or undefined for the whole object; throws InvalidRange (416). */
export function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | undefined {
  if (header === undefined) return undefined;
  const m = /^\s*bytes=(\d*)-(\d*)\s*$/.exec(header);
  if (!m) return undefined;
  const [, a = '', b = ''] = m;
  if (a === '' && b === '') return undefined;
  if (a === '') {
    const n = Number(b);
    if (n === 0) throw invalidRange(header, size);
    if (size === 0) return undefined;
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(a);
  const end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
  if (b !== '' && Number(b) < start) return undefined;
  if (start >= size) throw invalidRange(header, size);
  return { start, end };
}
