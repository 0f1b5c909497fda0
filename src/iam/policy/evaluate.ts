/**
 * The policy evaluator: one decision for a request from its principal's identity-based
 * policies, its permissions boundary, its session's policies and, where the service has them,
 * the resource's policy. The logic is IAM's ("Policy evaluation logic" in the IAM User Guide)
 * for a request within one account, and for one across accounts (without Organizations SCPs
 * and RCPs, which Lambent does not have):
 *
 * 1. an explicit Deny in any applicable policy (boundary and session policies included) denies;
 * 2. the account's root user is allowed everything in its own account;
 * 3. a service principal (`s3.amazonaws.com`, ...) has only the resource policy to allow it;
 * 4. the identity policies' Allow counts only where the permissions boundary (if any) and the
 *    session policies (if any) also allow: effective = identity ∩ boundary ∩ session;
 * 5. within one account an Allow in the resource policy allows on its own when it names the
 *    principal's own ARN (the user, or the role *session*); one that names the role, the
 *    account or `*` is limited by the boundary and the session policies as identity policies
 *    are (the guide: permissions granted to the role ARN are added before the session exists);
 * 6. within one account either (4) or (5) allows; across accounts both must;
 * 7. otherwise the request is implicitly denied.
 *
 * Policies are compiled once (wildcards to matchers) and kept by whoever holds them; a
 * request only walks the compiled statements.
 */

import type { Principal } from '../principal.js';
import { type ConditionContext, type ContextValue, conditionHolds } from './conditions.js';
import type { ConditionClause, PolicyDocument, Statement } from './document.js';
import { compileAny, compileArn, type Matcher } from './wildcard.js';

export type { Principal, PrincipalType } from '../principal.js';

export interface AuthzRequest {
  principal: Principal;
  /** `service:Operation`, e.g. `lambda:DeleteFunction`. */
  action: string;
  /** The resource's ARN (`*` for actions that take none). */
  resource: string;
  /** The account owning the resource (for the cross-account rule). */
  resourceAccount: string;
  /** Further condition keys (lower or mixed case; `aws:` globals are added from the principal). */
  context?: Readonly<Record<string, ContextValue>>;
}

export type Decision =
  | { allowed: true; by: 'root' | 'identity' | 'resource' | 'both' }
  | {
      allowed: false;
      reason:
        | 'explicit-deny-identity'
        | 'explicit-deny-resource'
        | 'explicit-deny-boundary'
        | 'explicit-deny-session'
        | 'no-identity-allow'
        | 'no-resource-allow'
        | 'no-boundary-allow'
        | 'no-session-allow';
    };

/**
 * What applies to a principal besides resource policies: its identity policies, and the
 * policies that narrow them — a permissions boundary, a session's policies (AssumeRole
 * `Policy`/`PolicyArns`). Absent boundary/session: nothing narrows. A plain array is the
 * identity policies alone.
 */
export interface IdentityPolicySet {
  policies: readonly CompiledPolicy[];
  boundary?: readonly CompiledPolicy[];
  session?: readonly CompiledPolicy[];
}

export type IdentityPolicies = readonly CompiledPolicy[] | IdentityPolicySet;

interface CompiledStatement {
  effect: 'Allow' | 'Deny';
  action: Matcher;
  actionNegated: boolean;
  /** Undefined: the statement names no resource (trust policies), so any resource. */
  resource: ((resource: string, vars: Variables) => boolean) | undefined;
  resourceNegated: boolean;
  principal: ((p: Principal) => boolean) | undefined;
  /** The principal ARNs the statement names (for rule 5: does it name the caller itself?). */
  principalArns: ReadonlySet<string>;
  principalNegated: boolean;
  condition: ConditionClause[];
  /** Policy variables (`${aws:username}`) apply to Version 2012-10-17 documents only. */
  variables: boolean;
}

export interface CompiledPolicy {
  statements: CompiledStatement[];
}

type Variables = ConditionContext;

export function compilePolicy(doc: PolicyDocument): CompiledPolicy {
  return { statements: doc.statements.map((s) => compileStatement(s, doc.version === '2012-10-17')) };
}

function compileStatement(s: Statement, variables: boolean): CompiledStatement {
  const actions = s.action ?? s.notAction ?? [];
  const resources = s.resource ?? s.notResource;
  const principals = s.principal ?? s.notPrincipal;
  return {
    effect: s.effect,
    action: compileAny(actions, true),
    actionNegated: s.action === undefined,
    resource: resources ? compileResources(resources, variables) : undefined,
    resourceNegated: s.resource === undefined && s.notResource !== undefined,
    principal: principals ? compilePrincipals(principals) : undefined,
    principalArns: new Set(principals?.AWS ?? []),
    principalNegated: s.principal === undefined && s.notPrincipal !== undefined,
    condition: s.condition,
    variables,
  };
}

