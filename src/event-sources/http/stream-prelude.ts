/**
 * The HTTP prelude of a streamed HTTP response (function URLs; REST API methods streaming their
 * integration's response, whose prelude may also carry `multiValueHeaders`). A handler that calls
 * `awslambda.HttpResponseStream.from(stream, { statusCode, headers, cookies })` sets the stream's
 * content type to `application/vnd.awslambda.http-integration-response` and writes the prelude as
 * JSON followed by 8 NUL bytes; everything after them is the body. The prelude may arrive split
 * over several chunks (the runtime writes the JSON and the NULs separately), and the first body
 * bytes may share a chunk with its end, so the split works on the bytes, not on chunk boundaries.
 */
import type { HttpResponseOut } from './response-v2.js';

export const PRELUDE_CONTENT_TYPE = 'application/vnd.awslambda.http-integration-response';
const SEPARATOR = Buffer.alloc(8);
/** A prelude longer than this is not one (nothing legitimate needs more for a status and headers). */
export const PRELUDE_LIMIT = 1024 * 1024;

export type PreludeSplit =
  /** The prelude, and what followed its NULs in the same chunks (possibly empty). */
  | { kind: 'prelude'; head: Omit<HttpResponseOut, 'body'>; rest: Buffer }
  /** The stream ended, or grew past the limit, without a whole prelude; or the prelude is not JSON. */
  | { kind: 'invalid' };

/**
 * Reads from `next` until the prelude's 8 NUL bytes (or the stream's end) and maps the prelude to a
 * status and headers: `statusCode` (200 when absent), `headers` (string, number or boolean values),
 * `cookies` (each a Set-Cookie line) and, for API Gateway, `multiValueHeaders` (each value a line).
 */
export async function splitPrelude(
  first: Buffer,
  next: () => Promise<IteratorResult<Buffer, void>>,
  options: { multiValueHeaders?: boolean } = {},
): Promise<PreludeSplit> {
  let held = first;
  for (;;) {
    const at = held.indexOf(SEPARATOR);
    if (at !== -1) {
      const head = parsePrelude(held.subarray(0, at), options.multiValueHeaders === true);
      return head
        ? { kind: 'prelude', head, rest: held.subarray(at + SEPARATOR.length) }
        : { kind: 'invalid' };
    }
    if (held.length > PRELUDE_LIMIT) return { kind: 'invalid' };
    const more = await next();
    if (more.done) return { kind: 'invalid' };
    held = Buffer.concat([held, more.value]);
  }
}

function parsePrelude(bytes: Buffer, multiValueHeaders: boolean): Omit<HttpResponseOut, 'body'> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const p = value as Record<string, unknown>;
  const status = p.statusCode === undefined ? 200 : Number(p.statusCode);
  if (!Number.isInteger(status) || status < 100 || status > 599) return undefined;
  const headers = new Map<string, string[]>();
  if (multiValueHeaders && p.multiValueHeaders && typeof p.multiValueHeaders === 'object') {
    for (const [name, vs] of Object.entries(p.multiValueHeaders as Record<string, unknown>)) {
      const values = Array.isArray(vs) ? vs.map(scalar).filter((v) => v !== undefined) : [];
      if (values.length > 0) headers.set(name.toLowerCase(), values);
    }
  }
  if (p.headers && typeof p.headers === 'object') {
    for (const [name, v] of Object.entries(p.headers as Record<string, unknown>)) {
      const s = scalar(v);
      if (s === undefined) continue;
      // As the buffered 1.0 answer: `headers` adds to what `multiValueHeaders` gave.
      const lower = name.toLowerCase();
      headers.set(lower, multiValueHeaders ? [...(headers.get(lower) ?? []), s] : [s]);
    }
  }
  if (Array.isArray(p.cookies)) {
    const cookies = p.cookies.filter((c): c is string => typeof c === 'string');
    if (cookies.length > 0) headers.set('set-cookie', [...(headers.get('set-cookie') ?? []), ...cookies]);
  }
  return { status, headers };
}

function scalar(v: unknown): string | undefined {
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
}
