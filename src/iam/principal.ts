/**
 * Who made a request, as the gateway has authenticated it: the account's root, an IAM user
 * (long-term access key, or a GetSessionToken session of one), or a role session
 * (AssumeRole). The policy evaluator reads this; STS GetCallerIdentity prints it.
 */

/**
 * `service`: an AWS service calling on a resource's behalf (`s3.amazonaws.com`), only ever in a
 * resource policy's terms. `anonymous`: an unsigned caller (a function URL with AuthType NONE),
 * allowed only by a resource policy statement whose principal is `*`.
 */
export type PrincipalType = 'root' | 'user' | 'assumed-role' | 'service' | 'anonymous';

export interface Principal {
  readonly type: PrincipalType;
  readonly accountId: string;
  /** `arn:aws:iam::<acct>:root`, `arn:aws:iam::<acct>:user/<path><name>`, `arn:aws:sts::<acct>:assumed-role/<role>/<session>`. */
  readonly arn: string;
  /** The account id (root), the user's `AIDA…` id, or `AROA…:<session>` (role session). */
  readonly userId: string;
  /** The user's name (type user). */
  readonly userName?: string;
  /** The role's name and ARN, and the session's name (type assumed-role). */
  readonly roleName?: string;
  readonly roleArn?: string;
  readonly roleId?: string;
  readonly sessionName?: string;
  /** Set when the request is signed with temporary credentials (AssumeRole, GetSessionToken). */
  readonly session?: {
    readonly accessKeyId: string;
    readonly issuedAt: Date;
    readonly expiration: Date;
    /** Session policy (AssumeRole `Policy`) and managed session policies (`PolicyArns`), if given. */
    readonly policy?: string;
    readonly policyArns?: readonly string[];
    readonly sourceIdentity?: string;
    /** A function's execution environment's session (revoked when it ends, or at the next start after a crash). */
    readonly environment?: boolean;
    /** The function whose environment holds the session (`lambda:SourceFunctionArn`). */
    readonly sourceFunctionArn?: string;
  };
}

export function rootPrincipal(accountId: string): Principal {
  return { type: 'root', accountId, arn: `arn:aws:iam::${accountId}:root`, userId: accountId };
}

export function userPrincipal(user: {
  accountId: string;
  userName: string;
  userId: string;
  arn: string;
}): Principal {
  return {
    type: 'user',
    accountId: user.accountId,
    arn: user.arn,
    userId: user.userId,
    userName: user.userName,
  };
}

/** An AWS service principal such as `s3.amazonaws.com` (its name stands in the ARN's place). */
export function servicePrincipal(service: string): Principal {
  return { type: 'service', accountId: '', arn: service, userId: service };
}

/** An unsigned caller: only a resource policy's `"Principal": "*"` lets it in. */
export function anonymousPrincipal(): Principal {
  return { type: 'anonymous', accountId: '', arn: 'anonymous', userId: 'anonymous' };
}

export function assumedRoleArn(accountId: string, roleName: string, sessionName: string): string {
  return `arn:aws:sts::${accountId}:assumed-role/${roleName}/${sessionName}`;
}
