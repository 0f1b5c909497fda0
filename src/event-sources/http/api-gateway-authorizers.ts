/**
 * HTTP APIs' Lambda (REQUEST) authorizers at request time, as AWS documents them: the identity
 * sources must all be present and non-empty (else 401 `{"message":"Unauthorized"}`); the
 * authorizer function gets the request's event of its payload version (without the body) plus
 * `type`, `routeArn`/`methodArn` and `identitySource`; it answers `{isAuthorized, context}`
 * (simple responses, 2.0) or an IAM policy `{principalId, policyDocument, context}` whose
 * `execute-api:Invoke` statements are evaluated against the route ARN (explicit Deny wins).
 * A denial is 403 `{"message":"Forbidden"}`; a failing or malformed authorizer is 500. Answers
 * are cached per authorizer and identity values for `authorizerResultTtlInSeconds`.
 */

import type { AuthorizerDoc } from '../../services/apigatewayv2/model.js';
import { lambdaTargetOf } from '../../services/apigatewayv2/operations/integrations.js';
import type { FunctionInvoker } from '../function-invoker.js';
import { apiGatewayCaller, executeApiArn } from './api-gateway-caller.js';
import { buildV2Event } from './api-gateway-v2-format.js';
import { buildV1Event, type V1Context } from './payload-v1.js';
import { type HttpRequestFacts, headerOf, queryPairs } from './request.js';

export type AuthorizerOutcome =
  | { kind: 'allow'; context: Record<string, unknown>; principalId?: string }
  | { kind: 'deny'; status: 401 | 403 | 500; message: string };

interface Decision {
  simple?: boolean;
  principalId?: string;
  statements?: Array<{ effect: string; actions: string[]; resources: string[] }>;
  context: Record<string, unknown>;
}

const MAX_CACHED = 10_000;

export function createAuthorizerRunner(deps: { functions: FunctionInvoker; warn(text: string): void }) {
  const cache = new Map<string, { expires: number; decision: Decision }>();

  return async function authorize(
    authorizer: AuthorizerDoc,
    facts: HttpRequestFacts,
    ctx: V1Context,
    scope: { accountId: string; region: string },
    routeArn: string,
  ): Promise<AuthorizerOutcome> {
    const identity: string[] = [];
    for (const source of authorizer.identitySource) {
      const value = identityValue(source, facts, ctx);
      if (value === undefined || value === '') return { kind: 'deny', status: 401, message: 'Unauthorized' };
      identity.push(value);
    }
    const key = `${authorizer.authorizerId}\0${identity.join('\0')}`;
    const ttlMs = authorizer.authorizerResultTtlInSeconds * 1000;
    let decision = ttlMs > 0 ? cache.get(key) : undefined;
    if (decision && decision.expires <= Date.now()) {
      cache.delete(key);
      decision = undefined;
    }
    let fresh: Decision | undefined = decision?.decision;
    if (!fresh) {
      fresh = await callAuthorizer(authorizer, facts, ctx, scope, routeArn, identity);
      if (!fresh) return { kind: 'deny', status: 500, message: 'Internal Server Error' };
      if (ttlMs > 0) {
        if (cache.size >= MAX_CACHED) cache.clear();
        cache.set(key, { expires: Date.now() + ttlMs, decision: fresh });
      }
    }
    const allowed = fresh.simple ?? policyAllows(fresh.statements ?? [], routeArn);
    if (!allowed) return { kind: 'deny', status: 403, message: 'Forbidden' };
    return {
      kind: 'allow',
      context: fresh.context,
      ...(fresh.principalId !== undefined ? { principalId: fresh.principalId } : {}),
    };
  };

  async function callAuthorizer(
    authorizer: AuthorizerDoc,
    facts: HttpRequestFacts,
    ctx: V1Context,
    scope: { accountId: string; region: string },
    routeArn: string,
    identity: string[],
  ): Promise<Decision | undefined> {
    const functionArn = lambdaTargetOf(authorizer.authorizerUri ?? '');
    if (!functionArn) return undefined;
    const withoutBody = { ...facts, body: Buffer.alloc(0) };
    let event: Record<string, unknown>;
    if (authorizer.authorizerPayloadFormatVersion === '2.0') {
      const { body: _b, isBase64Encoded: _i, ...rest } = buildV2Event(withoutBody, ctx);
      event = { ...rest, type: 'REQUEST', routeArn, identitySource: identity };
    } else {
      const { body: _b, isBase64Encoded: _i, ...rest } = buildV1Event(withoutBody, ctx);
      event = { ...rest, type: 'REQUEST', methodArn: routeArn, identitySource: identity.join(',') };
    }
    const arnParts = functionArn.split(':');
    try {
      const outcome = await deps.functions.invoke({
        accountId: arnParts[4] ?? scope.accountId,
        region: arnParts[3] ?? scope.region,
        functionName: functionArn,
        payload: Buffer.from(JSON.stringify(event)),
        caller: apiGatewayCaller(
          executeApiArn(scope.region, scope.accountId, ctx.apiId, `authorizers/${authorizer.authorizerId}`),
          scope.accountId,
        ),
      });
      if (outcome.kind === 'function-error') {
        deps.warn(
          `HTTP API ${ctx.apiId}: authorizer ${authorizer.authorizerId} failed: ${outcome.payload.toString('utf8')}`,
        );
        return undefined;
      }
      return parseDecision(outcome.payload, authorizer.enableSimpleResponses === true);
    } catch (err) {
      deps.warn(
        `HTTP API ${ctx.apiId}: invoking authorizer ${functionArn} failed: ${(err as Error).message}`,
      );
      return undefined;
    }
  }
}

