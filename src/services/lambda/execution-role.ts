/**
 * CreateFunction's and UpdateFunctionConfiguration's checks of the execution role, as Lambda
 * makes them:
 *
 * - iam:PassRole: an IAM user or role session may hand a role to Lambda only if its identity
 *   policies allow `iam:PassRole` on the role's ARN (condition key `iam:PassedToService` =
 *   lambda.amazonaws.com), else AccessDeniedException "User: <caller> is not authorized to
 *   perform: iam:PassRole on resource: <role arn> because no identity-based policy allows the
 *   iam:PassRole action". The root user passes. With enforcement off the denial is only logged
 *   as "IAM would deny" (the authorizer's `decide`).
 * - trust: when IAM is enforced the role must exist and its trust policy must let
 *   lambda.amazonaws.com assume it, else InvalidParameterValueException "The role defined for
 *   the function cannot be assumed by Lambda." Without enforcement (local development) any
 *   well-formed role is accepted and its environments get a session of it with no policies.
 *
 * PassRole comes first: AWS authorizes the caller before it looks at the role.
 */
import type { Authorizer } from '../../iam/authorizer.js';
import { servicePrincipal } from '../../iam/principal.js';
import type { IdentityStore } from '../../iam/store.js';
import { createTrustPolicies } from '../../iam/trust.js';
import type { RequestContext } from '../../protocols/types.js';
import { type Config, iamEnforced } from '../../shared/config.js';
import { AccessDeniedException, InvalidParameterValueException } from './errors.js';

const ROLE_ARN = /^arn:aws[a-z-]*:iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/;
const LAMBDA = servicePrincipal('lambda.amazonaws.com');
const PASSED_TO = { 'iam:PassedToService': 'lambda.amazonaws.com' } as const;

export function executionRoleCheck(
  config: Config,
  identities: IdentityStore | undefined,
  authorizer?: Authorizer,
): (role: string, ctx: RequestContext) => void {
  const enforced = identities !== undefined && iamEnforced(config);
  const trust = enforced ? createTrustPolicies(identities) : undefined;
  return (role, ctx) => {
    if (authorizer && ctx.principal.type !== 'root') {
      const denied = authorizer.decide(
        { principal: ctx.principal, action: 'iam:PassRole', resource: role, context: PASSED_TO },
        undefined,
      );
      if (denied) throw new AccessDeniedException(denied);
    }
    if (!trust || !identities) return;
    const m = ROLE_ARN.exec(role);
    const found = m ? identities.getRole(m[1] as string, m[2] as string) : undefined;
    if (!found || !trust.check(found.assumeRolePolicyDocument, LAMBDA, 'sts:AssumeRole')) {
      throw new InvalidParameterValueException(
        'The role defined for the function cannot be assumed by Lambda.',
      );
    }
  };
}
