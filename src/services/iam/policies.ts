/**
 * Managed policies (customer managed, with up to five versions, and AWS managed ones),
 * ListEntitiesForPolicy and GetAccountAuthorizationDetails.
 */
import { encodePolicyDocument } from '../../iam/policy-document.js';
import type { ManagedPolicyRecord } from '../../iam/store.js';
import type { RequestContext } from '../../protocols/types.js';
import { checkDocument, checkPolicyArn, checkTags, type IamDeps, op, optStr, str } from './common.js';
import {
  AccessDenied,
  DeleteConflict,
  EntityAlreadyExists,
  LimitExceeded,
  NoSuchEntity,
  noSuchPolicy,
  notAttachable,
} from './errors.js';
import { page, pathFilter, policyView, roleView, userView } from './views.js';

const POLICY_LIMIT = { max: 6144, quota: 'PolicySize' };
const MAX_VERSIONS = 5;

export function policyOperations(deps: IamDeps) {
  const { store } = deps;

  /** A policy this account can see: its own, or AWS's. */
  function visible(ctx: RequestContext, arn: string): ManagedPolicyRecord {
    checkPolicyArn(arn);
    const p = store.getPolicy(arn);
    if (!p || (p.accountId !== 'aws' && p.accountId !== ctx.accountId)) throw noSuchPolicy(arn);
    return p;
  }

  /** A policy this account may change: AWS's are read-only. */
  function own(ctx: RequestContext, arn: string, action: string): ManagedPolicyRecord {
    const p = visible(ctx, arn);
    if (p.accountId === 'aws') {
      throw new AccessDenied(
        `User: ${ctx.principal.arn} is not authorized to perform: iam:${action} on resource: policy ${arn}`,
      );
    }
    return p;
  }

  const count = (ctx: RequestContext, p: ManagedPolicyRecord) => store.attachmentCount(ctx.accountId, p.arn);

  function version(p: ManagedPolicyRecord, versionId: string) {
    const v = store.policyVersions(p.arn).find((x) => x.versionId === versionId);
    if (!v)
      throw new NoSuchEntity(`Policy ${p.arn} version ${versionId} does not exist or is not attachable.`);
    return v;
  }

  return [
    op('CreatePolicy', (input, ctx) => {
      const name = str(input.PolicyName);
      const document = str(input.PolicyDocument);
      checkDocument(document, 'identity', POLICY_LIMIT);
      const tags = checkTags(input.Tags);
      if (store.listPolicies(ctx.accountId).some((p) => p.policyName.toLowerCase() === name.toLowerCase())) {
        throw new EntityAlreadyExists(
          `A policy called ${name} already exists. Duplicate names are not allowed.`,
        );
      }
      const created = store.createPolicy({
        accountId: ctx.accountId,
        policyName: name,
        path: optStr(input.Path) ?? '/',
        description: optStr(input.Description),
        document,
        tags,
      });
      return { Policy: policyView(created, 0, 'created') };
    }),

    op('GetPolicy', (input, ctx) => {
      const p = visible(ctx, str(input.PolicyArn));
      return { Policy: policyView(p, count(ctx, p), 'get') };
    }),

    op('ListPolicies', (input, ctx) => {
      const scope = optStr(input.Scope) ?? 'All';
      let all = [
        ...(scope === 'AWS' ? [] : store.listPolicies(ctx.accountId)),
        ...(scope === 'Local' ? [] : store.awsManagedPolicies()),
      ].map((p) => ({ p, path: p.path, n: count(ctx, p) }));
      if (input.OnlyAttached === true) all = all.filter((x) => x.n > 0);
      const pg = page(pathFilter(all, input.PathPrefix), input);
      return {
        Policies: pg.items.map((x) => policyView(x.p, x.n, 'list')),
        IsTruncated: pg.IsTruncated,
        Marker: pg.Marker,
      };
    }),

    op('DeletePolicy', (input, ctx) => {
      const p = own(ctx, str(input.PolicyArn), 'DeletePolicy');
      if (count(ctx, p) > 0) throw new DeleteConflict('Cannot delete a policy attached to entities.');
      if (store.policyVersions(p.arn).length > 1) {
        throw new DeleteConflict(
          'Cannot delete a policy with more than one version. Delete all non-default versions first.',
        );
      }
      store.deletePolicy(p.arn);
      return undefined;
    }),

    op('CreatePolicyVersion', (input, ctx) => {
      const p = own(ctx, str(input.PolicyArn), 'CreatePolicyVersion');
      const document = str(input.PolicyDocument);
      checkDocument(document, 'identity', POLICY_LIMIT);
      if (store.policyVersions(p.arn).length >= MAX_VERSIONS) {
        throw new LimitExceeded(
          `A managed policy can have up to ${MAX_VERSIONS} versions. Before you create a new version, you must delete an existing version.`,
        );
      }
      const v = store.createPolicyVersion(p.arn, document, input.SetAsDefault === true);
      return {
        PolicyVersion: {
          VersionId: v.versionId,
          IsDefaultVersion: v.isDefaultVersion,
          CreateDate: v.createDate,
        },
      };
    }),

    op('GetPolicyVersion', (input, ctx) => {
      const p = visible(ctx, str(input.PolicyArn));
      const v = version(p, str(input.VersionId));
      return {
        PolicyVersion: {
          Document: encodePolicyDocument(v.document),
          VersionId: v.versionId,
          IsDefaultVersion: v.isDefaultVersion,
          CreateDate: v.createDate,
        },
      };
    }),

    op('ListPolicyVersions', (input, ctx) => {
      const p = visible(ctx, str(input.PolicyArn));
      const pg = page(store.policyVersions(p.arn), input);
      return {
        Versions: pg.items.map((v) => ({
          VersionId: v.versionId,
          IsDefaultVersion: v.isDefaultVersion,
          CreateDate: v.createDate,
        })),
        IsTruncated: pg.IsTruncated,
        Marker: pg.Marker,
      };
    }),

    op('DeletePolicyVersion', (input, ctx) => {
      const p = own(ctx, str(input.PolicyArn), 'DeletePolicyVersion');
      const v = version(p, str(input.VersionId));
      if (v.isDefaultVersion) throw new DeleteConflict('Cannot delete the default version of a policy.');
      store.deletePolicyVersion(p.arn, v.versionId);
      return undefined;
    }),

    op('SetDefaultPolicyVersion', (input, ctx) => {
      const p = own(ctx, str(input.PolicyArn), 'SetDefaultPolicyVersion');
      const v = version(p, str(input.VersionId));
      store.setDefaultPolicyVersion(p.arn, v.versionId);
      return undefined;
    }),

    op('ListEntitiesForPolicy', (input, ctx) => {
      const arn = str(input.PolicyArn);
      checkPolicyArn(arn);
      const p = store.getPolicy(arn);
      if (!p || (p.accountId !== 'aws' && p.accountId !== ctx.accountId)) throw notAttachable(arn);
      const filter = optStr(input.EntityFilter);
      const entities = store.entitiesForPolicy(ctx.accountId, arn);
      const users =
        filter === undefined || filter === 'User'
          ? entities.flatMap((e) => (e.kind === 'user' ? (store.getUser(ctx.accountId, e.name) ?? []) : []))
          : [];
      const roles =
        filter === undefined || filter === 'Role'
          ? entities.flatMap((e) => (e.kind === 'role' ? (store.getRole(ctx.accountId, e.name) ?? []) : []))
          : [];
      return {
        PolicyGroups: [],
        PolicyUsers: pathFilter(users, input.PathPrefix).map((u) => ({
          UserName: u.userName,
          UserId: u.userId,
        })),
        PolicyRoles: pathFilter(roles, input.PathPrefix).map((r) => ({
          RoleName: r.roleName,
          RoleId: r.roleId,
        })),
        IsTruncated: false,
      };
    }),

    op('GetAccountAuthorizationDetails', (input, ctx) => {
      const filter = (input.Filter as string[] | undefined) ?? [];
      const wants = (k: string) => filter.length === 0 || filter.includes(k);
      const attached = (kind: 'user' | 'role', name: string) =>
        store
          .attachedPolicies(ctx.accountId, kind, name)
          .flatMap((arn) => store.getPolicy(arn) ?? [])
          .map((x) => ({ PolicyName: x.policyName, PolicyArn: x.arn }));
      const inline = (kind: 'user' | 'role', name: string) =>
        store
          .listInlinePolicies(ctx.accountId, kind, name)
          .map((x) => ({ PolicyName: x.policyName, PolicyDocument: encodePolicyDocument(x.document) }));
      const UserDetailList = wants('User')
        ? store.listUsers(ctx.accountId).map((u) => {
            const { Tags, PermissionsBoundary, ...base } = userView(u, { tags: true });
            return {
              ...base,
              UserPolicyList: inline('user', u.userName),
              GroupList: [],
              AttachedManagedPolicies: attached('user', u.userName),
              PermissionsBoundary,
              Tags,
            };
          })
        : [];
      const RoleDetailList = wants('Role')
        ? store.listRoles(ctx.accountId).map((r) => {
            const {
              Tags,
              PermissionsBoundary,
              RoleLastUsed,
              Description: _d,
              MaxSessionDuration: _m,
              ...base
            } = roleView(r, 'full');
            return {
              ...base,
              InstanceProfileList: [],
              RolePolicyList: inline('role', r.roleName),
              AttachedManagedPolicies: attached('role', r.roleName),
              PermissionsBoundary,
              Tags,
              RoleLastUsed,
            };
          })
        : [];
      const managed = [
        ...(wants('LocalManagedPolicy') ? store.listPolicies(ctx.accountId) : []),
        // AWS lists the AWS managed policies the account uses, not all of them.
        ...(wants('AWSManagedPolicy') ? store.awsManagedPolicies().filter((p) => count(ctx, p) > 0) : []),
      ];
      const Policies = managed.map((p) => {
        const { Description: _d, Tags: _t, ...base } = policyView(p, count(ctx, p), 'list');
        return {
          ...base,
          PolicyVersionList: store.policyVersions(p.arn).map((v) => ({
            Document: encodePolicyDocument(v.document),
            VersionId: v.versionId,
            IsDefaultVersion: v.isDefaultVersion,
            CreateDate: v.createDate,
          })),
        };
      });
      return { UserDetailList, GroupDetailList: [], RoleDetailList, Policies, IsTruncated: false };
    }),
  ];
}
