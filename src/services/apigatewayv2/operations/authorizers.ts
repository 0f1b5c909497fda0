/**
 * Authorizers of HTTP APIs. REQUEST (Lambda): the function, the payload format version of its
 * event, simple (`isAuthorized`) or IAM-policy answers, identity sources and the cache TTL.
 * JWT: the issuer (whose OpenID configuration names the JWKS) and the accepted audiences.
 */
import type { Operation } from '../../../protocols/types.js';
import { autoDeploy } from '../deploy.js';
import { BadRequestException } from '../errors.js';
import { type AuthorizerDoc, newId } from '../model.js';
import { type Input, mustApi, notFound, type OpDeps, op, page, str } from './common.js';
import { lambdaTargetOf } from './integrations.js';

const IDENTITY_SOURCE =
  /^\$(request\.(header|querystring)\.[^\s,]+|context\.[A-Za-z.]+|stageVariables\.[A-Za-z0-9_]+)$/;

function buildAuthorizer(input: Input, base: Partial<AuthorizerDoc>, id: string): AuthorizerDoc {
  const type = str(input, 'authorizerType') ?? base.authorizerType;
  if (type !== 'REQUEST' && type !== 'JWT') {
    throw new BadRequestException(`Invalid authorizer type ${String(type)}: must be REQUEST or JWT`);
  }
  const name = str(input, 'name') ?? base.name;
  if (name === undefined) throw new BadRequestException('Name is a required parameter');
  const sources = (input.identitySource as string[] | undefined) ?? base.identitySource ?? [];
  for (const s of sources) {
    if (!IDENTITY_SOURCE.test(s)) throw new BadRequestException(`Invalid identity source: ${s}`);
  }
  if (type === 'JWT') return buildJwtAuthorizer(input, base, id, name, sources);
  const uri = str(input, 'authorizerUri') ?? base.authorizerUri;
  if (uri === undefined || !lambdaTargetOf(uri)) {
    throw new BadRequestException('AuthorizerUri must be the invocation URI or the ARN of a Lambda function');
  }
  const version = str(input, 'authorizerPayloadFormatVersion') ?? base.authorizerPayloadFormatVersion;
  if (version !== '1.0' && version !== '2.0') {
    throw new BadRequestException(
      'AuthorizerPayloadFormatVersion is required for REQUEST authorizers: 1.0 or 2.0',
    );
  }
  const simple =
    typeof input.enableSimpleResponses === 'boolean'
      ? input.enableSimpleResponses
      : base.enableSimpleResponses;
  if (simple && version !== '2.0') {
    throw new BadRequestException(
      'Simple responses are supported only with authorizer payload format version 2.0',
    );
  }
  const ttl =
    typeof input.authorizerResultTtlInSeconds === 'number'
      ? input.authorizerResultTtlInSeconds
      : (base.authorizerResultTtlInSeconds ?? 0);
  if (ttl < 0 || ttl > 3600)
    throw new BadRequestException('AuthorizerResultTtlInSeconds must be between 0 and 3600');
  if (ttl > 0 && sources.length === 0) {
    throw new BadRequestException('IdentitySource is required when authorizer caching is enabled');
  }
  return {
    authorizerId: id,
    authorizerPayloadFormatVersion: version,
    authorizerResultTtlInSeconds: ttl,
    authorizerType: 'REQUEST',
    authorizerUri: uri,
    ...(simple !== undefined ? { enableSimpleResponses: simple } : {}),
    identitySource: sources,
    name,
  };
}

/** A JWT authorizer: the issuer's JWKS (from its OpenID configuration) and the accepted audiences. */
function buildJwtAuthorizer(
  input: Input,
  base: Partial<AuthorizerDoc>,
  id: string,
  name: string,
  sources: string[],
): AuthorizerDoc {
  const jwt = (input.jwtConfiguration as AuthorizerDoc['jwtConfiguration']) ?? base.jwtConfiguration;
  if (!jwt?.issuer) throw new BadRequestException('JwtConfiguration.Issuer is required for JWT authorizers');
  try {
    const url = new URL(jwt.issuer);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('scheme');
  } catch {
    throw new BadRequestException(`Invalid issuer URL: ${jwt.issuer}`);
  }
  if (!jwt.audience?.length)
    throw new BadRequestException('JwtConfiguration.Audience is required for JWT authorizers');
  if (sources.length !== 1 || !sources[0]?.startsWith('$request.header.')) {
    throw new BadRequestException('A JWT authorizer takes exactly one identity source, a request header');
  }
  return {
    authorizerId: id,
    authorizerResultTtlInSeconds: 0,
    authorizerType: 'JWT',
    identitySource: sources,
    jwtConfiguration: { audience: jwt.audience, issuer: jwt.issuer },
    name,
  };
}

export function authorizerOperations(deps: OpDeps): Operation[] {
  const { store } = deps;
  const must = (apiId: string, id: string) => {
    const doc = store.get(apiId, 'authorizer', id);
    if (!doc) throw notFound('authorizer');
    return doc;
  };
  return [
    op('CreateAuthorizer', (input, ctx) =>
      store.transaction(() => {
        const api = mustApi(deps, ctx, input);
        const doc = buildAuthorizer(
          input,
          {},
          newId(6, (x) => store.childIdTaken('authorizer', x)),
        );
        store.put(api.apiId, 'authorizer', doc.authorizerId, doc);
        autoDeploy(store, api.apiId);
        return doc;
      }),
    ),
    op('GetAuthorizer', (input, ctx) => {
      const api = mustApi(deps, ctx, input);
      return must(api.apiId, str(input, 'authorizerId') ?? '');
    }),
    op('GetAuthorizers', (input, ctx) => {
      const api = mustApi(deps, ctx, input);
      return page(store.list(api.apiId, 'authorizer'), input);
    }),
    op('UpdateAuthorizer', (input, ctx) =>
      store.transaction(() => {
        const api = mustApi(deps, ctx, input);
        const old = must(api.apiId, str(input, 'authorizerId') ?? '');
        const doc = buildAuthorizer(input, old, old.authorizerId);
        store.put(api.apiId, 'authorizer', doc.authorizerId, doc);
        autoDeploy(store, api.apiId);
        return doc;
      }),
    ),
    op('DeleteAuthorizer', (input, ctx) =>
      store.transaction(() => {
        const api = mustApi(deps, ctx, input);
        const id = str(input, 'authorizerId') ?? '';
        must(api.apiId, id);
        if (store.list(api.apiId, 'route').some((r) => r.authorizerId === id)) {
          throw new BadRequestException(`Cannot delete authorizer ${id}: routes still use it`);
        }
        store.delete(api.apiId, 'authorizer', id);
        autoDeploy(store, api.apiId);
        return {};
      }),
    ),
  ];
}
