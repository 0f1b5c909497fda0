/**
 * AuthType AWS_IAM: the request must carry a SigV4 signature for service `lambda`, verified
 * with the gateway's own verifier (gateway/sigv4.ts) against the platform's keys, IAM users'
 * keys and STS sessions. The verified caller then goes to the function's policy and the
 * caller's identity policies (lambda:InvokeFunctionUrl), as on AWS.
 */
import { checkSigV4Headers, type SignedRequestView, type SigningKeyCache } from '../../gateway/sigv4.js';
import type { Authenticator } from '../../iam/authenticator.js';
import type { Principal } from '../../iam/principal.js';
import { AwsError } from '../../shared/errors.js';

export interface IamCaller {
  principal: Principal;
  accessKeyId: string;
  accountId: string;
}

/** Thrown for a request that is unsigned, badly signed or signed for another service. */
export class UrlAuthError extends Error {
  constructor(
    /** What the 403 body says. */
    readonly bodyMessage: string,
    readonly errorType: string,
  ) {
    super(bodyMessage);
  }
}

const FORBIDDEN = 'Forbidden';

/**
 * Verifies the signature (the body's SHA-256 is asked for only when the signature covers it)
 * and names the caller; throws UrlAuthError otherwise.
 */
export function authenticateIam(
  view: SignedRequestView,
  bodySha256: () => string,
  auth: Authenticator,
  keyCache: SigningKeyCache,
  now: Date,
): IamCaller {
  try {
    const pending = checkSigV4Headers(view, auth.lookup, now, { keyCache });
    const identity = pending.verify(bodySha256);
    if (identity.service !== 'lambda') throw new UrlAuthError(FORBIDDEN, 'AccessDeniedException');
    const principal = auth.principalOf(identity, now);
    return { principal, accessKeyId: identity.accessKeyId, accountId: identity.accountId };
  } catch (err) {
    if (err instanceof UrlAuthError) throw err;
    if (err instanceof AwsError) {
      // Unsigned: AWS's bare Forbidden; a signature that fails: its own words.
      if (err.code === 'MissingAuthenticationTokenException')
        throw new UrlAuthError(FORBIDDEN, 'AccessDeniedException');
      throw new UrlAuthError(err.message, err.code);
    }
    throw err;
  }
}

/** `requestContext.authorizer.iam` of a signed request. */
export function iamAuthorizerContext(caller: IamCaller): Record<string, unknown> {
  return {
    iam: {
      accessKey: caller.accessKeyId,
      accountId: caller.accountId,
      callerId: caller.principal.userId,
      cognitoIdentity: null,
      principalOrgId: null,
      userArn: caller.principal.arn,
      userId: caller.principal.userId,
    },
  };
}
