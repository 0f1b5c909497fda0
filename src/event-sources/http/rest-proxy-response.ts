/**
 * A REST API's reading of a Lambda proxy integration's answer (payload 1.0): a JSON object
 * with only `statusCode`, `headers`, `multiValueHeaders`, `body` and `isBase64Encoded`.
 * Anything else — another key, a non-object, a header list that is not a list, a status that
 * is not a number from 100 to 599, a body that is not a string — makes API Gateway answer
 * 502 `{"message": "Internal server error"}` (recorded:
 * test_apigateway_lambda::test_aws_proxy_response_payload_format_validation).
 *
 * `isBase64Encoded: true` is decoded only when the API lists a binary media type matching
 * the request's Accept or the response's Content-Type; otherwise the base64 text is sent as it
 * is (recorded: `invoke-api-b64-encoded-true` returns the base64 text on an API without
 * binary media types).
 */

export interface ProxyResponse {
  status: number;
  /** Header name → values (several values are several header lines). */
  headers: Map<string, { name: string; values: string[] }>;
  body: Buffer;
}

const KEYS = new Set(['statusCode', 'headers', 'multiValueHeaders', 'body', 'isBase64Encoded']);

/** The HTTP answer, or undefined when the function's answer is not a valid proxy response. */
export function readProxyResponse(
  payload: Buffer,
  binary: { mediaTypes: readonly string[]; accept: string | undefined },
): ProxyResponse | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(payload.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return undefined;
  const r = doc as Record<string, unknown>;
  const keys = Object.keys(r);
  // An empty object is refused too (recorded: `invoke-api-empty-response`).
  if (keys.length === 0 || keys.some((k) => !KEYS.has(k))) return undefined;

  let status = 200;
  if (r.statusCode !== undefined && r.statusCode !== null) {
    const n =
      typeof r.statusCode === 'string' && /^\d+$/.test(r.statusCode) ? Number(r.statusCode) : r.statusCode;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 100 || n > 599) return undefined;
    status = n;
  }

  const headers = new Map<string, { name: string; values: string[] }>();
  const add = (name: string, value: string) => {
    const lower = name.toLowerCase();
    const entry = headers.get(lower);
    if (entry) entry.values.push(value);
    else headers.set(lower, { name, values: [value] });
  };
  if (r.multiValueHeaders !== undefined && r.multiValueHeaders !== null) {
    if (typeof r.multiValueHeaders !== 'object' || Array.isArray(r.multiValueHeaders)) return undefined;
    for (const [name, values] of Object.entries(r.multiValueHeaders)) {
      if (!Array.isArray(values)) return undefined;
      for (const v of values) {
        if (!isScalar(v)) return undefined;
        add(name, String(v));
      }
    }
  }
  if (r.headers !== undefined && r.headers !== null) {
    if (typeof r.headers !== 'object' || Array.isArray(r.headers)) return undefined;
    for (const [name, value] of Object.entries(r.headers)) {
      if (value === null) continue;
      if (!isScalar(value)) return undefined;
      add(name, String(value));
    }
  }

  let text = '';
  if (r.body !== undefined && r.body !== null) {
    if (typeof r.body !== 'string') return undefined;
    text = r.body;
  }
  const base64 = r.isBase64Encoded === true || r.isBase64Encoded === 'true';
  const contentType = headers.get('content-type')?.values[0];
  const body =
    base64 &&
    (matchesBinary(binary.mediaTypes, binary.accept) || matchesBinary(binary.mediaTypes, contentType))
      ? Buffer.from(text, 'base64')
      : Buffer.from(text, 'utf8');
  return { status, headers, body };
}

function isScalar(v: unknown): v is string | number | boolean {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

/**
 * Whether a media type (or an Accept list) matches one of the API's binary media types
 * (`image/png`, `image/*`, `*\/*`).
 */
export function matchesBinary(mediaTypes: readonly string[], value: string | undefined): boolean {
  if (!value || mediaTypes.length === 0) return false;
  const wanted = value
    .split(',')
    .map((t) => (t.split(';')[0] ?? '').trim().toLowerCase())
    .filter(Boolean);
  return mediaTypes.some((pattern) => {
    const p = pattern.toLowerCase();
    if (p === '*/*') return true;
    return wanted.some((t) => t === p || (p.endsWith('/*') && t.startsWith(p.slice(0, -1))));
  });
}
