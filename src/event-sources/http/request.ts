/**
 * What an HTTP front door knows of a request once it has read it, shared by the payload builders
 * (1.0 here; 2.0 in payload-v2.ts) so that each event is built from the same facts.
 */
import { randomBytes } from 'node:crypto';

export interface HttpRequestFacts {
  method: string;
  /** The path as received (percent-encoded), without the query string. */
  rawPath: string;
  /** The query string as received, without `?` ("" when none). */
  rawQuery: string;
  /** Header names and values in arrival order, names as the client spelled them (Node's rawHeaders). */
  rawHeaders: readonly string[];
  body: Buffer;
  sourceIp: string;
  /** `HTTP/1.1`. */
  protocol: string;
  /** When the request arrived. */
  time: Date;
}

/** API Gateway's own request id form (`JKJaXmPLvHcESHA=`): 10 random bytes, base64. */
export function apiGatewayRequestId(): string {
  return randomBytes(10).toString('base64');
}

/** The value of a header (the last one sent), case-insensitively. */
export function headerOf(facts: Pick<HttpRequestFacts, 'rawHeaders'>, name: string): string | undefined {
  let value: string | undefined;
  const lower = name.toLowerCase();
  for (let i = 0; i + 1 < facts.rawHeaders.length; i += 2) {
    if ((facts.rawHeaders[i] as string).toLowerCase() === lower) value = facts.rawHeaders[i + 1];
  }
  return value;
}

/** Common Log Format time, as API Gateway's `requestTime`: `04/Mar/2020:19:15:17 +0000`. */
export function clfTime(time: Date): string {
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(time.getUTCDate())}/${months[time.getUTCMonth()]}/${time.getUTCFullYear()}:${p(time.getUTCHours())}:${p(
    time.getUTCMinutes(),
  )}:${p(time.getUTCSeconds())} +0000`;
}

/** Query parameters in order, decoded as API Gateway decodes them (`+` is a space). */
export function queryPairs(rawQuery: string): Array<[string, string]> {
  if (rawQuery === '') return [];
  return [...new URLSearchParams(rawQuery)];
}
