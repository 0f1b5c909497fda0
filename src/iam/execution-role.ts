/**
 * A function's execution environments act as its execution role, as on Lambda: each gets
 * temporary credentials of a role session named after the function
 * (`arn:aws:sts::<acct>:assumed-role/<role>/<function>`), issued when the environment starts,
 * revoked when it ends, and never the account's own keys. The environment is retired before
 * they expire (the scheduler starts a fresh one), which is how they are "refreshed".
 *
 * A role that does not exist in IAM still gets a session of its ARN (with enforcement off —
 * local development — CreateFunction accepts any well-formed role, as tools like SAM local
 * expect); such a session has no policies, so with enforcement on it may do nothing.
 */
import { createHash } from 'node:crypto';
import type { EnvironmentCredentials, FunctionTarget } from '../invoke/launch.js';
import type { LogPermission } from './log-permission.js';
import { assumedRoleArn, type Principal } from './principal.js';
import type { IdentityStore } from './store.js';

/** How long an environment's credentials last (Lambda's are short-lived too; environments are retired before). */
export const EXECUTION_SESSION_MS = 6 * 3600_000;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/;

export function executionRoleCredentials(
  store: Pick<IdentityStore, 'getRole' | 'createSession' | 'deleteSession'>,
  options: {
    now?: () => number;
    /** Decides, per environment, whether the role may write the function's logs. */
    logPermission?: LogPermission;
  } = {},
): (t: FunctionTarget, logStream: string) => EnvironmentCredentials {
  const now = options.now ?? Date.now;
  return (t, logStream) => {
    const m = ROLE_ARN.exec(t.role);
    const accountId = m?.[1] ?? t.accountId;
    const roleName = m?.[2] ?? 'unknown-role';
    const role = store.getRole(accountId, roleName);
    const roleId = role?.roleId ?? pseudoRoleId(t.role);
    const principal: Principal = {
      type: 'assumed-role',
      accountId,
      arn: assumedRoleArn(accountId, roleName, t.name),
      userId: `${roleId}:${t.name}`,
      roleName,
      roleArn: role?.arn ?? `arn:aws:iam::${accountId}:role/${roleName}`,
      roleId,
      sessionName: t.name,
    };
    const issuedAt = new Date(now());
    const functionArn = `arn:aws:lambda:${t.region}:${t.accountId}:function:${t.name}`;
    const session = store.createSession({
      accountId,
      principal,
      issuedAt,
      expiration: new Date(issuedAt.getTime() + EXECUTION_SESSION_MS),
      extras: { environment: true, sourceFunctionArn: functionArn },
    });
    const logsDenied = options.logPermission?.check(session.principal, {
      accountId: t.accountId,
      region: t.region,
      functionArn,
      logGroup: t.logGroup,
      logStream,
    });
    return {
      accessKeyId: session.accessKeyId,
      secretAccessKey: session.secretAccessKey,
      sessionToken: session.sessionToken,
      expiresAt: session.expiration.getTime(),
      revoke: () => store.deleteSession(session.accessKeyId),
      ...(logsDenied !== undefined ? { logsDenied } : {}),
    };
  };
}

/** A stable `AROA…` id for a role IAM does not know (21 characters, as AWS's ids are). */
function pseudoRoleId(roleArn: string): string {
  const digest = createHash('sha256').update(roleArn).digest();
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let id = 'AROA';
  for (let i = 0; i < 17; i++) id += alphabet[(digest[i] as number) % 32];
  return id;
}
