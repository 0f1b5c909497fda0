/**
 * The policy operations users and roles share, written once for both: inline policies
 * (Put/Get/List/Delete{User,Role}Policy) and attached managed policies
 * (Attach/Detach/ListAttached{User,Role}Policies). They differ only in the owner's name
 * member, the size of inline policies IAM allows (2,048 bytes for a user, 10,240 for a role)
 * and the words of their messages.
 */
import { encodePolicyDocument, policySize } from '../../iam/policy-document.js';
import type { RequestContext } from '../../protocols/types.js';
import { attachablePolicy, checkDocument, type IamDeps, MAX_ATTACHED, op, str } from './common.js';
import { LimitExceeded, NoSuchEntity, noSuchPolicy } from './errors.js';
import { page, pathFilter } from './views.js';

export interface PolicyOwner {
  kind: 'user' | 'role';
  /** `User` or `Role`: operation names and the owner's name member (`UserName`). */
  noun: 'User' | 'Role';
  /** Most bytes of inline policy (all of the owner's, whitespace aside). */
  maxInlineBytes: number;
  /** The owner's name as stored, or NoSuchEntity. */
  resolve(ctx: RequestContext, name: string): string;
}

export function ownerPolicyOperations(deps: IamDeps, owner: PolicyOwner) {
  const { store } = deps;
  const { kind, noun } = owner;
  const nameOf = (input: Record<string, unknown>, ctx: RequestContext) =>
    owner.resolve(ctx, str(input[`${noun}Name`]));
  const notFound = (name: string) =>
    new NoSuchEntity(`The ${kind} policy with name ${name} cannot be found.`);

  return [
    op(`Put${noun}Policy`, (input, ctx) => {
      const who = nameOf(input, ctx);
      const name = str(input.PolicyName);
      const document = str(input.PolicyDocument);
      checkDocument(document, 'identity');
      const others = store
        .listInlinePolicies(ctx.accountId, kind, who)
        .filter((p) => p.policyName !== name)
        .reduce((n, p) => n + policySize(p.document), 0);
      if (others + policySize(document) > owner.maxInlineBytes) {
        throw new LimitExceeded(
          `Maximum policy size of ${owner.maxInlineBytes} bytes exceeded for ${kind} ${who}`,
        );
      }
      store.putInlinePolicy(ctx.accountId, kind, who, name, document);
      return undefined;
    }),

    op(`Get${noun}Policy`, (input, ctx) => {
      const who = nameOf(input, ctx);
      const name = str(input.PolicyName);
      const document = store.getInlinePolicy(ctx.accountId, kind, who, name);
      if (document === undefined) throw notFound(name);
      return { [`${noun}Name`]: who, PolicyName: name, PolicyDocument: encodePolicyDocument(document) };
    }),

    op(`List${noun}Policies`, (input, ctx) => {
      const p = page(store.listInlinePolicies(ctx.accountId, kind, nameOf(input, ctx)), input);
      return { PolicyNames: p.items.map((i) => i.policyName), IsTruncated: p.IsTruncated, Marker: p.Marker };
    }),

    op(`Delete${noun}Policy`, (input, ctx) => {
      const who = nameOf(input, ctx);
      const name = str(input.PolicyName);
      if (store.getInlinePolicy(ctx.accountId, kind, who, name) === undefined) throw notFound(name);
      store.deleteInlinePolicy(ctx.accountId, kind, who, name);
      return undefined;
    }),

    op(`Attach${noun}Policy`, (input, ctx) => {
      const who = nameOf(input, ctx);
      const policy = attachablePolicy(deps, ctx, str(input.PolicyArn));
      const attached = store.attachedPolicies(ctx.accountId, kind, who);
      if (!attached.includes(policy.arn) && attached.length >= MAX_ATTACHED) {
        throw new LimitExceeded(`Cannot exceed quota for PoliciesPer${noun}: ${MAX_ATTACHED}`);
      }
      store.attachPolicy(ctx.accountId, kind, who, policy.arn);
      return undefined;
    }),

    op(`Detach${noun}Policy`, (input, ctx) => {
      const who = nameOf(input, ctx);
      const arn = str(input.PolicyArn);
      if (!store.attachedPolicies(ctx.accountId, kind, who).includes(arn)) throw noSuchPolicy(arn);
      store.detachPolicy(ctx.accountId, kind, who, arn);
      return undefined;
    }),

    op(`ListAttached${noun}Policies`, (input, ctx) => {
      const policies = store
        .attachedPolicies(ctx.accountId, kind, nameOf(input, ctx))
        .flatMap((arn) => store.getPolicy(arn) ?? []);
      const p = page(pathFilter(policies, input.PathPrefix), input);
      return {
        AttachedPolicies: p.items.map((x) => ({ PolicyName: x.policyName, PolicyArn: x.arn })),
        IsTruncated: p.IsTruncated,
        Marker: p.Marker,
      };
    }),
  ];
}
