/**
 * Lambda authorizers of REST APIs (TOKEN and REQUEST), run before the integration as API
 * Gateway runs them: the identity sources must be present (else 401 `Unauthorized`), the
 * authorizer function is invoked as `apigateway.amazonaws.com` with the SourceArn
 * `arn:aws:execute-api:<region>:<account>:<api-id>/authorizers/<authorizer-id>`, and its IAM
 * policy must allow `execute-api:Invoke` on the method ARN (else 403); an authorizer that
 * fails or answers something else is a 500 (`AuthorizerConfigurationException`).
 *
 * Answers (the policy, principal and context) are cached for `authorizerResultTtlInSeconds`
 * (300 unless set; 0 turns caching off) by stage, authorizer and identity source values — the
 * token of a TOKEN authorizer — as API Gateway caches them, and a cached policy is evaluated
 * against each new request's method ARN (why authorizers answer wildcard resources). REQUEST
 * authorizers without identity sources are not cached. A 401 or an error is never cached.
 */

import { randomUUID } from 'node:crypto';
import type { AuthorizerDoc } from '../../services/apigateway/model.js';
import { lambdaArnOfUri } from '../../services/apigateway/operations/integration-uri.js';
import type { FunctionInvoker } from '../function-invoker.js';
import { apiGatewayCaller, executeApiArn } from './api-gateway-caller.js';

export type AuthorizerOutcome =
  | { kind: 'allow'; authorizer: Record<string, unknown> }
  | { kind: 'unauthorized' }
  | { kind: 'denied' }
  | { kind: 'error'; reason: string };

export interface AuthorizerRequest {
  accountId: string;
  region: string;
  apiId: string;
  stage: string;
  /** `arn:aws:execute-api:<region>:<account>:<api-id>/<stage>/<METHOD>/<path>`. */
  methodArn: string;
  /** The proxy event built for the integration: the REQUEST event is made from it. */
  proxyEvent: Record<string, unknown>;
  /** Header values by lower-case name (the last one of a repeated header). */
  headers: Readonly<Record<string, string>>;
}

/** An authorizer's answer as cached: evaluated again for every request it serves. */
interface Answer {
  principalId: unknown;
  policyDocument: Record<string, unknown>;
  context: Record<string, unknown>;
}

/** Cached answers at most: a stranger sending endless tokens must not grow the server. */
const CACHE_ENTRIES = 10_000;

export type AuthorizerRunner = (
  authorizer: AuthorizerDoc,
  req: AuthorizerRequest,
) => Promise<AuthorizerOutcome>;

export function createAuthorizerRunner(functions: FunctionInvoker): AuthorizerRunner {
  // Insertion order is expiry order for one TTL; the oldest entry goes first when full.
  const cache = new Map<string, { expires: number; answer: Answer }>();
  return async (authorizer, req) => {
    const functionArn = lambdaArnOfUri(authorizer.authorizerUri);
    if (!functionArn) return { kind: 'error', reason: 'the authorizer URI names no Lambda function' };
    const sources = identitySources(authorizer.identitySource, req);
    if (sources === undefined) return { kind: 'unauthorized' };
    if (authorizer.type === 'TOKEN') {
      const token = sources[0];
      if (token === undefined) return { kind: 'unauthorized' };
      if (
        authorizer.identityValidationExpression &&
        !safeTest(authorizer.identityValidationExpression, token)
      ) {
        return { kind: 'unauthorized' };
      }
    }
    const ttlMs = (authorizer.authorizerResultTtlInSeconds ?? 300) * 1000;
    const key =
      ttlMs > 0 && sources.length > 0
        ? JSON.stringify([req.apiId, req.stage, authorizer.id, ...sources])
        : undefined;
    const cached = key !== undefined ? cache.get(key) : undefined;
    if (cached && cached.expires > Date.now()) return decide(cached.answer, req.methodArn, 0);
    if (key !== undefined) cache.delete(key);

    const started = Date.now();
    const answered = await invokeAuthorizer(functions, functionArn, authorizer, sources, req);
    if ('kind' in answered) return answered;
    if (key !== undefined) {
      if (cache.size >= CACHE_ENTRIES) cache.delete(cache.keys().next().value as string);
      cache.set(key, { expires: Date.now() + ttlMs, answer: answered });
    }
    return decide(answered, req.methodArn, Date.now() - started);
  };
}

function decide(answer: Answer, methodArn: string, integrationLatency: number): AuthorizerOutcome {
  if (evaluate(answer.policyDocument, methodArn) !== 'allow') return { kind: 'denied' };
  return {
    kind: 'allow',
    authorizer: { ...answer.context, principalId: answer.principalId ?? null, integrationLatency },
  };
}

