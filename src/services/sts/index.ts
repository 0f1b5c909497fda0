/**
 * AWS Security Token Service (STS), API version 2011-06-15, over awsQuery (XML namespace
 * https://sts.amazonaws.com/doc/2011-06-15/, signing name `sts`), any region.
 *
 * Implements: GetCallerIdentity (root, user and role-session callers, as the gateway
 * authenticated them), AssumeRole (the role's trust policy checked by a replaceable
 * `TrustCheck`; DurationSeconds 900..MaxSessionDuration, one hour when chaining roles;
 * RoleSessionName pattern; session Policy/PolicyArns and SourceIdentity kept with the session
 * for the evaluator), GetSessionToken (users and root; root capped at one hour). Temporary
 * credentials are `ASIA…` keys with a secret and a session token, stored in the identity store
 * and valid at the gateway until they expire (ExpiredToken after).
 *
 * Not yet (docs/parity/sts.md): AssumeRoleWithWebIdentity/SAML, GetFederationToken,
 * DecodeAuthorizationMessage, GetAccessKeyInfo, session tags and transitive tags (accepted and
 * ignored), ExternalId and MFA conditions (the interim trust check treats statements with
 * conditions as not matching), regional endpoint settings.
 */
import { checkPolicyDocument, policySize } from '../../iam/policy-document.js';
import { assumedRoleArn, type Principal } from '../../iam/principal.js';
import type { IdentityStore, SessionRecord } from '../../iam/store.js';
import type { TrustPolicies } from '../../iam/trust.js';
import { createQueryCodec, QueryActionRouter } from '../../protocols/query/index.js';
import type { Operation, OperationAuthz, ProtocolCodec, RequestContext } from '../../protocols/types.js';
import { awsError, ServiceException } from '../../shared/errors.js';
import { structure } from '../../shared/shapes.js';
import { queryErrorCode } from '../iam/errors.js';
import { queryOnlyService } from '../iam/query-service.js';
import type { Service } from '../service.js';
import { OPERATIONS } from './shapes.generated.js';

export const STS_VERSION = '2011-06-15';
export const STS_XMLNS = 'https://sts.amazonaws.com/doc/2011-06-15/';

class ValidationError extends awsError('ValidationError', 400) {}
class AccessDenied extends awsError('AccessDenied', 403) {}
class InternalFailure extends awsError('InternalFailure', 500, 'An internal error occurred.') {}

export interface StsDeps {
  store: IdentityStore;
  trust: TrustPolicies;
  /** Multiplies credential lifetimes (1 = AWS's; tests use less to see them expire). */
  durationScale: number;
  now?: () => number;
}

const HTTP = { method: 'POST', path: '/', status: 200 } as const;
const ROLE_ARN = /^arn:aws:iam::(\d{12}):role(\/(?:[\u0021-\u007E]*\/)?)([\w+=,.@-]+)$/;
const CHAINED_MAX_SECONDS = 3600;
const ROOT_SESSION_MAX_SECONDS = 3600;
/** AWS packs session policies and tags into the token; this is its size limit, for PackedPolicySize. */
const PACKED_POLICY_BYTES = 2048;

function op(
  name: string,
  handler: (input: Record<string, unknown>, ctx: RequestContext) => Record<string, unknown>,
): Operation {
  const model = OPERATIONS[name];
  if (!model) throw new Error(`STS operation ${name} is not in the model`);
  return {
    name,
    http: HTTP,
    input: model.input,
    outputShape: structure({}),
    handler,
    authz: AUTHZ[name] ?? {},
  };
}

/**
 * What IAM checks: GetCallerIdentity and GetSessionToken need no permission (AWS: they cannot
 * be denied by a policy); AssumeRole is `sts:AssumeRole` on the role, whose trust policy is
 * its resource policy (service's resourcePolicy below), so within an account either the
 * caller's policies or the trust policy allow the call, and the handler then insists on the
 * trust policy as AWS does.
 */
const AUTHZ: Readonly<Record<string, OperationAuthz>> = {
  GetCallerIdentity: { public: true },
  GetSessionToken: { public: true },
  AssumeRole: { resources: (input) => [typeof input.RoleArn === 'string' ? input.RoleArn : '*'] },
};

