/**
 * Whether a function's execution role may write its logs. On AWS the Lambda service writes a
 * function's logs with the role's permissions: a role without `logs:CreateLogStream` and
 * `logs:PutLogEvents` on the function's log group gets no logs at all, silently. Lambent does
 * the same when IAM is enforced, and says why where a person looks: one line in the tail of
 * an invocation that asks for it (LogType Tail), and the list `withoutPermission()` that
 * health and `lambent doctor` show. With enforcement off the logs are kept and the denial is
 * logged once per function as "IAM would deny".
 *
 * Decided once per environment start (not per line): two evaluations over the role's compiled
 * policies, which the identity-policy source caches per role until an IAM write. The resources
 * are those the Logs service itself checks (src/services/logs/authz.ts): CreateLogStream on
 * `...:log-group:<group>:*`, PutLogEvents on `...:log-group:<group>:log-stream:<stream>`.
 */
import type { Logger } from '../shared/logger.js';
import type { IdentityPolicySource } from './authorizer.js';
import { denialReason, evaluate } from './policy/index.js';
import type { Principal } from './principal.js';

export interface LogTarget {
  accountId: string;
  region: string;
  /** The function's ARN (unqualified), as health lists it. */
  functionArn: string;
  logGroup: string;
  logStream: string;
}

export interface FunctionWithoutLogs {
  functionArn: string;
  role: string;
  reason: string;
  since: string;
}

export interface LogPermission {
  /** AWS's denial (for the tail's warning) when the session may not write these logs and IAM is enforced. */
  check(session: Principal, target: LogTarget): string | undefined;
  /** Functions whose latest environment was refused its logs (IAM enforced; empty otherwise). */
  withoutPermission(): FunctionWithoutLogs[];
}

const MAX_TRACKED = 1000;

export function createLogPermission(options: {
  enforced: boolean;
  identityPolicies: IdentityPolicySource;
  logger: Logger;
  now?: () => number;
}): LogPermission {
  const now = options.now ?? Date.now;
  /** Enforced: functions whose latest environment is refused its logs. */
  const denied = new Map<string, FunctionWithoutLogs>();
  /** What was last said in the server log per function (the caller and action, not the stream). */
  const told = new Map<string, string>();
  const bounded = <V>(map: Map<string, V>, key: string) => {
    if (map.size >= MAX_TRACKED && !map.has(key)) map.delete(map.keys().next().value as string);
  };
  return {
    check(session, t) {
      if (session.type !== 'assumed-role') return undefined;
      const policies = options.identityPolicies.policiesOf(session);
      const group = `arn:aws:logs:${t.region}:${t.accountId}:log-group:${t.logGroup}`;
      let reason: string | undefined;
      let who = '';
      for (const [action, resource] of [
        ['logs:CreateLogStream', `${group}:*`],
        ['logs:PutLogEvents', `${group}:log-stream:${t.logStream}`],
      ] as const) {
        const decision = evaluate(
          { principal: session, action, resource, resourceAccount: t.accountId },
          policies,
        );
        if (!decision.allowed) {
          reason = `User: ${session.arn} is not authorized to perform: ${action} on resource: ${resource} ${denialReason(decision, action)}`;
          who = `${session.arn} ${action}`;
          break;
        }
      }
      if (reason === undefined) {
        denied.delete(t.functionArn);
        told.delete(t.functionArn);
        return undefined;
      }
      // Once per function, caller and action (the stream, part of the resource, changes every start).
      if (told.get(t.functionArn) !== who) {
        bounded(told, t.functionArn);
        told.set(t.functionArn, who);
        options.logger.warn(
          options.enforced
            ? `logs of ${t.functionArn} are not stored: ${reason}`
            : `IAM would deny (enforcement is off): ${reason}; the function's logs would not be stored`,
        );
      }
      if (!options.enforced) return undefined;
      const known = denied.get(t.functionArn);
      bounded(denied, t.functionArn);
      denied.set(t.functionArn, {
        functionArn: t.functionArn,
        role: session.roleArn ?? session.arn,
        reason,
        since: known?.since ?? new Date(now()).toISOString(),
      });
      return reason;
    },
    withoutPermission: () => [...denied.values()],
  };
}