function compileResources(patterns: string[], variables: boolean): (r: string, vars: Variables) => boolean {
  const fixed = patterns.filter((p) => !(variables && p.includes('${')));
  const templated = patterns.filter((p) => variables && p.includes('${'));
  const matchers = fixed.map(compileArn);
  return (r, vars) => matchers.some((m) => m(r)) || templated.some((t) => compileArn(substitute(t, vars))(r));
}

/** `${aws:username}` and friends; `${*}`, `${?}`, `${$}` stand for the characters themselves. */
function substitute(text: string, vars: Variables): string {
  return text.replace(/\$\{([^}]+)\}/g, (whole, name: string) => {
    if (name === '*' || name === '?' || name === '$') return name;
    const [key, fallback] = name.split(/,\s*/, 2);
    const v = vars.get((key ?? '').toLowerCase());
    if (typeof v === 'string') return v;
    if (fallback !== undefined) return fallback.replace(/^'|'$/g, '');
    return whole; // an unknown variable matches nothing literal-like; keep it as written
  });
}

function compilePrincipals(map: Record<string, string[]>): (p: Principal) => boolean {
  const anyone = map['*']?.includes('*') || map.AWS?.includes('*');
  const services = new Set((map.Service ?? []).map((s) => s.toLowerCase()));
  const aws = (map.AWS ?? []).filter((v) => v !== '*');
  return (p) => {
    if (anyone) return true;
    if (p.type === 'service') return services.has(p.arn.toLowerCase());
    if (p.type === 'anonymous') return false;
    return aws.some((v) => awsPrincipalMatches(v, p));
  };
}

/** A principal element `123456789012`, `arn:aws:iam::123456789012:root`, a user, role or session ARN. */
function awsPrincipalMatches(value: string, p: Principal): boolean {
  if (/^\d{12}$/.test(value)) return value === p.accountId;
  const root = /^arn:aws[a-z-]*:iam::(\d{12}):root$/.exec(value);
  if (root) return root[1] === p.accountId;
  return value === p.arn || (p.roleArn !== undefined && value === p.roleArn);
}

/** The global condition keys IAM derives from the principal, keyed in lower case. */
function contextOf(req: AuthzRequest): Map<string, ContextValue> {
  const ctx = new Map<string, ContextValue>();
  const p = req.principal;
  if (p.type === 'anonymous') {
    // An unsigned caller has no principal keys.
  } else if (p.type !== 'service') {
    ctx.set('aws:principalarn', p.roleArn ?? p.arn);
    ctx.set('aws:principalaccount', p.accountId);
    ctx.set('aws:principaltype', p.type === 'root' ? 'Account' : p.type === 'user' ? 'User' : 'AssumedRole');
    if (p.userName) ctx.set('aws:username', p.userName);
    if (p.userId) ctx.set('aws:userid', p.userId);
    // Lambda adds this key to every request signed with a function's execution-role credentials.
    if (p.session?.sourceFunctionArn) ctx.set('lambda:sourcefunctionarn', p.session.sourceFunctionArn);
  } else {
    ctx.set('aws:principalservicename', p.arn);
  }
  if (req.context) for (const k in req.context) ctx.set(lowerKey(k), req.context[k] as ContextValue);
  return ctx;
}

/** Condition keys in lower case, remembered: requests name the same few keys again and again. */
const lowered = new Map<string, string>();
function lowerKey(k: string): string {
  let l = lowered.get(k);
  if (l === undefined) {
    l = k.toLowerCase();
    // Keys with a tag name or other request data in them are many: bound what is kept.
    if (lowered.size < 10_000) lowered.set(k, l);
  }
  return l;
}

type Match = 'allow' | 'deny' | 'none';

function statementMatches(
  s: CompiledStatement,
  req: AuthzRequest,
  ctx: Variables,
  withPrincipal: boolean,
): boolean {
  if (s.action(req.action) === s.actionNegated) return false;
  if (s.resource && s.resource(req.resource, ctx) === s.resourceNegated) return false;
  if (withPrincipal) {
    if (!s.principal) return false;
    if (s.principal(req.principal) === s.principalNegated) return false;
  }
  for (const c of s.condition) {
    const clause = s.variables ? { ...c, values: c.values.map((v) => substitute(v, ctx)) } : c;
    if (!conditionHolds(clause, ctx)) return false;
  }
  return true;
}

function policiesMatch(
  policies: readonly CompiledPolicy[],
  req: AuthzRequest,
  ctx: Variables,
  withPrincipal: boolean,
): Match {
  let allowed = false;
  for (const policy of policies) {
    for (const s of policy.statements) {
      if (!statementMatches(s, req, ctx, withPrincipal)) continue;
      if (s.effect === 'Deny') return 'deny';
      allowed = true;
    }
  }
  return allowed ? 'allow' : 'none';
}

