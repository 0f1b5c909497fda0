/**
 * The one place that decides whether a request may run: the gateway calls `check` for every
 * operation of every service, after the request is authenticated and its input decoded.
 *
 * The account's root user (the configured keys) is allowed without evaluating anything, so
 * local development and every request signed with the root keys pay one comparison. Other
 * principals (IAM users, role sessions) are evaluated against their identity policies and the
 * resource's policy. With enforcement off (the local-development default) a denial is only
 * logged, once per distinct message, as what a production server would refuse.
 */
import type { Operation, RequestContext } from '../protocols/types.js';
import type { Service } from '../services/service.js';
import type { Logger } from '../shared/logger.js';
import {
  type CompiledPolicy,
  type ContextValue,
  denialReason,
  evaluate,
  type IdentityPolicies,
  type Principal,
} from './policy/index.js';

export interface IdentityPolicySource {
  /**
   * The compiled identity-based policies of a user or role session, with its permissions
   * boundary and session policies (cached by the source).
   */
  policiesOf(principal: Principal): IdentityPolicies;
}

export interface RequestFacts {
  /** The client's address (`aws:SourceIp`). */
  sourceIp?: string | undefined;
  /** Whether the request came over TLS (`aws:SecureTransport`). */
  secure: boolean;
}

export interface Authorizer {
  readonly enforced: boolean;
  /** Throws the service's AccessDenied when enforced and denied; returns otherwise. */
  check(
    service: Service,
    op: Operation,
    input: Record<string, unknown>,
    ctx: RequestContext,
    facts: RequestFacts,
  ): void;
  /**
   * Decides a call an event source makes for a caller (a function URL's client, API Gateway
   * invoking a function): AWS's AccessDenied message, or undefined when allowed. Service
   * principals and anonymous callers are decided by the resource's policy alone and always
   * enforced — AWS refuses them whatever keys the platform runs with, and the policy is part of
   * the application's own set-up. IAM principals follow the enforcement setting, as in `check`.
   */
  decide(
    request: {
      principal: Principal;
      action: string;
      resource: string;
      context?: Readonly<Record<string, ContextValue>>;
    },
    resourcePolicy: CompiledPolicy | undefined,
  ): string | undefined;
}

const MAX_REMEMBERED_WARNINGS = 1000;

export function createAuthorizer(options: {
  enforced: boolean;
  logger: Logger;
  identityPolicies: IdentityPolicySource;
}): Authorizer {
  const warned = new Set<string>();
  const wouldDeny = (message: string) => {
    if (warned.size < MAX_REMEMBERED_WARNINGS && !warned.has(message)) {
      warned.add(message);
      options.logger.warn(`IAM would deny (enforcement is off): ${message}`);
    }
  };
  // aws:CurrentTime/aws:EpochTime, formatted once per millisecond (formatting a Date is a
  // good part of a request's evaluation cost otherwise).
  let timeMs = -1;
  let currentTime = '';
  let epochTime = '';
  const requestTime = (): Record<string, ContextValue> => {
    const ms = Date.now();
    if (ms !== timeMs) {
      timeMs = ms;
      currentTime = new Date(ms).toISOString();
      epochTime = String(Math.floor(ms / 1000));
    }
    return { 'aws:CurrentTime': currentTime, 'aws:EpochTime': epochTime };
  };
  return {
    enforced: options.enforced,
    check(service, op, input, ctx, facts) {
      const { principal } = ctx;
      if (principal.type === 'root' && principal.accountId === ctx.accountId) return;
      const authz = op.authz;
      if (authz?.public) return;
      const action = authz?.action ?? `${service.iamPrefix ?? service.signingName}:${op.name}`;
      const resources = authz?.resources?.(input, ctx) ?? ['*'];
      const context = requestTime();
      context['aws:SecureTransport'] = facts.secure ? 'true' : 'false';
      context['aws:RequestedRegion'] = ctx.region;
      if (facts.sourceIp) {
        context['aws:SourceIp'] = facts.sourceIp.startsWith('::ffff:')
          ? facts.sourceIp.slice(7)
          : facts.sourceIp;
      }
      const own = authz?.context?.(input, ctx);
      if (own) Object.assign(context, own);
      const identity = options.identityPolicies.policiesOf(principal);
      for (const resource of resources) {
        const decision = evaluate(
          { principal, action, resource, resourceAccount: accountOf(resource) ?? ctx.accountId, context },
          identity,
          resource === '*' ? undefined : service.resourcePolicy?.(resource),
        );
        if (decision.allowed) continue;
        const message = `User: ${principal.arn} is not authorized to perform: ${action} on resource: ${resource} ${denialReason(decision, action)}`;
        if (options.enforced) throw service.accessDenied(message);
        wouldDeny(message);
        return;
      }
    },
    decide({ principal, action, resource, context }, resourcePolicy) {
      const resourceAccount = accountOf(resource) ?? '';
      if (principal.type === 'root' && principal.accountId === resourceAccount) return undefined;
      const decision = evaluate(
        { principal, action, resource, resourceAccount, context: { ...requestTime(), ...context } },
        principal.type === 'service' || principal.type === 'anonymous'
          ? []
          : options.identityPolicies.policiesOf(principal),
        resourcePolicy,
      );
      if (decision.allowed) return undefined;
      const message = `User: ${principal.arn} is not authorized to perform: ${action} on resource: ${resource} ${denialReason(decision, action)}`;
      if (options.enforced || principal.type === 'service' || principal.type === 'anonymous') return message;
      wouldDeny(message);
      return undefined;
    },
  };
}

/** The account field of an ARN (`arn:aws:lambda:us-east-1:123456789012:function:f`), if any. */
function accountOf(arn: string): string | undefined {
  // The fifth field, found without splitting the whole ARN (this runs for every request).
  let at = -1;
  for (let i = 0; i < 4; i++) {
    at = arn.indexOf(':', at + 1);
    if (at < 0) return undefined;
  }
  const account = arn.slice(at + 1, at + 13);
  return arn.charCodeAt(at + 13) === 58 /* : */ && ACCOUNT_ID.test(account) ? account : undefined;
}
const ACCOUNT_ID = /^\d{12}$/;
