/**
 * Stored records → IAM's wire shapes (member names and order as AWS sends them), policy
 * documents URL-encoded, and Marker/MaxItems paging shared by the List operations.
 */
import { encodePolicyDocument } from '../../iam/policy-document.js';
import type { ManagedPolicyRecord, RoleRecord, Tag, UserRecord } from '../../iam/store.js';
import { ValidationError } from './errors.js';

type Out = Record<string, unknown>;

const boundary = (arn: string | undefined) =>
  arn === undefined ? undefined : { PermissionsBoundaryType: 'Policy', PermissionsBoundaryArn: arn };

const tags = (t: Tag[]) => (t.length ? t : undefined);

export function userView(u: UserRecord, opts: { tags?: boolean } = {}): Out {
  return {
    Path: u.path,
    UserName: u.userName,
    UserId: u.userId,
    Arn: u.arn,
    CreateDate: u.createDate,
    PermissionsBoundary: boundary(u.permissionsBoundary),
    Tags: opts.tags ? tags(u.tags) : undefined,
  };
}

/** `full`: GetRole (Description, MaxSessionDuration, Tags, RoleLastUsed); `list`: ListRoles; `created`: CreateRole. */
export function roleView(r: RoleRecord, form: 'full' | 'list' | 'created'): Out {
  return {
    Path: r.path,
    RoleName: r.roleName,
    RoleId: r.roleId,
    Arn: r.arn,
    CreateDate: r.createDate,
    AssumeRolePolicyDocument: encodePolicyDocument(r.assumeRolePolicyDocument),
    Description: form === 'created' ? undefined : r.description,
    MaxSessionDuration: form === 'created' ? undefined : r.maxSessionDuration,
    PermissionsBoundary: boundary(r.permissionsBoundary),
    Tags: form === 'list' ? undefined : tags(r.tags),
    RoleLastUsed: form === 'full' ? {} : undefined,
  };
}

/** `get`: GetPolicy (with Description and Tags); `list`: ListPolicies; `created`: CreatePolicy. */
export function policyView(
  p: ManagedPolicyRecord,
  attachmentCount: number,
  form: 'get' | 'list' | 'created',
): Out {
  return {
    PolicyName: p.policyName,
    PolicyId: p.policyId,
    Arn: p.arn,
    Path: p.path,
    DefaultVersionId: p.defaultVersionId,
    AttachmentCount: attachmentCount,
    PermissionsBoundaryUsageCount: 0,
    IsAttachable: true,
    Description: form === 'get' ? p.description : undefined,
    CreateDate: p.createDate,
    UpdateDate: p.updateDate,
    Tags: form === 'list' ? undefined : tags(p.tags),
  };
}

/** One page of a list: `Marker` is opaque to clients (here, the offset of the next item). */
export function page<T>(items: readonly T[], input: { Marker?: unknown; MaxItems?: unknown }) {
  let start = 0;
  if (input.Marker !== undefined) {
    const decoded = Number(Buffer.from(String(input.Marker), 'base64').toString('utf8'));
    if (!Number.isSafeInteger(decoded) || decoded < 0) throw new ValidationError('Invalid Marker.');
    start = decoded;
  }
  const max = typeof input.MaxItems === 'number' ? input.MaxItems : 100;
  const slice = items.slice(start, start + max);
  const truncated = start + max < items.length;
  return {
    items: slice,
    IsTruncated: truncated,
    Marker: truncated ? Buffer.from(String(start + max)).toString('base64') : undefined,
  };
}

export function pathFilter<T extends { path: string }>(items: T[], prefix: unknown): T[] {
  return typeof prefix === 'string' ? items.filter((i) => i.path.startsWith(prefix)) : items;
}
