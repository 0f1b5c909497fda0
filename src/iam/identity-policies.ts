/**
 * The authorizer's identity policies: what the identity store says applies to a principal
 * (inline, attached managed and session policies), compiled, and cached per principal until
 * the store's generation changes (any IAM write that could change a permission), so a
 * request of an IAM user or role session reads SQLite only after such a write.
 *
 * Permissions boundaries and session policies narrow what identity policies allow; the
 * evaluator does not model them yet, so a principal that has one is given no identity
 * permissions at all (safest: nothing is allowed that AWS might refuse) and docs/parity/iam.md
 * says so.
 */
import type { IdentityPolicySource } from './authorizer.js';
import { type CompiledPolicy, compilePolicy, parsePolicyDocument } from './policy/index.js';
import type { Principal } from './principal.js';
import type { IdentityStore } from './store.js';

const MAX_PRINCIPALS = 10_000;

export function identityPolicySource(
  store: Pick<IdentityStore, 'identityPolicies' | 'generation'>,
): IdentityPolicySource {
  let generation = -1;
  const byPrincipal = new Map<string, readonly CompiledPolicy[]>();
  return {
    policiesOf(principal: Principal) {
      if (principal.type !== 'user' && principal.type !== 'assumed-role') return [];
      if (store.generation() !== generation || byPrincipal.size >= MAX_PRINCIPALS) {
        byPrincipal.clear();
        generation = store.generation();
      }
      const key = `${principal.arn}\n${principal.session?.accessKeyId ?? ''}`;
      let found = byPrincipal.get(key);
      if (!found) {
        found = compileAll(store, principal);
        byPrincipal.set(key, found);
      }
      return found;
    },
  };
}

function compileAll(store: Pick<IdentityStore, 'identityPolicies'>, principal: Principal): CompiledPolicy[] {
  const p = store.identityPolicies(principal);
  const narrowed =
    p.permissionsBoundary !== undefined ||
    p.session?.policy !== undefined ||
    (p.session?.managed.length ?? 0) > 0;
  if (narrowed) return [];
  const out: CompiledPolicy[] = [];
  for (const { document } of [...p.inline, ...p.managed]) {
    try {
      out.push(compilePolicy(parsePolicyDocument(document, { kind: 'identity' })));
    } catch {
      // Stored documents were validated on write; one that no longer parses grants nothing.
    }
  }
  return out;
}
