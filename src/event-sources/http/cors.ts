/**
 * An HTTP API's CorsConfiguration, applied as AWS documents: API Gateway answers preflight
 * `OPTIONS` requests itself (204, whatever the routes), and adds the configured headers to
 * answers of allowed origins, in place of any CORS headers the integration sent.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { CorsDoc } from '../../services/apigatewayv2/model.js';

export function isPreflight(headers: IncomingHttpHeaders): boolean {
  return typeof headers.origin === 'string' && typeof headers['access-control-request-method'] === 'string';
}

function allowedOrigin(cors: CorsDoc, origin: string): string | undefined {
  const origins = cors.allowOrigins ?? [];
  if (origins.includes('*')) return '*';
  return origins.some((o) => o.toLowerCase() === origin.toLowerCase()) ? origin : undefined;
}

/** Headers for a preflight: none when the origin, method or headers asked for are not allowed. */
export function preflightHeaders(cors: CorsDoc, headers: IncomingHttpHeaders): Array<[string, string]> {
  const origin = allowedOrigin(cors, String(headers.origin));
  if (!origin) return [];
  const method = String(headers['access-control-request-method']).toUpperCase();
  const methods = (cors.allowMethods ?? []).map((m) => m.toUpperCase());
  if (!methods.includes('*') && !methods.includes(method)) return [];
  const asked = String(headers['access-control-request-headers'] ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter((h) => h !== '');
  const allowed = (cors.allowHeaders ?? []).map((h) => h.toLowerCase());
  if (!allowed.includes('*') && asked.some((h) => !allowed.includes(h))) return [];
  const out: Array<[string, string]> = [['access-control-allow-origin', origin]];
  if (cors.allowCredentials) out.push(['access-control-allow-credentials', 'true']);
  out.push(['access-control-allow-methods', methods.includes('*') ? '*' : methods.join(',')]);
  if (asked.length > 0)
    out.push(['access-control-allow-headers', allowed.includes('*') ? '*' : asked.join(',')]);
  if (cors.maxAge !== undefined && cors.maxAge >= 0)
    out.push(['access-control-max-age', String(cors.maxAge)]);
  return out;
}

/** Headers for an actual request from `origin`: none when the origin is not allowed. */
export function corsHeaders(cors: CorsDoc, origin: string): Array<[string, string]> {
  const allowed = allowedOrigin(cors, origin);
  if (!allowed) return [];
  const out: Array<[string, string]> = [['access-control-allow-origin', allowed]];
  if (cors.allowCredentials) out.push(['access-control-allow-credentials', 'true']);
  if (cors.exposeHeaders?.length) out.push(['access-control-expose-headers', cors.exposeHeaders.join(',')]);
  return out;
}
