/**
 * Whether a role's trust policy lets a caller assume it. This is the stand-in until the
 * policy evaluator (src/iam/policy/) lands: STS takes a `TrustCheck` as a dependency, so the
 * evaluator replaces `basicTrustCheck` in one place (src/services/registry.ts).
 *
 * What it understands: statements (object or list) with Effect Allow/Deny, Action/NotAction
 * naming `sts:AssumeRole` (exactly, or by `*` wildcards), and Principal `"*"` or
 * `{"AWS": ...}` naming `*`, an account id or `arn:aws:iam::<acct>:root` (the whole
 * account), a user ARN, a role ARN (its sessions, for role chaining) or an assumed-role
 * session ARN. A matching Deny wins over any Allow. Conditions are not evaluated yet: a
 * statement with a Condition block is treated as not matching, so that nothing is allowed
 * that AWS might refuse.
 */
import type { Principal } from './principal.js';

export type TrustCheck = (trustPolicy: string, caller: Principal, action: string) => boolean;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const list = (v: Json | undefined): Json[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

function wildcard(pattern: string, value: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    'i',
  );
  return re.test(value);
}

function principalMatches(principal: Json | undefined, caller: Principal): boolean {
  if (principal === '*') return true;
  if (typeof principal !== 'object' || principal === null || Array.isArray(principal)) return false;
  for (const p of list(principal.AWS)) {
    if (typeof p !== 'string') continue;
    if (p === '*') return true;
    if (p === caller.accountId || p === `arn:aws:iam::${caller.accountId}:root`) return true;
    if (p === caller.arn) return true;
    if (caller.type === 'assumed-role' && p === caller.roleArn) return true;
  }
  return false;
}

export const basicTrustCheck: TrustCheck = (trustPolicy, caller, action) => {
  let doc: Json;
  try {
    doc = JSON.parse(trustPolicy) as Json;
  } catch {
    return false;
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return false;
  let allowed = false;
  for (const st of list(doc.Statement)) {
    if (typeof st !== 'object' || st === null || Array.isArray(st)) continue;
    if (st.Condition !== undefined) continue;
    const actionMatches =
      st.Action !== undefined
        ? list(st.Action).some((a) => typeof a === 'string' && wildcard(a, action))
        : st.NotAction !== undefined &&
          !list(st.NotAction).some((a) => typeof a === 'string' && wildcard(a, action));
    if (!actionMatches) continue;
    const who =
      st.Principal !== undefined
        ? principalMatches(st.Principal, caller)
        : st.NotPrincipal !== undefined && !principalMatches(st.NotPrincipal, caller);
    if (!who) continue;
    if (st.Effect === 'Deny') return false;
    if (st.Effect === 'Allow') allowed = true;
  }
  return allowed;
};
