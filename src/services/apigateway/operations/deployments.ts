/**
 * Deployments (a frozen copy of the resource tree) and stages (a name pointing at a
 * deployment, with variables). Invoking uses the snapshot of the stage's deployment, so
 * changes to resources take effect only when deployed, as on AWS.
 */
import type { Operation, RequestContext } from '../../../protocols/types.js';
import { type ApiGatewayDeps, nowSeconds, requireApi } from '../deps.js';
import { BadRequestException, ConflictException, NotFoundException } from '../errors.js';
import { newDeploymentId } from '../ids.js';
import type { DeploymentDoc, DeploymentSnapshot, StageDoc } from '../model.js';
import { label, operation, patchOperations, str, unescapePointer } from './define.js';
import { applyMethodSetting, type MethodSetting } from './method-settings.js';
import { page } from './rest-apis.js';

const STAGE_NAME = /^[a-zA-Z0-9_-]+$/;
const VARIABLE_NAME = /^[a-zA-Z0-9_]+$/;

const STAGE_PATHS =
  '[/deploymentId, /description, /cacheClusterEnabled, /cacheClusterSize, /clientCertificateId, /accessLogSettings, /accessLogSettings/destinationArn, /accessLogSettings/format, /{resourcePath}/{httpMethod}/metrics/enabled, /{resourcePath}/{httpMethod}/logging/dataTrace, /{resourcePath}/{httpMethod}/logging/loglevel, /{resourcePath}/{httpMethod}/throttling/burstLimit/{resourcePath}/{httpMethod}/throttling/rateLimit/{resourcePath}/{httpMethod}/caching/ttlInSeconds, /{resourcePath}/{httpMethod}/caching/enabled, /{resourcePath}/{httpMethod}/caching/dataEncrypted, /{resourcePath}/{httpMethod}/caching/requireAuthorizationForCacheControl, /{resourcePath}/{httpMethod}/caching/unauthorizedCacheControlHeaderStrategy, /*/*/metrics/enabled, /*/*/logging/dataTrace, /*/*/logging/loglevel, /*/*/throttling/burstLimit /*/*/throttling/rateLimit /*/*/caching/ttlInSeconds, /*/*/caching/enabled, /*/*/caching/dataEncrypted, /*/*/caching/requireAuthorizationForCacheControl, /*/*/caching/unauthorizedCacheControlHeaderStrategy, /variables/{variable_name}, /tracingEnabled]';