export function createStsService(deps: StsDeps): Service {
  const now = deps.now ?? Date.now;

  function issue(
    accountId: string,
    principal: Principal,
    seconds: number,
    extras?: Parameters<IdentityStore['createSession']>[0]['extras'],
  ): SessionRecord {
    const issuedAt = new Date(now());
    // Whole seconds, as AWS's Expiration is; a scaled lifetime (tests) keeps at least a second.
    const ms = Math.max(1000, Math.ceil((seconds * 1000 * deps.durationScale) / 1000) * 1000);
    const expiration = new Date(Math.ceil((issuedAt.getTime() + ms) / 1000) * 1000);
    return deps.store.createSession({
      accountId,
      principal,
      issuedAt,
      expiration,
      ...(extras ? { extras } : {}),
    });
  }

  const credentialsView = (s: SessionRecord) => ({
    AccessKeyId: s.accessKeyId,
    SecretAccessKey: s.secretAccessKey,
    SessionToken: s.sessionToken,
    Expiration: s.expiration,
  });

  const operations = [
    op('GetCallerIdentity', (_input, ctx) => ({
      UserId: ctx.principal.userId,
      Account: ctx.principal.accountId,
      Arn: ctx.principal.arn,
    })),

    op('AssumeRole', (input, ctx) => {
      const caller = ctx.principal;
      const roleArn = input.RoleArn as string;
      const sessionName = input.RoleSessionName as string;
      const denied = () =>
        new AccessDenied(
          `User: ${caller.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
        );
      const m = ROLE_ARN.exec(roleArn);
      if (!m) throw denied();
      const role = deps.store.getRole(m[1] as string, m[3] as string);
      // An unknown role is refused as an untrusted one is: AWS does not reveal which.
      if (!role || role.arn !== roleArn) throw denied();
      if (!deps.trust.check(role.assumeRolePolicyDocument, caller, 'sts:AssumeRole')) throw denied();
      const seconds = (input.DurationSeconds as number | undefined) ?? 3600;
      if (caller.type === 'assumed-role' && seconds > CHAINED_MAX_SECONDS) {
        throw new ValidationError(
          'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.',
        );
      }
      if (seconds > role.maxSessionDuration) {
        throw new ValidationError(
          'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
        );
      }
      const policy = input.Policy as string | undefined;
      if (policy !== undefined) checkPolicyDocument(policy, 'identity');
      const policyArns = ((input.PolicyArns as { arn?: string }[] | undefined) ?? []).flatMap(
        (p) => p.arn ?? [],
      );
      const sourceIdentity = input.SourceIdentity as string | undefined;
      const session = issue(
        role.accountId,
        {
          type: 'assumed-role',
          accountId: role.accountId,
          arn: assumedRoleArn(role.accountId, role.roleName, sessionName),
          userId: `${role.roleId}:${sessionName}`,
          roleName: role.roleName,
          roleArn: role.arn,
          roleId: role.roleId,
          sessionName,
        },
        seconds,
        {
          ...(policy !== undefined ? { policy } : {}),
          ...(policyArns.length ? { policyArns } : {}),
          ...(sourceIdentity !== undefined ? { sourceIdentity } : {}),
        },
      );
      return {
        Credentials: credentialsView(session),
        AssumedRoleUser: { AssumedRoleId: session.principal.userId, Arn: session.principal.arn },
        PackedPolicySize:
          policy !== undefined ? Math.ceil((policySize(policy) / PACKED_POLICY_BYTES) * 100) : undefined,
        SourceIdentity: sourceIdentity,
      };
    }),

    op('GetSessionToken', (input, ctx) => {
      const caller = ctx.principal;
      if (caller.session) throw new AccessDenied('Cannot call GetSessionToken with session credentials');
      let seconds = (input.DurationSeconds as number | undefined) ?? 43200;
      if (caller.type === 'root') seconds = Math.min(seconds, ROOT_SESSION_MAX_SECONDS);
      const { session: _none, ...principal } = caller;
      return { Credentials: credentialsView(issue(caller.accountId, principal, seconds)) };
    }),
  ];

  const router = new QueryActionRouter(STS_VERSION, operations);
  const base = createQueryCodec({ xmlNamespace: STS_XMLNS, errorCode: queryErrorCode });
  const codec: ProtocolCodec = {
    ...base,
    encodeError: (error, requestId) =>
      base.encodeError(error instanceof ServiceException ? new InternalFailure() : error, requestId),
  };
  return queryOnlyService({ name: 'sts', router, codec, resourcePolicy: (arn) => deps.trust.policyOf(arn) });
}
