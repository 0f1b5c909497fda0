/**
 * Resources (the path tree), their methods, integrations, method responses and integration
 * responses. A resource row holds its methods; a method holds its integration, as AWS's
 * GetResources `embed=methods` shows them.
 */
import type { Operation, RequestContext } from '../../../protocols/types.js';
import { type ApiGatewayDeps, requireApi } from '../deps.js';
import { BadRequestException, ConflictException, NotFoundException } from '../errors.js';
import { newResourceId } from '../ids.js';
import type { IntegrationDoc, MethodDoc, ResourceDoc } from '../model.js';
import { label, operation, str } from './define.js';
import { checkIntegrationUri } from './integration-uri.js';
import { page } from './rest-apis.js';

export const HTTP_METHODS = ['GET', 'PUT', 'POST', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'ANY'];
const PATH_PART = /^(?:[a-zA-Z0-9._:-]+|\{[a-zA-Z0-9._-]+\+?\})$/;

export function resourceOperations(deps: ApiGatewayDeps): Operation[] {
  const { store } = deps;

  const resourceOf = (input: Record<string, unknown>, ctx: RequestContext) => {
    const api = requireApi(deps, ctx, label(input, 'restApiId'));
    const resource = store.getResource(api.id, label(input, 'resourceId'));
    if (!resource) throw new NotFoundException('Invalid Resource identifier specified');
    return { api, resource };
  };
  const methodOf = (input: Record<string, unknown>, ctx: RequestContext) => {
    const found = resourceOf(input, ctx);
    const method = found.resource.resourceMethods?.[label(input, 'httpMethod')];
    if (!method) throw new NotFoundException('Invalid Method identifier specified');
    return { ...found, method };
  };
  const integrationOf = (input: Record<string, unknown>, ctx: RequestContext) => {
    const found = methodOf(input, ctx);
    if (!found.method.methodIntegration)
      throw new NotFoundException('Invalid Integration identifier specified');
    return { ...found, integration: found.method.methodIntegration };
  };
  const save = (apiId: string, resource: ResourceDoc) => store.putResource(apiId, resource);

  return [
    operation('GetResources', (input, ctx) => {
      const api = requireApi(deps, ctx, label(input, 'restApiId'));
      const embed = Array.isArray(input.embed) && (input.embed as string[]).includes('methods');
      const all = store.listResources(api.id).map((r) => (embed ? r : withoutMethodDetails(r)));
      return page(all, input);
    }),
    operation('GetResource', (input, ctx) => {
      const { resource } = resourceOf(input, ctx);
      const embed = Array.isArray(input.embed) && (input.embed as string[]).includes('methods');
      return embed ? resource : withoutMethodDetails(resource);
    }),
    operation('CreateResource', (input, ctx) => {
      const api = requireApi(deps, ctx, label(input, 'restApiId'));
      const parent = store.getResource(api.id, label(input, 'parentId'));
      if (!parent) throw new NotFoundException('Invalid Resource identifier specified');
      const part = String(input.pathPart);
      if (!PATH_PART.test(part)) {
        throw new BadRequestException(
          "Resource's path part only allow a-zA-Z0-9._- and curly braces at the beginning and the end and an optional plus sign before the closing brace.",
        );
      }
      if (parent.pathPart?.endsWith('+}')) {
        throw new BadRequestException(
          `Cannot create a child of a resource with a greedy path variable: ${parent.pathPart}`,
        );
      }
      const siblings = store.listResources(api.id).filter((r) => r.parentId === parent.id);
      if (siblings.some((s) => s.pathPart === part)) {
        throw new ConflictException(`Another resource with the same parent already has this name: ${part}`);
      }
      const variable = siblings.find((s) => s.pathPart?.startsWith('{'));
      if (part.startsWith('{') && variable) {
        throw new BadRequestException(
          `A sibling (${variable.pathPart}) of this resource already has a variable path part -- only one is allowed`,
        );
      }
      const resource: ResourceDoc = {
        id: newResourceId(),
        parentId: parent.id,
        pathPart: part,
        path: parent.path === '/' ? `/${part}` : `${parent.path}/${part}`,
      };
      save(api.id, resource);
      return resource;
    }),
    operation('DeleteResource', (input, ctx) => {
      const { api, resource } = resourceOf(input, ctx);
      if (!resource.parentId) throw new BadRequestException('Cannot delete the root resource of an API');
      // The resource and everything under it.
      const all = store.listResources(api.id);
      const doomed = new Set([resource.id]);
      let grew = true;
      while (grew) {
        grew = false;
        for (const r of all) {
          if (r.parentId && doomed.has(r.parentId) && !doomed.has(r.id)) {
            doomed.add(r.id);
            grew = true;
          }
        }
      }
      store.deleteResources(api.id, [...doomed]);
      return undefined;
    }),

    operation('PutMethod', (input, ctx) => {
      const { api, resource } = resourceOf(input, ctx);
      const httpMethod = label(input, 'httpMethod');
      if (!HTTP_METHODS.includes(httpMethod)) {
        throw new BadRequestException(
          'Invalid HttpMethod specified. Valid options are GET,PUT,POST,DELETE,PATCH,OPTIONS,HEAD,ANY',
        );
      }
      if (resource.resourceMethods?.[httpMethod]) {
        throw new ConflictException('Method already exists for this resource');
      }
      const authorizationType = String(input.authorizationType);
      if (!['NONE', 'AWS_IAM', 'CUSTOM', 'COGNITO_USER_POOLS'].includes(authorizationType)) {
        throw new BadRequestException(
          `Invalid authorization type specified. Valid options are NONE,AWS_IAM,CUSTOM,COGNITO_USER_POOLS`,
        );
      }
      const authorizerId = str(input, 'authorizerId');
      if (authorizationType === 'CUSTOM' && (!authorizerId || !store.getAuthorizer(api.id, authorizerId))) {
        throw new BadRequestException('Invalid authorizer ID specified');
      }
      const method: MethodDoc = {
        httpMethod,
        authorizationType,
        ...(str(input, 'authorizerId') !== undefined ? { authorizerId: str(input, 'authorizerId') } : {}),
        apiKeyRequired: input.apiKeyRequired === true,
        ...(str(input, 'requestValidatorId') !== undefined
          ? { requestValidatorId: str(input, 'requestValidatorId') }
          : {}),
        ...(str(input, 'operationName') !== undefined ? { operationName: str(input, 'operationName') } : {}),
        ...(nonEmpty(input.requestParameters)
          ? { requestParameters: input.requestParameters as Record<string, boolean> }
          : {}),
        ...(nonEmpty(input.requestModels)
          ? { requestModels: input.requestModels as Record<string, string> }
          : {}),
        ...(Array.isArray(input.authorizationScopes)
          ? { authorizationScopes: input.authorizationScopes as string[] }
          : {}),
      };
      resource.resourceMethods = { ...resource.resourceMethods, [httpMethod]: method };
      save(api.id, resource);
      return method;
    }),
    operation('GetMethod', (input, ctx) => methodOf(input, ctx).method),
    operation('DeleteMethod', (input, ctx) => {
      const { api, resource } = methodOf(input, ctx);
      const methods = { ...resource.resourceMethods };
      delete methods[label(input, 'httpMethod')];
      resource.resourceMethods = methods;
      if (Object.keys(methods).length === 0) delete resource.resourceMethods;
      save(api.id, resource);
      return undefined;
    }),

    operation('PutIntegration', (input, ctx) => {
      const { api, resource, method } = methodOf(input, ctx);
      const type = String(input.type);
      const uri = str(input, 'uri');
      const integrationHttpMethod = str(input, 'integrationHttpMethod');
      if (type !== 'MOCK') {
        if (!integrationHttpMethod) {
          throw new BadRequestException('Enumeration value for HttpMethod must be non-empty');
        }
        checkIntegrationUri(type, uri);
      }
      const integration: IntegrationDoc = {
        type,
        ...(integrationHttpMethod !== undefined ? { httpMethod: integrationHttpMethod } : {}),
        ...(uri !== undefined ? { uri } : {}),
        ...(type === 'HTTP' || type === 'HTTP_PROXY'
          ? { connectionType: str(input, 'connectionType') ?? 'INTERNET' }
          : {}),
        ...(str(input, 'connectionId') !== undefined ? { connectionId: str(input, 'connectionId') } : {}),
        ...(str(input, 'credentials') !== undefined ? { credentials: str(input, 'credentials') } : {}),
        ...(nonEmpty(input.requestParameters)
          ? { requestParameters: input.requestParameters as Record<string, string> }
          : {}),
        ...(nonEmpty(input.requestTemplates)
          ? { requestTemplates: input.requestTemplates as Record<string, string> }
          : {}),
        passthroughBehavior: str(input, 'passthroughBehavior') ?? 'WHEN_NO_MATCH',
        ...(str(input, 'contentHandling') !== undefined
          ? { contentHandling: str(input, 'contentHandling') }
          : {}),
        timeoutInMillis: typeof input.timeoutInMillis === 'number' ? input.timeoutInMillis : 29000,
        ...(str(input, 'responseTransferMode') !== undefined
          ? { responseTransferMode: str(input, 'responseTransferMode') }
          : {}),
        cacheNamespace: str(input, 'cacheNamespace') ?? resource.id,
        cacheKeyParameters: Array.isArray(input.cacheKeyParameters)
          ? (input.cacheKeyParameters as string[])
          : [],
        ...(input.tlsConfig ? { tlsConfig: input.tlsConfig as IntegrationDoc['tlsConfig'] } : {}),
      };
      // A streamed response may take up to 15 minutes (AWS's documentation; the message for
      // that range is not recorded and follows the buffered one's).
      const maxTimeout = integration.responseTransferMode === 'STREAM' ? 900_000 : 29_000;
      if (integration.timeoutInMillis < 50 || integration.timeoutInMillis > maxTimeout) {
        throw new BadRequestException(`Timeout should be between 50 ms and ${maxTimeout} ms`);
      }
      method.methodIntegration = integration;
      resource.resourceMethods = { ...resource.resourceMethods, [method.httpMethod]: method };
      save(api.id, resource);
      return integration;
    }),
    operation('GetIntegration', (input, ctx) => integrationOf(input, ctx).integration),
    operation('DeleteIntegration', (input, ctx) => {
      const { api, resource, method } = integrationOf(input, ctx);
      delete method.methodIntegration;
      save(api.id, resource);
      return undefined;
    }),

    operation('PutMethodResponse', (input, ctx) => {
      const { api, resource, method } = methodOf(input, ctx);
      const statusCode = label(input, 'statusCode');
      const response = {
        statusCode,
        ...(nonEmpty(input.responseParameters)
          ? { responseParameters: input.responseParameters as Record<string, boolean> }
          : {}),
        ...(nonEmpty(input.responseModels)
          ? { responseModels: input.responseModels as Record<string, string> }
          : {}),
      };
      method.methodResponses = { ...method.methodResponses, [statusCode]: response };
      save(api.id, resource);
      return response;
    }),
    operation('GetMethodResponse', (input, ctx) => {
      const { method } = methodOf(input, ctx);
      const response = method.methodResponses?.[label(input, 'statusCode')];
      if (!response) throw new NotFoundException('Invalid Response status code specified');
      return response;
    }),
    operation('DeleteMethodResponse', (input, ctx) => {
      const { api, resource, method } = methodOf(input, ctx);
      const statusCode = label(input, 'statusCode');
      if (!method.methodResponses?.[statusCode]) {
        throw new NotFoundException('Invalid Response status code specified');
      }
      delete method.methodResponses[statusCode];
      save(api.id, resource);
      return undefined;
    }),

    operation('PutIntegrationResponse', (input, ctx) => {
      const { api, resource, integration } = integrationOf(input, ctx);
      const statusCode = label(input, 'statusCode');
      const response = {
        statusCode,
        ...(str(input, 'selectionPattern') !== undefined
          ? { selectionPattern: str(input, 'selectionPattern') }
          : {}),
        ...(nonEmpty(input.responseParameters)
          ? { responseParameters: input.responseParameters as Record<string, string> }
          : {}),
        ...(nonEmpty(input.responseTemplates)
          ? { responseTemplates: input.responseTemplates as Record<string, string> }
          : {}),
        ...(str(input, 'contentHandling') !== undefined
          ? { contentHandling: str(input, 'contentHandling') }
          : {}),
      };
      integration.integrationResponses = { ...integration.integrationResponses, [statusCode]: response };
      save(api.id, resource);
      return response;
    }),
    operation('GetIntegrationResponse', (input, ctx) => {
      const { integration } = integrationOf(input, ctx);
      const response = integration.integrationResponses?.[label(input, 'statusCode')];
      if (!response) throw new NotFoundException('Invalid Response status code specified');
      return response;
    }),
    operation('DeleteIntegrationResponse', (input, ctx) => {
      const { api, resource, integration } = integrationOf(input, ctx);
      const statusCode = label(input, 'statusCode');
      if (!integration.integrationResponses?.[statusCode]) {
        throw new NotFoundException('Invalid Response status code specified');
      }
      delete integration.integrationResponses[statusCode];
      save(api.id, resource);
      return undefined;
    }),
  ];
}

function nonEmpty(value: unknown): boolean {
  return typeof value === 'object' && value !== null && Object.keys(value).length > 0;
}

/**
 * Without `embed=methods`, AWS lists each resource's methods as empty objects (the names only),
 * e.g. `"resourceMethods": {"GET": {}}`.
 */
function withoutMethodDetails(r: ResourceDoc): ResourceDoc {
  if (!r.resourceMethods) return r;
  return {
    ...r,
    resourceMethods: Object.fromEntries(Object.keys(r.resourceMethods).map((m) => [m, {} as MethodDoc])),
  };
}
