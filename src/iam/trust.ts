/**
 * Roles' trust policies through the policy evaluator: whether a caller may assume a role
 * (STS AssumeRole insists on it), and the trust policy as the role's resource policy for the
 * gateway's authorizer. Trust documents are compiled once per distinct text.
 */
import {
  type CompiledPolicy,
  compilePolicy,
  type PolicyDocument,
  parsePolicyDocument,
  resourcePolicyDecision,
} from './policy/index.js';
import type { Principal } from './principal.js';
import type { IdentityStore } from './store.js';

export type TrustCheck = (trustPolicy: string, caller: Principal, action: string) => boolean;

const MAX_COMPILED = 1000;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/;

export interface TrustPolicies {
  /** True when the trust policy allows `caller` the action (and no statement denies it). */
  check: TrustCheck;
  /** A role's trust policy, compiled, by the role's ARN. */
  policyOf(roleArn: string): CompiledPolicy | undefined;
}

export function createTrustPolicies(store: Pick<IdentityStore, 'getRole'>): TrustPolicies {
  const compiled = new Map<string, CompiledPolicy | null>();
  const compile = (text: string): CompiledPolicy | undefined => {
    let found = compiled.get(text);
    if (found === undefined) {
      if (compiled.size >= MAX_COMPILED) compiled.clear();
      let doc: PolicyDocument | undefined;
      try {
        doc = parsePolicyDocument(text, { kind: 'trust' });
      } catch {
        // A document IAM would have refused trusts nobody.
      }
      found = doc ? compilePolicy(doc) : null;
      compiled.set(text, found);
    }
    return found ?? undefined;
  };
  return {
    check(trustPolicy, caller, action) {
      const policy = compile(trustPolicy);
      if (!policy) return false;
      const req = { principal: caller, action, resource: '*', resourceAccount: caller.accountId };
      return resourcePolicyDecision(req, policy) === 'allow';
    },
    policyOf(roleArn) {
      const m = ROLE_ARN.exec(roleArn);
      const role = m && store.getRole(m[1] as string, m[2] as string);
      return role ? compile(role.assumeRolePolicyDocument) : undefined;
    },
  };
}
