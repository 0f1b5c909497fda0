/**
 * The authorizer's identity policies: what the identity store says applies to a principal
 * (inline, attached managed and session policies), compiled, and cached per principal until
 * the store's generation changes (any IAM write that could change a permission), so a
 * request of an IAM user or role session reads SQLite only after such a write.
 *
 * A permissions boundary and a session's policies (AssumeRole `Policy` and `PolicyArns`) come
 * along as the set's `boundary` and `session`, which the evaluator intersects with the
 * identity policies. A boundary or session policy that no longer parses grants nothing (the
 * narrowing stays, with nothing inside it).
 */
import type { IdentityPolicySource } from './authorizer.js';
import {
  type CompiledPolicy,
  compilePolicy,
  type IdentityPolicySet,
  parsePolicyDocument,
} from './policy/index.js';
import type { Principal } from './principal.js';
import type { IdentityStore } from './store.js';

const MAX_PRINCIPALS = 10_000;

export function identityPolicySource(
  store: Pick<IdentityStore, 'identityPolicies' | 'generation'>,
): IdentityPolicySource {
  let generation = -1;
  const byPrincipal = new Map<string, IdentityPolicySet>();
  return {
    policiesOf(principal: Principal) {
      if (principal.type !== 'user' && principal.type !== 'assumed-role') return [];
      if (store.generation() !== generation || byPrincipal.size >= MAX_PRINCIPALS) {
        byPrincipal.clear();
        generation = store.generation();
      }
      // A session's own policies make it differ from its role's other sessions; without them
      // (every execution environment's session) all sessions of one role share one entry.
      const ownPolicies =
        principal.session?.policy !== undefined || (principal.session?.policyArns?.length ?? 0) > 0;
      const key = `${principal.arn}\n${ownPolicies ? principal.session?.accessKeyId : ''}`;
      let found = byPrincipal.get(key);
      if (!found) {
        found = compileAll(store, principal);
        byPrincipal.set(key, found);
      }
      return found;
    },
  };
}

function compileAll(store: Pick<IdentityStore, 'identityPolicies'>, principal: Principal): IdentityPolicySet {
  const p = store.identityPolicies(principal);
  const set: IdentityPolicySet = { policies: compileDocuments([...p.inline, ...p.managed]) };
  if (p.permissionsBoundary) set.boundary = compileDocuments([p.permissionsBoundary]);
  if (p.session) {
    set.session = compileDocuments([
      ...(p.session.policy !== undefined ? [{ document: p.session.policy }] : []),
      ...p.session.managed,
    ]);
  }
  return set;
}

function compileDocuments(documents: readonly { document: string }[]): CompiledPolicy[] {
  const out: CompiledPolicy[] = [];
  for (const { document } of documents) {
    try {
      out.push(compilePolicy(parsePolicyDocument(document, { kind: 'identity' })));
    } catch {
      // Stored documents were validated on write; one that no longer parses grants nothing.
    }
  }
  return out;
}
