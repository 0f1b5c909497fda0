/**
 * Lambda authorizers: CreateAuthorizer, GetAuthorizer, GetAuthorizers, DeleteAuthorizer.
 * TOKEN and REQUEST authorizers run at invoke time (event-sources/http/rest-authorizer.ts);
 * COGNITO_USER_POOLS is stored, and a method using it answers "not supported".
 */
import type { Operation } from '../../../protocols/types.js';
import { type ApiGatewayDeps, requireApi } from '../deps.js';
import { BadRequestException, ConflictException, NotFoundException } from '../errors.js';
import { newAuthorizerId } from '../ids.js';
import type { AuthorizerDoc } from '../model.js';
import { label, operation, str } from './define.js';
import { lambdaArnOfUri } from './integration-uri.js';
import { page } from './rest-apis.js';

export function authorizerOperations(deps: ApiGatewayDeps): Operation[] {
  const { store } = deps;
  return [
    operation('CreateAuthorizer', (input, ctx) => {
      const api = requireApi(deps, ctx, label(input, 'restApiId'));
      const type = String(input.type);
      const authorizerUri = str(input, 'authorizerUri');
      if (type !== 'COGNITO_USER_POOLS' && !lambdaArnOfUri(authorizerUri)) {
        throw new BadRequestException('Invalid Authorizer URI specified');
      }
      const identitySource = str(input, 'identitySource');
      if (type === 'TOKEN' && !identitySource) {
        throw new BadRequestException('Identity source must be specified for TOKEN authorizers');
      }
      const name = String(input.name);
      if (store.listAuthorizers(api.id).some((a) => a.name === name)) {
        throw new ConflictException(`Authorizer with name ${name} already exists`);
      }
      const ttl =
        typeof input.authorizerResultTtlInSeconds === 'number' ? input.authorizerResultTtlInSeconds : 300;
      if (ttl < 0 || ttl > 3600) {
        throw new BadRequestException('Authorizer result TTL must be between 0 and 3600 seconds');
      }
      const authorizer: AuthorizerDoc = {
        id: newAuthorizerId(),
        name,
        type,
        ...(Array.isArray(input.providerARNs) ? { providerARNs: input.providerARNs as string[] } : {}),
        ...(str(input, 'authType') ? { authType: str(input, 'authType') } : {}),
        ...(authorizerUri ? { authorizerUri } : {}),
        ...(str(input, 'authorizerCredentials')
          ? { authorizerCredentials: str(input, 'authorizerCredentials') }
          : {}),
        ...(identitySource ? { identitySource } : {}),
        ...(str(input, 'identityValidationExpression')
          ? { identityValidationExpression: str(input, 'identityValidationExpression') }
          : {}),
        authorizerResultTtlInSeconds: ttl,
      };
      store.putAuthorizer(api.id, authorizer);
      return authorizer;
    }),
    operation('GetAuthorizer', (input, ctx) => {
      const api = requireApi(deps, ctx, label(input, 'restApiId'));
      const found = store.getAuthorizer(api.id, label(input, 'authorizerId'));
      if (!found) throw new NotFoundException('Invalid authorizer identifier specified');
      return found;
    }),
    operation('GetAuthorizers', (input, ctx) => {
      const api = requireApi(deps, ctx, label(input, 'restApiId'));
      return page(store.listAuthorizers(api.id), input);
    }),
    operation('DeleteAuthorizer', (input, ctx) => {
      const api = requireApi(deps, ctx, label(input, 'restApiId'));
      const id = label(input, 'authorizerId');
      if (!store.getAuthorizer(api.id, id))
        throw new NotFoundException('Invalid authorizer identifier specified');
      const inUse = store
        .listResources(api.id)
        .some((r) => Object.values(r.resourceMethods ?? {}).some((m) => m.authorizerId === id));
      if (inUse) throw new ConflictException('Cannot delete authorizer while it is in use by a method');
      store.deleteAuthorizer(api.id, id);
      return undefined;
    }),
  ];
}
