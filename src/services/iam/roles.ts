/** IAM roles: trust policies, inline policies and attached managed policies. */
import { encodePolicyDocument, policySize } from '../../iam/policy-document.js';
import type { RequestContext } from '../../protocols/types.js';
import {
  attachablePolicy,
  checkDocument,
  checkTags,
  type IamDeps,
  MAX_ATTACHED,
  op,
  optStr,
  str,
} from './common.js';
import {
  DeleteConflict,
  EntityAlreadyExists,
  LimitExceeded,
  NoSuchEntity,
  noSuchPolicy,
  noSuchRole,
} from './errors.js';
import { page, pathFilter, roleView } from './views.js';

const TRUST_LIMIT = { max: 2048, quota: 'ACLSizePerRole' };
const MAX_ROLE_INLINE_BYTES = 10240;
const DEFAULT_MAX_SESSION = 3600;

export function roleOperations(deps: IamDeps) {
  const { store } = deps;

  function role(ctx: RequestContext, name: string) {
    const r = store.getRole(ctx.accountId, name);
    if (!r) throw noSuchRole(name);
    return r;
  }

  return [
    op('CreateRole', (input, ctx) => {
      const name = str(input.RoleName);
      const document = str(input.AssumeRolePolicyDocument);
      checkDocument(document, 'trust', TRUST_LIMIT);
      const tags = checkTags(input.Tags);
      const boundary = optStr(input.PermissionsBoundary);
      if (boundary !== undefined) attachablePolicy(deps, ctx, boundary);
      if (store.getRole(ctx.accountId, name))
        throw new EntityAlreadyExists(`Role with name ${name} already exists.`);
      const created = store.createRole({
        accountId: ctx.accountId,
        roleName: name,
        path: optStr(input.Path) ?? '/',
        assumeRolePolicyDocument: document,
        description: optStr(input.Description),
        maxSessionDuration: (input.MaxSessionDuration as number | undefined) ?? DEFAULT_MAX_SESSION,
        tags,
        permissionsBoundary: boundary,
      });
      return { Role: roleView(created, 'created') };
    }),

    op('GetRole', (input, ctx) => ({ Role: roleView(role(ctx, str(input.RoleName)), 'full') })),

    op('ListRoles', (input, ctx) => {
      const p = page(pathFilter(store.listRoles(ctx.accountId), input.PathPrefix), input);
      return { Roles: p.items.map((r) => roleView(r, 'list')), IsTruncated: p.IsTruncated, Marker: p.Marker };
    }),

    op('UpdateAssumeRolePolicy', (input, ctx) => {
      const document = str(input.PolicyDocument);
      checkDocument(document, 'trust', TRUST_LIMIT);
      const r = role(ctx, str(input.RoleName));
      store.updateAssumeRolePolicy(ctx.accountId, r.roleName, document);
      return undefined;
    }),

    op('DeleteRole', (input, ctx) => {
      const r = role(ctx, str(input.RoleName));
      if (store.attachedPolicies(ctx.accountId, 'role', r.roleName).length) {
        throw new DeleteConflict('Cannot delete entity, must detach all policies first.');
      }
      if (store.listInlinePolicies(ctx.accountId, 'role', r.roleName).length) {
        throw new DeleteConflict('Cannot delete entity, must delete policies first.');
      }
      store.deleteRole(ctx.accountId, r.roleName);
      return undefined;
    }),

    op('PutRolePolicy', (input, ctx) => {
      const r = role(ctx, str(input.RoleName));
      const name = str(input.PolicyName);
      const document = str(input.PolicyDocument);
      checkDocument(document, 'identity');
      const others = store
        .listInlinePolicies(ctx.accountId, 'role', r.roleName)
        .filter((p) => p.policyName !== name)
        .reduce((n, p) => n + policySize(p.document), 0);
      if (others + policySize(document) > MAX_ROLE_INLINE_BYTES) {
        throw new LimitExceeded(
          `Maximum policy size of ${MAX_ROLE_INLINE_BYTES} bytes exceeded for role ${r.roleName}`,
        );
      }
      store.putInlinePolicy(ctx.accountId, 'role', r.roleName, name, document);
      return undefined;
    }),

    op('GetRolePolicy', (input, ctx) => {
      const r = role(ctx, str(input.RoleName));
      const name = str(input.PolicyName);
      const document = store.getInlinePolicy(ctx.accountId, 'role', r.roleName, name);
      if (document === undefined)
        throw new NoSuchEntity(`The role policy with name ${name} cannot be found.`);
      return { RoleName: r.roleName, PolicyName: name, PolicyDocument: encodePolicyDocument(document) };
    }),

    op('ListRolePolicies', (input, ctx) => {
      const r = role(ctx, str(input.RoleName));
      const p = page(store.listInlinePolicies(ctx.accountId, 'role', r.roleName), input);
      return { PolicyNames: p.items.map((i) => i.policyName), IsTruncated: p.IsTruncated, Marker: p.Marker };
    }),

    op('DeleteRolePolicy', (input, ctx) => {
      const r = role(ctx, str(input.RoleName));
      const name = str(input.PolicyName);
      if (store.getInlinePolicy(ctx.accountId, 'role', r.roleName, name) === undefined) {
        throw new NoSuchEntity(`The role policy with name ${name} cannot be found.`);
      }
      store.deleteInlinePolicy(ctx.accountId, 'role', r.roleName, name);
      return undefined;
    }),

    op('AttachRolePolicy', (input, ctx) => {
      const r = role(ctx, str(input.RoleName));
      const policy = attachablePolicy(deps, ctx, str(input.PolicyArn));
      const attached = store.attachedPolicies(ctx.accountId, 'role', r.roleName);
      if (!attached.includes(policy.arn) && attached.length >= MAX_ATTACHED) {
        throw new LimitExceeded(`Cannot exceed quota for PoliciesPerRole: ${MAX_ATTACHED}`);
      }
      store.attachPolicy(ctx.accountId, 'role', r.roleName, policy.arn);
      return undefined;
    }),

    op('DetachRolePolicy', (input, ctx) => {
      const r = role(ctx, str(input.RoleName));
      const arn = str(input.PolicyArn);
      if (!store.attachedPolicies(ctx.accountId, 'role', r.roleName).includes(arn)) throw noSuchPolicy(arn);
      store.detachPolicy(ctx.accountId, 'role', r.roleName, arn);
      return undefined;
    }),

    op('ListAttachedRolePolicies', (input, ctx) => {
      const r = role(ctx, str(input.RoleName));
      const policies = store
        .attachedPolicies(ctx.accountId, 'role', r.roleName)
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