/** Runs the authorizer function: its answer, or the outcome that ends the request. */
async function invokeAuthorizer(
  functions: FunctionInvoker,
  functionArn: string,
  authorizer: AuthorizerDoc,
  sources: readonly string[],
  req: AuthorizerRequest,
): Promise<Answer | AuthorizerOutcome> {
  let event: Record<string, unknown>;
  if (authorizer.type === 'TOKEN') {
    event = { type: 'TOKEN', methodArn: req.methodArn, authorizationToken: sources[0] };
  } else {
    const { body: _body, isBase64Encoded: _b64, ...rest } = req.proxyEvent;
    event = { type: 'REQUEST', methodArn: req.methodArn, ...rest };
  }

  let payload: Buffer;
  try {
    const outcome = await functions.invoke({
      accountId: req.accountId,
      region: req.region,
      functionName: functionArn,
      payload: Buffer.from(JSON.stringify(event)),
      caller: apiGatewayCaller(
        executeApiArn(req.region, req.accountId, req.apiId, `authorizers/${authorizer.id}`),
        req.accountId,
      ),
      requestId: randomUUID(),
    });
    if (outcome.kind === 'function-error') return { kind: 'error', reason: 'the authorizer function failed' };
    payload = outcome.payload;
  } catch (err) {
    return { kind: 'error', reason: `the authorizer could not be invoked: ${(err as Error).message}` };
  }
  let answer: unknown;
  try {
    answer = JSON.parse(payload.toString('utf8'));
  } catch {
    return { kind: 'error', reason: 'the authorizer answered no JSON' };
  }
  // A thrown "Unauthorized" is how a TOKEN authorizer asks for a 401; a bare string too.
  if (answer === 'Unauthorized') return { kind: 'unauthorized' };
  if (typeof answer !== 'object' || answer === null)
    return { kind: 'error', reason: 'the authorizer answered no policy' };
  const { principalId, policyDocument, context } = answer as Record<string, unknown>;
  if (typeof policyDocument !== 'object' || policyDocument === null) {
    return { kind: 'error', reason: 'the authorizer answered no policyDocument' };
  }
  return {
    principalId,
    policyDocument: policyDocument as Record<string, unknown>,
    context: typeof context === 'object' && context !== null ? (context as Record<string, unknown>) : {},
  };
}

/**
 * The values of the identity sources (`method.request.header.X`, `method.request.querystring.y`,
 * `stageVariables.z`), or undefined when one is missing or empty.
 */
function identitySources(spec: string | undefined, req: AuthorizerRequest): string[] | undefined {
  if (!spec) return [];
  const event = req.proxyEvent;
  const query = (event.queryStringParameters ?? {}) as Record<string, string>;
  const stageVariables = (event.stageVariables ?? {}) as Record<string, string>;
  const values: string[] = [];
  for (const raw of spec.split(',')) {
    const source = raw.trim();
    let value: string | undefined;
    if (source.startsWith('method.request.header.')) {
      value = req.headers[source.slice('method.request.header.'.length).toLowerCase()];
    } else if (source.startsWith('method.request.querystring.')) {
      value = query[source.slice('method.request.querystring.'.length)];
    } else if (source.startsWith('stageVariables.')) {
      value = stageVariables[source.slice('stageVariables.'.length)];
    }
    if (value === undefined || value === '') return undefined;
    values.push(value);
  }
  return values;
}

function safeTest(pattern: string, value: string): boolean {
  try {
    return new RegExp(`^(?:${pattern})$`).test(value);
  } catch {
    return false;
  }
}

/** An explicit Deny wins; otherwise an Allow of `execute-api:Invoke` on the method ARN is needed. */
function evaluate(doc: Record<string, unknown>, methodArn: string): 'allow' | 'deny' {
  const statements = Array.isArray(doc.Statement) ? doc.Statement : doc.Statement ? [doc.Statement] : [];
  let allowed = false;
  for (const s of statements as Array<Record<string, unknown>>) {
    const actions = list(s.Action);
    const resources = list(s.Resource);
    const applies =
      actions.some((a) => glob(a.toLowerCase(), 'execute-api:invoke')) &&
      resources.some((r) => glob(r, methodArn));
    if (!applies) continue;
    if (s.Effect === 'Deny') return 'deny';
    if (s.Effect === 'Allow') allowed = true;
  }
  return allowed ? 'allow' : 'deny';
}

function list(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

function glob(pattern: string, value: string): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`).test(value);
}