function identityValue(source: string, facts: HttpRequestFacts, ctx: V1Context): string | undefined {
  const m = /^\$(request\.header|request\.querystring|context|stageVariables)\.(.+)$/.exec(source);
  if (!m) return undefined;
  const [, where, name] = m as unknown as [string, string, string];
  switch (where) {
    case 'request.header':
      return headerOf(facts, name);
    case 'request.querystring': {
      const values = queryPairs(facts.rawQuery)
        .filter(([k]) => k === name)
        .map(([, v]) => v);
      return values.length > 0 ? values.join(',') : undefined;
    }
    case 'stageVariables':
      return ctx.stageVariables[name];
    default: {
      const known: Record<string, string> = {
        stage: ctx.stage,
        routeKey: ctx.routeKey,
        apiId: ctx.apiId,
        requestId: ctx.requestId,
        domainName: ctx.domainName,
        httpMethod: facts.method,
        'identity.sourceIp': facts.sourceIp,
      };
      return known[name];
    }
  }
}

function parseDecision(payload: Buffer, simple: boolean): Decision | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(payload.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return undefined;
  const r = doc as Record<string, unknown>;
  const context =
    typeof r.context === 'object' && r.context !== null && !Array.isArray(r.context)
      ? (r.context as Record<string, unknown>)
      : {};
  if (simple && typeof r.isAuthorized === 'boolean') return { simple: r.isAuthorized, context };
  const policy = r.policyDocument as { Statement?: unknown } | undefined;
  if (typeof policy !== 'object' || policy === null) return undefined;
  const list = Array.isArray(policy.Statement) ? policy.Statement : [policy.Statement];
  const statements: NonNullable<Decision['statements']> = [];
  for (const s of list) {
    if (typeof s !== 'object' || s === null) return undefined;
    const st = s as Record<string, unknown>;
    const asList = (v: unknown) => (Array.isArray(v) ? v.map(String) : v === undefined ? [] : [String(v)]);
    statements.push({
      effect: String(st.Effect),
      actions: asList(st.Action),
      resources: asList(st.Resource),
    });
  }
  return {
    statements,
    context,
    ...(typeof r.principalId === 'string' ? { principalId: r.principalId } : {}),
  };
}

function policyAllows(statements: NonNullable<Decision['statements']>, routeArn: string): boolean {
  const applies = (s: (typeof statements)[number]) =>
    s.actions.some((a) => wildcard(a.toLowerCase(), 'execute-api:invoke')) &&
    s.resources.some((r) => wildcard(r, routeArn));
  if (statements.some((s) => s.effect === 'Deny' && applies(s))) return false;
  return statements.some((s) => s.effect === 'Allow' && applies(s));
}

function wildcard(pattern: string, value: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
  return re.test(value);
}
