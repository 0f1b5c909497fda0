/**
 * A handler's answer in payload format 2.0 as the HTTP response AWS makes of it (function URLs and
 * HTTP APIs alike): an object with `statusCode` is a structured response (`headers`, `cookies` as
 * separate Set-Cookie headers, `body`, `isBase64Encoded`; `multiValueHeaders` is payload 1.0's and
 * not part of 2.0's documented format, so it is ignored — handlers written for both versions
 * return it beside `cookies`);
 * any other JSON value is the body of a 200 `application/json` response (a JSON string as its
 * text, other values re-serialised compactly, as recorded). Undefined means the answer cannot
 * be one (not JSON, a bad status code): the caller answers 502.
 */

export interface HttpResponseOut {
  status: number;
  /** Lower-case names; several values are sent as several header lines. */
  headers: Map<string, string[]>;
  body: Buffer;
}

const JSON_TYPE = 'application/json';

function add(headers: Map<string, string[]>, name: string, value: string): void {
  const key = name.toLowerCase();
  const values = headers.get(key);
  if (values) values.push(value);
  else headers.set(key, [value]);
}

const scalar = (v: unknown): string | undefined =>
  typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;

export function mapResponseV2(payload: Buffer): HttpResponseOut | undefined {
  let value: unknown;
  try {
    value = JSON.parse(payload.toString('utf8'));
  } catch {
    return undefined;
  }
  const headers = new Map<string, string[]>();
  if (value === null || typeof value !== 'object' || Array.isArray(value) || !('statusCode' in value)) {
    headers.set('content-type', [JSON_TYPE]);
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    return { status: 200, headers, body: Buffer.from(text, 'utf8') };
  }
  const r = value as Record<string, unknown>;
  const status = typeof r.statusCode === 'string' ? Number(r.statusCode) : r.statusCode;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599)
    return undefined;
  if (r.headers && typeof r.headers === 'object') {
    for (const [name, v] of Object.entries(r.headers as Record<string, unknown>)) {
      const s = scalar(v);
      if (s !== undefined) add(headers, name, s);
    }
  }
  if (Array.isArray(r.cookies)) {
    for (const c of r.cookies) if (typeof c === 'string') add(headers, 'set-cookie', c);
  }
  if (!headers.has('content-type')) headers.set('content-type', [JSON_TYPE]);
  let body: Buffer;
  if (r.body === undefined || r.body === null) body = Buffer.alloc(0);
  else if (typeof r.body === 'string')
    body = r.isBase64Encoded === true ? Buffer.from(r.body, 'base64') : Buffer.from(r.body, 'utf8');
  else body = Buffer.from(JSON.stringify(r.body), 'utf8');
  return { status, headers, body };
}
