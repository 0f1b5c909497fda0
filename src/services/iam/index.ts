/**
 * AWS Identity and Access Management (IAM), API version 2010-05-08, over awsQuery (XML
 * namespace https://iam.amazonaws.com/doc/2010-05-08/, signing name `iam`). IAM is global:
 * any region in the credential scope is accepted (AWS's clients sign with us-east-1).
 *
 * Implements: users (CreateUser, GetUser — without UserName the caller —, ListUsers,
 * DeleteUser), access keys (Create/List/Update/DeleteAccessKey, two per user), roles
 * (CreateRole, GetRole, ListRoles, UpdateAssumeRolePolicy, DeleteRole), inline policies
 * (Put/Get/List/Delete RolePolicy and UserPolicy), managed policies (CreatePolicy, GetPolicy,
 * ListPolicies with Scope/OnlyAttached/PathPrefix, DeletePolicy, Create/Get/List/Delete
 * PolicyVersion, SetDefaultPolicyVersion), attachments (Attach/Detach Role/User Policy,
 * ListAttached Role/User Policies, ListEntitiesForPolicy), GetAccountAuthorizationDetails;
 * the AWS managed policies Lambda users attach (src/iam/aws-managed-policies.json).
 * Input constraints come from the vendored botocore model (model/, shapes.generated.ts);
 * documents in answers are URL-encoded, as AWS sends them. State lives in the identity
 * store (src/iam/store.ts), shared with STS and the gateway.
 *
 * Not yet (docs/parity/iam.md): groups, instance profiles, login profiles and MFA, tagging
 * operations (Tag/Untag*), UpdateRole/UpdateUser, service-linked roles, OIDC/SAML providers,
 * policy simulation, access advisor, RoleLastUsed and access key last-used data, the full
 * catalogue of AWS managed policies.
 */
import type { IdentityStore } from '../../iam/store.js';
import { createQueryCodec, QueryActionRouter } from '../../protocols/query/index.js';
import type { ProtocolCodec, RequestContext } from '../../protocols/types.js';
import type { Service } from '../service.js';
import { queryErrorCode, relabel } from './errors.js';
import { policyOperations } from './policies.js';
import { queryOnlyService } from './query-service.js';
import { roleOperations } from './roles.js';
import { userOperations } from './users.js';

export const IAM_VERSION = '2010-05-08';

/**
 * The resource an IAM request names, for `iam:<Operation>`: the policy's ARN, else the role's
 * or the user's (without its path, which the request does not carry), else `*`.
 */
function iamResources(input: Record<string, unknown>, ctx: RequestContext): string[] {
  if (typeof input.PolicyArn === 'string') return [input.PolicyArn];
  if (typeof input.RoleName === 'string') return [`arn:aws:iam::${ctx.accountId}:role/${input.RoleName}`];
  if (typeof input.UserName === 'string') return [`arn:aws:iam::${ctx.accountId}:user/${input.UserName}`];
  return ['*'];
}
/**
 * IAM's own condition keys a request fills: `iam:PermissionsBoundary` (CreateUser, CreateRole,
 * Put*PermissionsBoundary) and `iam:PolicyARN` (Attach/Detach*Policy, Put*PermissionsBoundary),
 * as the service authorization reference lists them for those actions.
 */
function iamContext(input: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof input.PermissionsBoundary === 'string') {
    out['iam:PermissionsBoundary'] = input.PermissionsBoundary;
    out['iam:PolicyARN'] = input.PermissionsBoundary;
  }
  if (typeof input.PolicyArn === 'string') out['iam:PolicyARN'] = input.PolicyArn;
  return out;
}
export const IAM_XMLNS = 'https://iam.amazonaws.com/doc/2010-05-08/';

export function createIamService(deps: { store: IdentityStore }): Service {
  const operations = [...userOperations(deps), ...roleOperations(deps), ...policyOperations(deps)].map(
    (op) => ({ ...op, authz: op.authz ?? { resources: iamResources, context: iamContext } }),
  );
  const router = new QueryActionRouter(IAM_VERSION, operations);
  const base = createQueryCodec({ xmlNamespace: IAM_XMLNS, errorCode: queryErrorCode });
  const codec: ProtocolCodec = {
    ...base,
    encodeError: (error, requestId) => base.encodeError(relabel(error), requestId),
  };
  return queryOnlyService({ name: 'iam', router, codec });
}
