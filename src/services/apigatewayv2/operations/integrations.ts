/** Integrations: AWS_PROXY to a Lambda function (payload 1.0 or 2.0) and HTTP_PROXY to a URL. */
import type { Operation } from '../../../protocols/types.js';
import { autoDeploy } from '../deploy.js';
import { BadRequestException } from '../errors.js';
import { type IntegrationDoc, newId } from '../model.js';
import { type Input, mustApi, notFound, type OpDeps, op, page, str } from './common.js';

const LAMBDA_ARN = /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+(:[A-Za-z0-9$_-]+)?$/;
const INVOCATION_URI =
  /^arn:aws[a-z-]*:apigateway:[a-z0-9-]+:lambda:path\/2015-03-31\/functions\/(arn:[^/]+)\/invocations$/;

/** The function ARN an AWS_PROXY integration calls (a Lambda ARN, or API Gateway's invocation URI of one). */
export function lambdaTargetOf(uri: string): string | undefined {
  if (LAMBDA_ARN.test(uri)) return uri;
  const m = INVOCATION_URI.exec(uri);
  return m && LAMBDA_ARN.test(m[1] as string) ? m[1] : undefined;
}

function isHttpUrl(uri: string): boolean {
  try {
    const url = new URL(uri);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/** The integration `input` describes, merged over `base` (an update), checked as AWS checks it. */
export function buildIntegration(input: Input, base: Partial<IntegrationDoc>, id: string): IntegrationDoc {
  const type = str(input, 'integrationType') ?? base.integrationType;
  if (type === undefined) throw new BadRequestException('IntegrationType is a required parameter');
  if (type !== 'AWS_PROXY' && type !== 'HTTP_PROXY') {
    throw new BadRequestException(
      `Integration type ${type} is not supported by Lambent's HTTP APIs: use AWS_PROXY (Lambda) or HTTP_PROXY`,
    );
  }
  const uri = str(input, 'integrationUri') ?? base.integrationUri;
  if (uri === undefined) throw new BadRequestException('IntegrationUri is a required parameter');
  let method = str(input, 'integrationMethod') ?? base.integrationMethod;
  let version = str(input, 'payloadFormatVersion') ?? base.payloadFormatVersion;
  if (type === 'AWS_PROXY') {
    if (!lambdaTargetOf(uri)) {
      throw new BadRequestException(
        "Integrations of type 'AWS_PROXY' currently only supports Lambda function and Firehose stream invocations.",
      );
    }
    // AWS requires it from the CLI and SDKs (the console alone defaults it).
    if (version === undefined) {
      throw new BadRequestException(
        'PayloadFormatVersion is required for AWS_PROXY integrations of HTTP APIs',
      );
    }
    method ??= 'POST';
  } else {
    if (!isHttpUrl(uri)) throw new BadRequestException(`Invalid HTTP endpoint specified for URI: ${uri}`);
    if (method === undefined)
      throw new BadRequestException('IntegrationMethod is a required parameter for HTTP_PROXY');
    version ??= '1.0';
    if (version !== '1.0') {
      throw new BadRequestException(
        'Only payload format version 1.0 is supported for HTTP_PROXY integrations',
      );
    }
  }
  if (version !== '1.0' && version !== '2.0') {
    throw new BadRequestException(
      `Invalid payload format version: ${version}. Supported values are 1.0 and 2.0`,
    );
  }
  const timeout =
    typeof input.timeoutInMillis === 'number' ? input.timeoutInMillis : (base.timeoutInMillis ?? 30000);
  if (timeout < 50 || timeout > 30000) {
    throw new BadRequestException('Timeout must be between 50 milliseconds and 30 seconds for HTTP APIs');
  }
  const description = str(input, 'description') ?? base.description;
  return {
    ...(base.apiGatewayManaged ? { apiGatewayManaged: true } : {}),
    connectionType: 'INTERNET',
    ...(description !== undefined ? { description } : {}),
    integrationId: id,
    integrationMethod: method,
    integrationType: type,
    integrationUri: uri,
    payloadFormatVersion: version,
    timeoutInMillis: timeout,
  };
}

export function integrationOperations(deps: OpDeps): Operation[] {
  const { store } = deps;
  const must = (apiId: string, id: string) => {
    const doc = store.get(apiId, 'integration', id);
    if (!doc) throw notFound('integration');
    return doc;
  };
  return [
    op('CreateIntegration', (input, ctx) =>
      store.transaction(() => {
        const api = mustApi(deps, ctx, input);
        const id = newId(7, (x) => store.childIdTaken('integration', x));
        const doc = buildIntegration(input, {}, id);
        store.put(api.apiId, 'integration', id, doc);
        autoDeploy(store, api.apiId);
        return doc;
      }),
    ),
    op('GetIntegration', (input, ctx) => {
      const api = mustApi(deps, ctx, input);
      return must(api.apiId, str(input, 'integrationId') ?? '');
    }),
    op('GetIntegrations', (input, ctx) => {
      const api = mustApi(deps, ctx, input);
      return page(store.list(api.apiId, 'integration'), input);
    }),
    op('UpdateIntegration', (input, ctx) =>
      store.transaction(() => {
        const api = mustApi(deps, ctx, input);
        const old = must(api.apiId, str(input, 'integrationId') ?? '');
        const doc = buildIntegration(input, old, old.integrationId);
        store.put(api.apiId, 'integration', doc.integrationId, doc);
        autoDeploy(store, api.apiId);
        return doc;
      }),
    ),
    op('DeleteIntegration', (input, ctx) =>
      store.transaction(() => {
        const api = mustApi(deps, ctx, input);
        const id = str(input, 'integrationId') ?? '';
        must(api.apiId, id);
        store.delete(api.apiId, 'integration', id);
        autoDeploy(store, api.apiId);
        return {};
      }),
    ),
  ];
}
