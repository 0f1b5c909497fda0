/** Stages (`$default` and named, AutoDeploy, stage variables) and deployments. */
import type { Operation } from '../../../protocols/types.js';
import { autoDeployStage, createDeployment, deploymentView } from '../deploy.js';
import { BadRequestException, ConflictException } from '../errors.js';
import { ISO_NOW, type StageDoc } from '../model.js';
import type { ApiGatewayV2Store } from '../store.js';
import { type Input, mustApi, notFound, type OpDeps, op, page, str } from './common.js';

const STAGE_NAME = /^(\$default|[A-Za-z0-9_-]{1,128})$/;
const STAGE_VARIABLE_NAME = /^[A-Za-z0-9_]{1,64}$/;
const STAGE_VARIABLE_VALUE = /^[A-Za-z0-9-._~:/?#&=,]{0,2048}$/;

function stageVariables(input: Input): Record<string, string> | undefined {
  const vars = input.stageVariables;
  if (vars === undefined) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(vars as Record<string, unknown>)) {
    if (!STAGE_VARIABLE_NAME.test(k)) {
      throw new BadRequestException(
        `Stage variable name ${k} must be alphanumeric or underscore, at most 64 characters`,
      );
    }
    if (typeof v !== 'string' || !STAGE_VARIABLE_VALUE.test(v)) {
      throw new BadRequestException(`Stage variable value ${String(v)} for ${k} contains invalid characters`);
    }
    out[k] = v;
  }
  return out;
}

export function newStage(
  store: ApiGatewayV2Store,
  apiId: string,
  stageName: string,
  input: Input,
  managed = false,
): StageDoc {
  const deploymentId = str(input, 'deploymentId');
  if (deploymentId !== undefined && !store.get(apiId, 'deployment', deploymentId))
    throw notFound('deployment');
  const now = ISO_NOW();
  const doc: StageDoc = {
    ...(managed ? { apiGatewayManaged: true } : {}),
    autoDeploy: input.autoDeploy === true,
    createdDate: now,
    defaultRouteSettings: { detailedMetricsEnabled: false },
    ...(deploymentId !== undefined ? { deploymentId } : {}),
    ...(str(input, 'description') !== undefined ? { description: str(input, 'description') } : {}),
    lastUpdatedDate: now,
    routeSettings: {},
    stageName,
    stageVariables: stageVariables(input) ?? {},
    tags: (input.tags as Record<string, string> | undefined) ?? {},
  };
  store.put(apiId, 'stage', stageName, doc);
  if (doc.autoDeploy) autoDeployStage(store, apiId, stageName);
  return store.get(apiId, 'stage', stageName) ?? doc;
}

export function stageOperations(deps: OpDeps): Operation[] {
  const { store } = deps;
  const must = (apiId: string, name: string) => {
    const doc = store.get(apiId, 'stage', name);
    if (!doc) throw notFound('stage');
    return doc;
  };
  return [
    op('CreateStage', (input, ctx) =>
      store.transaction(() => {
        const api = mustApi(deps, ctx, input);
        const name = str(input, 'stageName');
        if (name === undefined) throw new BadRequestException('StageName is a required parameter');
        if (!STAGE_NAME.test(name)) {
          throw new BadRequestException(
            `Stage name ${name} is invalid: use $default or 1 to 128 letters, digits, hyphens and underscores`,
          );
        }
        if (store.get(api.apiId, 'stage', name)) throw new ConflictException(`Stage ${name} already exists`);
        return newStage(store, api.apiId, name, input);
      }),
    ),
    op('GetStage', (input, ctx) => {
      const api = mustApi(deps, ctx, input);
      return must(api.apiId, str(input, 'stageName') ?? '');
    }),
    op('GetStages', (input, ctx) => {
      const api = mustApi(deps, ctx, input);
      return page(store.list(api.apiId, 'stage'), input);
    }),
    op('UpdateStage', (input, ctx) =>
      store.transaction(() => {
        const api = mustApi(deps, ctx, input);
        const old = must(api.apiId, str(input, 'stageName') ?? '');
        const deploymentId = str(input, 'deploymentId');
        if (deploymentId !== undefined && !store.get(api.apiId, 'deployment', deploymentId)) {
          throw notFound('deployment');
        }
        const vars = stageVariables(input);
        const doc: StageDoc = {
          ...old,
          ...(typeof input.autoDeploy === 'boolean' ? { autoDeploy: input.autoDeploy } : {}),
          ...(deploymentId !== undefined ? { deploymentId } : {}),
          ...(str(input, 'description') !== undefined ? { description: str(input, 'description') } : {}),
          // AWS merges stage variables into the existing ones; an empty value removes one.
          ...(vars !== undefined
            ? {
                stageVariables: Object.fromEntries(
                  Object.entries({ ...old.stageVariables, ...vars }).filter(([, v]) => v !== ''),
                ),
              }
            : {}),
          lastUpdatedDate: ISO_NOW(),
        };
        store.put(api.apiId, 'stage', doc.stageName, doc);
        if (doc.autoDeploy && !old.autoDeploy) autoDeployStage(store, api.apiId, doc.stageName);
        return store.get(api.apiId, 'stage', doc.stageName) ?? doc;
      }),
    ),
    op('DeleteStage', (input, ctx) =>
      store.transaction(() => {
        const api = mustApi(deps, ctx, input);
        const name = str(input, 'stageName') ?? '';
        must(api.apiId, name);
        store.delete(api.apiId, 'stage', name);
        return {};
      }),
    ),
    op('CreateDeployment', (input, ctx) =>
      store.transaction(() => {
        const api = mustApi(deps, ctx, input);
        const stageName = str(input, 'stageName');
        const stage = stageName !== undefined ? must(api.apiId, stageName) : undefined;
        const doc = createDeployment(store, api.apiId, {
          description: str(input, 'description'),
          autoDeployed: false,
        });
        if (stage) {
          store.put(api.apiId, 'stage', stage.stageName, {
            ...stage,
            deploymentId: doc.deploymentId,
            lastUpdatedDate: ISO_NOW(),
          });
        }
        return deploymentView(doc);
      }),
    ),
    op('GetDeployment', (input, ctx) => {
      const api = mustApi(deps, ctx, input);
      const doc = store.get(api.apiId, 'deployment', str(input, 'deploymentId') ?? '');
      if (!doc) throw notFound('deployment');
      return deploymentView(doc);
    }),
    op('GetDeployments', (input, ctx) => {
      const api = mustApi(deps, ctx, input);
      return page(store.list(api.apiId, 'deployment').map(deploymentView), input);
    }),
    op('DeleteDeployment', (input, ctx) =>
      store.transaction(() => {
        const api = mustApi(deps, ctx, input);
        const id = str(input, 'deploymentId') ?? '';
        if (!store.get(api.apiId, 'deployment', id)) throw notFound('deployment');
        if (store.list(api.apiId, 'stage').some((s) => s.deploymentId === id)) {
          throw new BadRequestException('Active stages pointing to this deployment must be moved or deleted');
        }
        store.delete(api.apiId, 'deployment', id);
        return {};
      }),
    ),
  ];
}
