/** IAM users, their access keys, inline policies and attached managed policies. */

import type { AccessKeyRecord } from '../../iam/store.js';
import type { RequestContext } from '../../protocols/types.js';
import { attachablePolicy, checkTags, type IamDeps, type Input, op, optStr, str } from './common.js';
import {
  DeleteConflict,
  EntityAlreadyExists,
  InvalidInput,
  LimitExceeded,
  NoSuchEntity,
  noSuchUser,
  ValidationError,
} from './errors.js';
import { ownerPolicyOperations } from './owner-policies.js';
import { page, pathFilter, userView } from './views.js';

const MAX_KEYS = 2;
const MAX_USER_INLINE_BYTES = 2048;

const keyView = (k: AccessKeyRecord, withSecret: boolean) => ({
  UserName: k.userName,
  AccessKeyId: k.accessKeyId,
  Status: k.status,
  SecretAccessKey: withSecret ? k.secretAccessKey : undefined,
  CreateDate: k.createDate,
});

export function userOperations(deps: IamDeps) {
  const { store } = deps;

  function user(ctx: RequestContext, name: string) {
    const u = store.getUser(ctx.accountId, name);
    if (!u) throw noSuchUser(name);
    return u;
  }

  /** The user an access-key operation is about: UserName, else the calling user. */
  function keyOwner(input: Input, ctx: RequestContext): string {
    const named = optStr(input.UserName);
    if (named !== undefined) return user(ctx, named).userName;
    const p = ctx.principal;
    if (p.type === 'user' && p.userName !== undefined) return p.userName;
    if (p.type === 'root') {
      throw new InvalidInput(
        "The account's root access keys are Lambent's configured credentials (LAMBENT_ACCESS_KEY_ID); name a user.",
      );
    }
    throw new ValidationError('Must specify userName when calling with non-User credentials');
  }

  function ownKey(ctx: RequestContext, userName: string, id: string) {
    const key = store.getAccessKey(id);
    if (!key || key.accountId !== ctx.accountId || key.userName.toLowerCase() !== userName.toLowerCase()) {
      throw new NoSuchEntity(`The Access Key with id ${id} cannot be found.`);
    }
    return key;
  }

  return [
    op('CreateUser', (input, ctx) => {
      const name = str(input.UserName);
      const tags = checkTags(input.Tags);
      const boundary = optStr(input.PermissionsBoundary);
      if (boundary !== undefined) attachablePolicy(deps, ctx, boundary);
      if (store.getUser(ctx.accountId, name))
        throw new EntityAlreadyExists(`User with name ${name} already exists.`);
      const created = store.createUser({
        accountId: ctx.accountId,
        userName: name,
        path: optStr(input.Path) ?? '/',
        tags,
        permissionsBoundary: boundary,
      });
      return { User: userView(created, { tags: true }) };
    }),

    op('GetUser', (input, ctx) => {
      const named = optStr(input.UserName);
      if (named !== undefined) return { User: userView(user(ctx, named), { tags: true }) };
      const p = ctx.principal;
      if (p.type === 'root') {
        return { User: { UserId: p.accountId, Arn: p.arn, CreateDate: store.accountCreated(p.accountId) } };
      }
      if (p.type === 'user' && p.userName !== undefined) {
        return { User: userView(user(ctx, p.userName), { tags: true }) };
      }
      throw new ValidationError('Must specify userName when calling with non-User credentials');
    }),

    op('PutUserPermissionsBoundary', (input, ctx) => {
      const u = user(ctx, str(input.UserName));
      attachablePolicy(deps, ctx, str(input.PermissionsBoundary));
      store.setPermissionsBoundary(ctx.accountId, 'user', u.userName, str(input.PermissionsBoundary));
      return undefined;
    }),

    op('DeleteUserPermissionsBoundary', (input, ctx) => {
      const u = user(ctx, str(input.UserName));
      store.setPermissionsBoundary(ctx.accountId, 'user', u.userName, undefined);
      return undefined;
    }),

    op('ListUsers', (input, ctx) => {
      const p = page(pathFilter(store.listUsers(ctx.accountId), input.PathPrefix), input);
      return { Users: p.items.map((u) => userView(u)), IsTruncated: p.IsTruncated, Marker: p.Marker };
    }),

    op('DeleteUser', (input, ctx) => {
      const u = user(ctx, str(input.UserName));
      if (store.listAccessKeys(ctx.accountId, u.userName).length) {
        throw new DeleteConflict('Cannot delete entity, must delete access keys first.');
      }
      if (store.attachedPolicies(ctx.accountId, 'user', u.userName).length) {
        throw new DeleteConflict('Cannot delete entity, must detach all policies first.');
      }
      if (store.listInlinePolicies(ctx.accountId, 'user', u.userName).length) {
        throw new DeleteConflict('Cannot delete entity, must delete policies first.');
      }
      store.deleteUser(ctx.accountId, u.userName);
      return undefined;
    }),

    op('CreateAccessKey', (input, ctx) => {
      const owner = keyOwner(input, ctx);
      if (store.listAccessKeys(ctx.accountId, owner).length >= MAX_KEYS) {
        throw new LimitExceeded(`Cannot exceed quota for AccessKeysPerUser: ${MAX_KEYS}`);
      }
      return { AccessKey: keyView(store.createAccessKey(ctx.accountId, owner), true) };
    }),

    op('ListAccessKeys', (input, ctx) => {
      const named = optStr(input.UserName);
      // The root user's keys are the configuration's; it has no IAM-managed ones to list.
      if (named === undefined && ctx.principal.type === 'root')
        return { AccessKeyMetadata: [], IsTruncated: false };
      const owner = keyOwner(input, ctx);
      const p = page(store.listAccessKeys(ctx.accountId, owner), input);
      return {
        AccessKeyMetadata: p.items.map((k) => keyView(k, false)),
        IsTruncated: p.IsTruncated,
        Marker: p.Marker,
      };
    }),

    op('UpdateAccessKey', (input, ctx) => {
      const key = ownKey(ctx, keyOwner(input, ctx), str(input.AccessKeyId));
      const status = str(input.Status);
      if (status !== 'Active' && status !== 'Inactive') {
        throw new ValidationError(
          `1 validation error detected: Value '${status}' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]`,
        );
      }
      store.updateAccessKey(key.accessKeyId, status);
      return undefined;
    }),

    op('DeleteAccessKey', (input, ctx) => {
      const key = ownKey(ctx, keyOwner(input, ctx), str(input.AccessKeyId));
      store.deleteAccessKey(key.accessKeyId);
      return undefined;
    }),

    ...ownerPolicyOperations(deps, {
      kind: 'user',
      noun: 'User',
      maxInlineBytes: MAX_USER_INLINE_BYTES,
      resolve: (ctx, name) => user(ctx, name).userName,
    }),
  ];
}
