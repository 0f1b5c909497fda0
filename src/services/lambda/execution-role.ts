/**
 * CreateFunction's and UpdateFunctionConfiguration's check of the execution role, as Lambda
 * makes it when IAM is enforced: the role must exist and its trust policy must let
 * lambda.amazonaws.com assume it, else InvalidParameterValueException "The role defined for
 * the function cannot be assumed by Lambda." Without enforcement (local development) any
 * well-formed role is accepted and its environments get a session of it with no policies.
 */
import { servicePrincipal } from '../../iam/principal.js';
import type { IdentityStore } from '../../iam/store.js';
import { createTrustPolicies } from '../../iam/trust.js';
import { type Config, iamEnforced } from '../../shared/config.js';
import { InvalidParameterValueException } from './errors.js';

const ROLE_ARN = /^arn:aws[a-z-]*:iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/;
const LAMBDA = servicePrincipal('lambda.amazonaws.com');

export function executionRoleCheck(
  config: Config,
  identities: IdentityStore | undefined,
): (role: string) => void {
  if (!identities || !iamEnforced(config)) return () => {};
  const trust = createTrustPolicies(identities);
  return (role) => {
    const m = ROLE_ARN.exec(role);
    const found = m ? identities.getRole(m[1] as string, m[2] as string) : undefined;
    if (!found || !trust.check(found.assumeRolePolicyDocument, LAMBDA, 'sts:AssumeRole')) {
      throw new InvalidParameterValueException(
        'The role defined for the function cannot be assumed by Lambda.',
      );
    }
  };
}