/** A resource policy's verdict: `direct` is an Allow by a statement naming the caller's own ARN (rule 5). */
function resourceMatch(policy: CompiledPolicy, req: AuthzRequest, ctx: Variables): Match | 'direct' {
  let allowed: Match | 'direct' = 'none';
  for (const s of policy.statements) {
    if (!statementMatches(s, req, ctx, true)) continue;
    if (s.effect === 'Deny') return 'deny';
    if (!s.principalNegated && s.principalArns.has(req.principal.arn)) allowed = 'direct';
    else if (allowed === 'none') allowed = 'allow';
  }
  return allowed;
}

/**
 * A resource policy alone (a role's trust policy): whether it allows the request's principal,
 * denies it, or says nothing. AssumeRole needs `allow` whoever the caller is.
 */
export function resourcePolicyDecision(req: AuthzRequest, policy: CompiledPolicy): 'allow' | 'deny' | 'none' {
  return policiesMatch([policy], req, contextOf(req), true);
}

export function evaluate(
  req: AuthzRequest,
  identityPolicies: IdentityPolicies,
  resourcePolicy?: CompiledPolicy,
): Decision {
  const ctx = contextOf(req);
  const resource = resourcePolicy ? resourceMatch(resourcePolicy, req, ctx) : 'none';
  if (resource === 'deny') return { allowed: false, reason: 'explicit-deny-resource' };
  const p = req.principal;
  // Services and anonymous callers have no identity policies: the resource's policy decides.
  if (p.type === 'service' || p.type === 'anonymous') {
    return resource !== 'none'
      ? { allowed: true, by: 'resource' }
      : { allowed: false, reason: 'no-resource-allow' };
  }
  const sameAccount = p.accountId === req.resourceAccount;
  if (p.type === 'root' && sameAccount) return { allowed: true, by: 'root' };
  const set: IdentityPolicySet = isPolicyArray(identityPolicies)
    ? { policies: identityPolicies }
    : identityPolicies;
  const identity = p.type === 'root' ? 'allow' : policiesMatch(set.policies, req, ctx, false);
  if (identity === 'deny') return { allowed: false, reason: 'explicit-deny-identity' };
  // The narrowing policies: an explicit Deny in either denies whatever grants the request.
  const boundary = set.boundary ? policiesMatch(set.boundary, req, ctx, false) : 'allow';
  if (boundary === 'deny') return { allowed: false, reason: 'explicit-deny-boundary' };
  const session = set.session ? policiesMatch(set.session, req, ctx, false) : 'allow';
  if (session === 'deny') return { allowed: false, reason: 'explicit-deny-session' };
  const narrowed: Extract<Decision, { allowed: false }>['reason'] | undefined =
    boundary !== 'allow' ? 'no-boundary-allow' : session !== 'allow' ? 'no-session-allow' : undefined;
  const identityAllows = identity === 'allow' && narrowed === undefined;
  const resourceAllows = resource === 'direct' || (resource === 'allow' && narrowed === undefined);
  if (sameAccount) {
    if (identityAllows) return { allowed: true, by: resourceAllows ? 'both' : 'identity' };
    if (resourceAllows) return { allowed: true, by: 'resource' };
    return {
      allowed: false,
      reason:
        identity !== 'allow' && resource === 'none' ? 'no-identity-allow' : (narrowed ?? 'no-identity-allow'),
    };
  }
  if (!identityAllows)
    return {
      allowed: false,
      reason: identity !== 'allow' ? 'no-identity-allow' : (narrowed ?? 'no-identity-allow'),
    };
  if (resource === 'none') return { allowed: false, reason: 'no-resource-allow' };
  return { allowed: true, by: 'both' };
}

function isPolicyArray(p: IdentityPolicies): p is readonly CompiledPolicy[] {
  return Array.isArray(p);
}

/** AWS's wording after "is not authorized to perform: A on resource: R". */
export function denialReason(decision: Extract<Decision, { allowed: false }>, action: string): string {
  switch (decision.reason) {
    case 'explicit-deny-identity':
      return 'with an explicit deny in an identity-based policy';
    case 'explicit-deny-resource':
      return 'with an explicit deny in a resource-based policy';
    case 'explicit-deny-boundary':
      return 'with an explicit deny in a permissions boundary';
    case 'explicit-deny-session':
      return 'with an explicit deny in a session policy';
    case 'no-resource-allow':
      return `because no resource-based policy allows the ${action} action`;
    case 'no-boundary-allow':
      return `because no permissions boundary allows the ${action} action`;
    case 'no-session-allow':
      return `because no session policy allows the ${action} action`;
    default:
      return `because no identity-based policy allows the ${action} action`;
  }
}
