import type { RequestContext } from '../../protocols/types.js';
import { attachablePolicy, checkDocument, checkTags, type IamDeps, op, optStr, str } from './common.js';
import { DeleteConflict, EntityAlreadyExists, noSuchRole } from './errors.js';
import { ownerPolicyOperations } from './owner-policies.js';
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

    op('PutRolePermissionsBoundary', (input, ctx) => {
      const r = role(ctx, str(input.RoleName));
      attachablePolicy(deps, ctx, str(input.PermissionsBoundary));
      store.setPermissionsBoundary(ctx.accountId, 'role', r.roleName, str(input.PermissionsBoundary));
      return undefined;
    }),

    op('DeleteRolePermissionsBoundary', (input, ctx) => {
      const r = role(ctx, str(input.RoleName));
      store.setPermissionsBoundary(ctx.accountId, 'role', r.roleName, undefined);
      return undefined;
    }),

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

    ...ownerPolicyOperations(deps, {
      kind: 'role',
      noun: 'Role',
      maxInlineBytes: MAX_ROLE_INLINE_BYTES,
      resolve: (ctx, name) => role(ctx, name).roleName,
    }),
  ];
}