export function deploymentOperations(deps: ApiGatewayDeps): Operation[] {
  const { store } = deps;

  const stageDoc = (
    deploymentId: string,
    stageName: string,
    input: Record<string, unknown>,
    descriptionKey: string,
  ): StageDoc => {
    checkStageName(stageName);
    const variables = input.variables as Record<string, string> | undefined;
    for (const name of Object.keys(variables ?? {})) checkVariableName(name);
    const now = nowSeconds(deps);
    return {
      deploymentId,
      stageName,
      ...(str(input, descriptionKey) ? { description: str(input, descriptionKey) } : {}),
      cacheClusterEnabled: input.cacheClusterEnabled === true,
      ...(str(input, 'cacheClusterSize') ? { cacheClusterSize: str(input, 'cacheClusterSize') } : {}),
      cacheClusterStatus: input.cacheClusterEnabled === true ? 'AVAILABLE' : 'NOT_AVAILABLE',
      methodSettings: {},
      ...(variables && Object.keys(variables).length > 0 ? { variables } : {}),
      ...(str(input, 'documentationVersion')
        ? { documentationVersion: str(input, 'documentationVersion') }
        : {}),
      tracingEnabled: input.tracingEnabled === true,
      ...(input.tags && Object.keys(input.tags).length > 0
        ? { tags: input.tags as Record<string, string> }
        : {}),
      createdDate: now,
      lastUpdatedDate: now,
    };
  };
  const stageOf = (input: Record<string, unknown>, ctx: RequestContext) => {
    const api = requireApi(deps, ctx, label(input, 'restApiId'));
    const stage = store.getStage(api.id, label(input, 'stageName'));
    if (!stage) throw new NotFoundException('Invalid Stage identifier specified');
    return { api, stage };
  };

  return [
    operation('CreateDeployment', (input, ctx) => {
      const api = requireApi(deps, ctx, label(input, 'restApiId'));
      const resources = store.listResources(api.id);
      const methods = resources.flatMap((r) => Object.values(r.resourceMethods ?? {}));
      if (methods.length === 0) throw new BadRequestException("The REST API doesn't contain any methods");
      if (methods.some((m) => !m.methodIntegration)) {
        throw new BadRequestException('No integration defined for method');
      }
      const stageName = str(input, 'stageName');
      const deployment: DeploymentDoc = {
        id: newDeploymentId(),
        ...(str(input, 'description') ? { description: str(input, 'description') } : {}),
        createdDate: nowSeconds(deps),
      };
      const snapshot: DeploymentSnapshot = {
        resources,
        binaryMediaTypes: api.binaryMediaTypes ?? [],
        authorizers: store.listAuthorizers(api.id),
      };
      let stage: StageDoc | undefined;
      if (stageName) {
        const existing = store.getStage(api.id, stageName);
        stage = existing
          ? {
              ...existing,
              deploymentId: deployment.id,
              ...(input.variables
                ? { variables: { ...existing.variables, ...(input.variables as object) } }
                : {}),
              lastUpdatedDate: nowSeconds(deps),
            }
          : stageDoc(deployment.id, stageName, input, 'stageDescription');
      }
      store.createDeployment(api.id, deployment, snapshot, stage);
      deps.directory.changed(api.id);
      return deployment;
    }),
    operation('GetDeployment', (input, ctx) => {
      const api = requireApi(deps, ctx, label(input, 'restApiId'));
      const deployment = store.getDeployment(api.id, label(input, 'deploymentId'));
      if (!deployment) throw new NotFoundException('Invalid Deployment identifier specified');
      return deployment;
    }),
    operation('GetDeployments', (input, ctx) => {
      const api = requireApi(deps, ctx, label(input, 'restApiId'));
      return page(store.listDeployments(api.id), input);
    }),
    operation('DeleteDeployment', (input, ctx) => {
      const api = requireApi(deps, ctx, label(input, 'restApiId'));
      const id = label(input, 'deploymentId');
      if (!store.getDeployment(api.id, id))
        throw new NotFoundException('Invalid Deployment identifier specified');
      if (store.deploymentInUse(api.id, id)) {
        throw new BadRequestException('Active stages pointing to this deployment must be moved or deleted');
      }
      store.deleteDeployment(api.id, id);
      return undefined;
    }),

    operation('CreateStage', (input, ctx) => {
      const api = requireApi(deps, ctx, label(input, 'restApiId'));
      const deploymentId = String(input.deploymentId);
      if (!store.getDeployment(api.id, deploymentId)) {
        throw new BadRequestException('Invalid deployment id specified');
      }
      const name = String(input.stageName);
      if (store.getStage(api.id, name)) throw new ConflictException('Stage already exists');
      const stage = stageDoc(deploymentId, name, input, 'description');
      store.putStage(api.id, stage);
      deps.directory.changed(api.id);
      return stage;
    }),
    operation('GetStage', (input, ctx) => stageOf(input, ctx).stage),
    operation('GetStages', (input, ctx) => {
      const api = requireApi(deps, ctx, label(input, 'restApiId'));
      const deploymentId = str(input, 'deploymentId');
      return {
        item: store.listStages(api.id).filter((s) => !deploymentId || s.deploymentId === deploymentId),
      };
    }),
    operation('UpdateStage', (input, ctx) => {
      const { api, stage } = stageOf(input, ctx);
      for (const p of patchOperations(input)) {
        const op = p.op ?? '';
        const path = p.path ?? '';
        if (path.startsWith('/variables/')) {
          const name = unescapePointer(path.slice('/variables/'.length));
          const variables = { ...stage.variables };
          if (op === 'remove') delete variables[name];
          else {
            checkVariableName(name);
            variables[name] = p.value ?? '';
          }
          if (Object.keys(variables).length > 0) stage.variables = variables;
          else delete stage.variables;
          continue;
        }
        switch (path) {
          case '/deploymentId':
            if (!p.value || !store.getDeployment(api.id, p.value)) {
              throw new BadRequestException('Invalid deployment id specified');
            }
            stage.deploymentId = p.value;
            break;
          case '/description':
            if (p.value) stage.description = p.value;
            else delete stage.description;
            break;
          case '/tracingEnabled':
            stage.tracingEnabled = p.value === 'true';
            break;
          case '/cacheClusterEnabled':
            stage.cacheClusterEnabled = p.value === 'true';
            stage.cacheClusterStatus = stage.cacheClusterEnabled ? 'AVAILABLE' : 'NOT_AVAILABLE';
            break;
          case '/cacheClusterSize':
            if (p.value) stage.cacheClusterSize = p.value;
            break;
          default:
            if (
              !applyMethodSetting(stage.methodSettings as Record<string, MethodSetting>, op, path, p.value)
            ) {
              throw new BadRequestException(
                `Invalid method setting path: ${path}. Must be one of: ${STAGE_PATHS}`,
              );
            }
        }
      }
      stage.lastUpdatedDate = nowSeconds(deps);
      store.putStage(api.id, stage);
      deps.directory.changed(api.id);
      return stage;
    }),
    operation('DeleteStage', (input, ctx) => {
      const { api, stage } = stageOf(input, ctx);
      store.deleteStage(api.id, stage.stageName);
      deps.directory.changed(api.id);
      return undefined;
    }),
  ];
}

function checkStageName(name: string): void {
  if (!STAGE_NAME.test(name) || name.length > 128) {
    throw new BadRequestException(
      'Stage name only allows a-zA-Z0-9_- and must be between 1 and 128 characters long',
    );
  }
}

function checkVariableName(name: string): void {
  if (!VARIABLE_NAME.test(name)) {
    throw new BadRequestException(
      `Stage variable name ${name} is invalid. Stage variable names must be alphanumeric or underscore characters.`,
    );
  }
}
