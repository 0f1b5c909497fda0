/**
 * API Gateway's reading of a payload 1.0 answer: a JSON object with an integer `statusCode`,
 * optional `headers` (string values), `multiValueHeaders` (lists), a string `body` and
 * `isBase64Encoded`. Anything else — a bare value, a non-string body, a missing status — is
 * not a proxy response: the caller gets 502 `{"message":"Internal Server Error"}`. (Payload 2.0
 * infers 200 JSON from a bare value; 1.0 does not.)
 */

export interface HttpAnswer {
  status: number;
  /** Header names lower case; several values of one name stay apart (Set-Cookie). */
  headers: Array<[string, string]>;
  body: Buffer;
}

export function mapV1Response(payload: Buffer): HttpAnswer | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(payload.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return undefined;
  const r = doc as Record<string, unknown>;
  const status = r.statusCode;
  const statusNumber = typeof status === 'string' && /^\d{3}$/.test(status) ? Number(status) : status;
  if (
    typeof statusNumber !== 'number' ||
    !Number.isInteger(statusNumber) ||
    statusNumber < 100 ||
    statusNumber > 599
  ) {
    return undefined;
  }
  if (r.body !== undefined && r.body !== null && typeof r.body !== 'string') return undefined;
  const headers: Array<[string, string]> = [];
  const single = r.headers;
  const multi = r.multiValueHeaders;
  if (single !== undefined && single !== null && (typeof single !== 'object' || Array.isArray(single)))
    return undefined;
  if (multi !== undefined && multi !== null && (typeof multi !== 'object' || Array.isArray(multi)))
    return undefined;
  const fromMulti = new Set<string>();
  for (const [name, values] of Object.entries((multi ?? {}) as Record<string, unknown>)) {
    if (!Array.isArray(values)) return undefined;
    fromMulti.add(name.toLowerCase());
    for (const v of values) headers.push([name.toLowerCase(), scalar(v)]);
  }
  for (const [name, value] of Object.entries((single ?? {}) as Record<string, unknown>)) {
    // A name in both: multiValueHeaders' values are kept (API Gateway merges them).
    if (fromMulti.has(name.toLowerCase())) continue;
    if (value === null || typeof value === 'object') continue;
    headers.push([name.toLowerCase(), scalar(value)]);
  }
  const text = typeof r.body === 'string' ? r.body : '';
  const body = r.isBase64Encoded === true ? Buffer.from(text, 'base64') : Buffer.from(text, 'utf8');
  return { status: statusNumber, headers, body };
}

function scalar(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}
