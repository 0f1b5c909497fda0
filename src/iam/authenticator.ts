/**
 * Authentication at the gateway: which secret signs a request's access key id, and, once the
 * signature is verified, who the caller is. Root keys come from the configuration; IAM users'
 * access keys and STS session credentials from the identity store's in-memory index, so a
 * request costs two Map lookups and no SQLite read.
 *
 * Errors are AWS's, as each protocol names them: an unknown, deleted or inactive key, or a
 * session credential without its token (or with another), is
 * `UnrecognizedClientException` / `InvalidClientTokenId` ("The security token included in the
 * request is invalid."); an expired session is `ExpiredTokenException` / `ExpiredToken` ("The
 * security token included in the request is expired"). Query services map the names.
 */
import type { SecretLookup, VerifiedIdentity } from '../gateway/sigv4.js';
import type { Credential } from '../shared/config.js';
import { awsError, UnrecognizedClientException } from '../shared/errors.js';
import { type Principal, rootPrincipal } from './principal.js';
import type { IdentityStore } from './store.js';

export class ExpiredTokenException extends awsError(
  'ExpiredTokenException',
  403,
  'The security token included in the request is expired',
) {}

export interface Authenticator {
  /** The secret behind an access key id (including expired sessions: they fail after verification, as ExpiredToken). */
  lookup: SecretLookup;
  /** The caller of a request whose signature verified; throws the token errors above. */
  principalOf(identity: VerifiedIdentity, now: Date): Principal;
}

export function createAuthenticator(roots: readonly Credential[], store?: IdentityStore): Authenticator {
  const rootKeys = new Map(
    roots.map((c) => [
      c.accessKeyId,
      { secretAccessKey: c.secretAccessKey, accountId: c.accountId, principal: rootPrincipal(c.accountId) },
    ]),
  );
  return {
    lookup(accessKeyId) {
      const root = rootKeys.get(accessKeyId);
      if (root) return root;
      const entry = store?.credential(accessKeyId);
      // An inactive key is refused as an unknown one is (AWS does not say which).
      return entry?.active ? entry : undefined;
    },
    principalOf(identity, now) {
      const root = rootKeys.get(identity.accessKeyId);
      if (root) return root.principal;
      const entry = store?.credential(identity.accessKeyId);
      if (!entry?.active) throw new UnrecognizedClientException();
      if (entry.sessionToken !== undefined) {
        if (identity.sessionToken !== entry.sessionToken) throw new UnrecognizedClientException();
        if (entry.expiresMs !== undefined && now.getTime() >= entry.expiresMs)
          throw new ExpiredTokenException();
      } else if (identity.sessionToken) {
        // A long-term key with a (stray) session token is refused, as AWS does. The configured
        // root keys above are exempt: local setups often carry an old AWS_SESSION_TOKEN.
        throw new UnrecognizedClientException();
      }
      return entry.principal;
    },
  };
}
