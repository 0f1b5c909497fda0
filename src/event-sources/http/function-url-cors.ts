/**
 * CORS from a function URL's `Cors` config, applied by the front door as AWS does: a preflight
 * (OPTIONS with Origin and Access-Control-Request-Method) is answered without invoking the
 * function, and responses to an allowed origin carry the allow/expose headers. With a config,
 * the function's own Access-Control-* headers are replaced, so the config is the one truth.
 * Without a config, nothing is added and OPTIONS reaches the function like any method.
 */
import type { FunctionUrlCors } from './function-url-directory.js';

type Headers = Readonly<Record<string, readonly string[] | undefined>>;

const first = (h: Headers, name: string) => h[name]?.[0];
const has = (list: readonly string[] | undefined, v: string) =>
  list?.some((x) => x === '*' || x.toLowerCase() === v.toLowerCase()) ?? false;

export function isPreflight(method: string, headers: Headers): boolean {
  return (
    method === 'OPTIONS' &&
    first(headers, 'origin') !== undefined &&
    first(headers, 'access-control-request-method') !== undefined
  );
}

/** The Access-Control-Allow-Origin value for this origin, or undefined when it is not allowed. */
function allowedOrigin(cors: FunctionUrlCors, origin: string | undefined): string | undefined {
  if (origin === undefined || !has(cors.AllowOrigins, origin)) return undefined;
  // A wildcard cannot go with credentials: browsers refuse `*` then, so echo the origin.
  return cors.AllowOrigins?.includes('*') && !cors.AllowCredentials ? '*' : origin;
}

/** The headers of the answer to a preflight (none when the origin or method is not allowed). */
export function preflightHeaders(cors: FunctionUrlCors, headers: Headers): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const origin = allowedOrigin(cors, first(headers, 'origin'));
  const method = first(headers, 'access-control-request-method') ?? '';
  if (origin === undefined || !has(cors.AllowMethods, method)) return out;
  out.set('access-control-allow-origin', [origin]);
  out.set('access-control-allow-methods', [
    cors.AllowMethods?.includes('*') ? method : (cors.AllowMethods ?? []).join(','),
  ]);
  const requested = first(headers, 'access-control-request-headers');
  if (cors.AllowHeaders?.includes('*')) {
    if (requested) out.set('access-control-allow-headers', [requested]);
  } else if (cors.AllowHeaders?.length) {
    out.set('access-control-allow-headers', [cors.AllowHeaders.join(',')]);
  }
  if (cors.AllowCredentials) out.set('access-control-allow-credentials', ['true']);
  if (cors.MaxAge !== undefined) out.set('access-control-max-age', [String(cors.MaxAge)]);
  out.set('vary', ['Origin']);
  return out;
}

/** Replaces the function's CORS headers with the config's, for the request's origin. */
export function applyCors(
  cors: FunctionUrlCors,
  requestHeaders: Headers,
  response: Map<string, string[]>,
): void {
  for (const name of [...response.keys()]) if (name.startsWith('access-control-')) response.delete(name);
  const origin = allowedOrigin(cors, first(requestHeaders, 'origin'));
  if (origin === undefined) return;
  response.set('access-control-allow-origin', [origin]);
  if (cors.ExposeHeaders?.length)
    response.set('access-control-expose-headers', [cors.ExposeHeaders.join(',')]);
  if (cors.AllowCredentials) response.set('access-control-allow-credentials', ['true']);
  const vary = response.get('vary');
  if (!vary) response.set('vary', ['Origin']);
  else if (!vary.some((v) => /\borigin\b/i.test(v))) vary.push('Origin');
}
