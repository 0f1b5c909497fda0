/**
 * HTTP APIs' JWT authorizers at request time, as AWS documents them: the token (with or without
 * `Bearer `) from the identity source header, signed with RSA (RS256/384/512) by a key of the
 * issuer's JWKS (found through `<issuer>/.well-known/openid-configuration`, kept 10 minutes,
 * fetched again for an unknown `kid`), `iss` equal to the issuer, `aud` or `client_id` one of
 * the audiences, `exp`/`nbf` honoured. Anything wrong → 401 `{"message":"Unauthorized"}`; a route
 * whose `authorizationScopes` the token's `scope`/`scp` does not meet → 403 Forbidden. The claims
 * reach the integration with their values as strings, as AWS passes them.
 */
import { createPublicKey, type KeyObject, verify } from 'node:crypto';
import type { AuthorizerDoc } from '../../services/apigatewayv2/model.js';

export type JwtOutcome =
  | { kind: 'allow'; claims: Record<string, string>; scopes: string[] | null }
  | { kind: 'deny'; status: 401 | 403; message: string };

const JWKS_TTL_MS = 10 * 60 * 1000;
const ALGORITHMS: Record<string, string> = { RS256: 'RSA-SHA256', RS384: 'RSA-SHA384', RS512: 'RSA-SHA512' };

export function createJwtVerifier(deps: { warn(text: string): void }) {
  const jwks = new Map<string, { fetched: number; keys: Map<string, KeyObject> }>();

  async function fetchKeys(issuer: string): Promise<Map<string, KeyObject>> {
    const base = issuer.replace(/\/$/, '');
    const config = (await (await fetch(`${base}/.well-known/openid-configuration`, timeout())).json()) as {
      jwks_uri?: string;
    };
    if (typeof config.jwks_uri !== 'string') throw new Error('no jwks_uri in the OpenID configuration');
    const doc = (await (await fetch(config.jwks_uri, timeout())).json()) as {
      keys?: Array<Record<string, unknown>>;
    };
    const keys = new Map<string, KeyObject>();
    for (const jwk of doc.keys ?? []) {
      if (jwk.kty !== 'RSA' || typeof jwk.kid !== 'string') continue;
      keys.set(jwk.kid, createPublicKey({ key: jwk as never, format: 'jwk' }));
    }
    jwks.set(issuer, { fetched: Date.now(), keys });
    return keys;
  }

  async function keyFor(issuer: string, kid: string): Promise<KeyObject | undefined> {
    const known = jwks.get(issuer);
    if (known && Date.now() - known.fetched < JWKS_TTL_MS) {
      const key = known.keys.get(kid);
      // An unknown kid may be a rotated key: fetch again (at most once a second).
      if (key || Date.now() - known.fetched < 1000) return key;
    }
    return (await fetchKeys(issuer)).get(kid);
  }

  return async function verifyJwt(
    authorizer: AuthorizerDoc,
    headerValue: string | undefined,
    requiredScopes: readonly string[] | undefined,
  ): Promise<JwtOutcome> {
    const unauthorized = { kind: 'deny', status: 401, message: 'Unauthorized' } as const;
    const issuer = authorizer.jwtConfiguration?.issuer ?? '';
    const token = headerValue?.replace(/^Bearer\s+/i, '').trim();
    if (!token) return unauthorized;
    const parts = token.split('.');
    if (parts.length !== 3) return unauthorized;
    const [h, p, sig] = parts as [string, string, string];
    let header: { alg?: string; kid?: string };
    let claims: Record<string, unknown>;
    try {
      header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
      claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
    } catch {
      return unauthorized;
    }
    const algorithm = header.alg ? ALGORITHMS[header.alg] : undefined;
    if (!algorithm || typeof header.kid !== 'string' || typeof claims !== 'object' || claims === null) {
      return unauthorized;
    }
    let key: KeyObject | undefined;
    try {
      key = await keyFor(issuer, header.kid);
    } catch (err) {
      deps.warn(
        `JWT authorizer ${authorizer.authorizerId}: the JWKS of ${issuer} could not be read: ${(err as Error).message}`,
      );
      return unauthorized;
    }
    if (!key || !verify(algorithm, Buffer.from(`${h}.${p}`), key, Buffer.from(sig, 'base64url')))
      return unauthorized;
    const now = Date.now() / 1000;
    if (claims.iss !== issuer) return unauthorized;
    if (typeof claims.exp !== 'number' || claims.exp <= now) return unauthorized;
    if (typeof claims.nbf === 'number' && claims.nbf > now) return unauthorized;
    const audiences = authorizer.jwtConfiguration?.audience ?? [];
    const tokenAudiences = [claims.aud, claims.client_id]
      .flat()
      .filter((a): a is string => typeof a === 'string');
    if (!tokenAudiences.some((a) => audiences.includes(a))) return unauthorized;
    const scopeClaim = claims.scope ?? claims.scp;
    const scopes =
      typeof scopeClaim === 'string'
        ? scopeClaim.split(' ').filter((s) => s !== '')
        : Array.isArray(scopeClaim)
          ? scopeClaim.map(String)
          : null;
    if (requiredScopes?.length && !requiredScopes.some((s) => scopes?.includes(s))) {
      return { kind: 'deny', status: 403, message: 'Forbidden' };
    }
    return { kind: 'allow', claims: stringClaims(claims), scopes };
  };
}

function timeout(): RequestInit {
  return { signal: AbortSignal.timeout(5000) };
}

/** AWS passes claims as strings: numbers and booleans as text, lists as `[a b]`. */
function stringClaims(claims: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(claims)) {
    out[k] =
      typeof v === 'string'
        ? v
        : Array.isArray(v)
          ? `[${v.join(' ')}]`
          : typeof v === 'object'
            ? JSON.stringify(v)
            : String(v);
  }
  return out;
}
