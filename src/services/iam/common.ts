/** What IAM's operation files share: the operation builder, the dependencies, common checks. */
import { checkPolicyDocument, type PolicyKind, policySize } from '../../iam/policy-document.js';
import type { IdentityStore, Tag } from '../../iam/store.js';
import type { Operation, RequestContext } from '../../protocols/types.js';
import { structure } from '../../shared/shapes.js';
import { InvalidInput, LimitExceeded, notAttachable } from './errors.js';
import { OPERATIONS } from './shapes.generated.js';

export interface IamDeps {
  store: IdentityStore;
}

export type Input = Record<string, unknown>;

const HTTP = { method: 'POST', path: '/', status: 200 } as const;

/** An IAM operation: input shape and constraints from the vendored model. */
export function op(
  name: string,
  handler: (input: Input, ctx: RequestContext) => Record<string, unknown> | undefined,
): Operation {
  const model = OPERATIONS[name];
  if (!model) throw new Error(`IAM operation ${name} is not in the model`);
  return {
    name,
    http: HTTP,
    input: model.input,
    ...(model.hasOutput ? { outputShape: structure({}) } : {}),
    handler: (input, ctx) => handler(input, ctx) ?? {},
  };
}

export const str = (v: unknown): string => v as string;
export const optStr = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export function checkTags(tags: unknown): Tag[] {
  const list = (tags as Tag[] | undefined) ?? [];
  const seen = new Set<string>();
  for (const t of list) {
    const key = t.Key.toLowerCase();
    if (seen.has(key)) {
      throw new InvalidInput('Duplicate tag keys found. Please note that Tag keys are case insensitive.');
    }
    seen.add(key);
  }
  return list.map((t) => ({ Key: t.Key, Value: t.Value ?? '' }));
}

/** Parses and size-checks a document; `limit` is [quota, its name] for LimitExceeded. */
export function checkDocument(text: string, kind: PolicyKind, limit?: { max: number; quota: string }): void {
  checkPolicyDocument(text, kind);
  if (limit && policySize(text) > limit.max) {
    throw new LimitExceeded(`Cannot exceed quota for ${limit.quota}: ${limit.max}`);
  }
}

const POLICY_ARN = /^arn:aws:iam::(\d{12}|aws):policy\/(.*\/)?[\w+=,.@-]+$/;

export function checkPolicyArn(arn: string): void {
  if (!POLICY_ARN.test(arn)) throw new InvalidInput(`ARN ${arn} is not valid.`);
}

/** A policy the account can attach: its own customer managed ones and AWS's. */
export function attachablePolicy(deps: IamDeps, ctx: RequestContext, arn: string) {
  checkPolicyArn(arn);
  const policy = deps.store.getPolicy(arn);
  if (!policy || (policy.accountId !== 'aws' && policy.accountId !== ctx.accountId)) throw notAttachable(arn);
  return policy;
}

/** Policies attached to one user or role: 10 by default, as in IAM. */
export const MAX_ATTACHED = 10;
