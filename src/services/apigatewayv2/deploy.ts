/**
 * Deployments: a deployment freezes the API's routes and integrations as they are; a stage
 * serves the deployment it points at. A stage with AutoDeploy gets a new deployment after every
 * change of a route or integration, in the same transaction as the change.
 */
import { type DeploymentDoc, ISO_NOW, newId } from './model.js';
import type { ApiGatewayV2Store } from './store.js';

export function createDeployment(
  store: ApiGatewayV2Store,
  apiId: string,
  opts: { description?: string | undefined; autoDeployed: boolean },
): DeploymentDoc {
  const doc: DeploymentDoc = {
    autoDeployed: opts.autoDeployed,
    createdDate: ISO_NOW(),
    deploymentId: newId(6, (id) => store.childIdTaken('deployment', id)),
    deploymentStatus: 'DEPLOYED',
    ...(opts.description !== undefined ? { description: opts.description } : {}),
    snapshot: {
      routes: store.list(apiId, 'route'),
      integrations: store.list(apiId, 'integration'),
      authorizers: store.list(apiId, 'authorizer'),
    },
  };
  store.put(apiId, 'deployment', doc.deploymentId, doc);
  return doc;
}

/** Points a stage at a new automatic deployment. */
export function autoDeployStage(store: ApiGatewayV2Store, apiId: string, stageName: string): void {
  const stage = store.get(apiId, 'stage', stageName);
  if (!stage) return;
  const deployment = createDeployment(store, apiId, {
    description: 'Automatic deployment triggered by changes to the Api configuration',
    autoDeployed: true,
  });
  store.put(apiId, 'stage', stageName, {
    ...stage,
    deploymentId: deployment.deploymentId,
    lastUpdatedDate: ISO_NOW(),
    lastDeploymentStatusMessage: `Successfully deployed stage with deployment ID '${deployment.deploymentId}'`,
  });
}

/** After a route or integration changed: every AutoDeploy stage of the API is redeployed. */
export function autoDeploy(store: ApiGatewayV2Store, apiId: string): void {
  for (const stage of store.list(apiId, 'stage')) {
    if (stage.autoDeploy) autoDeployStage(store, apiId, stage.stageName);
  }
}

/** A deployment as the API returns it (without the frozen snapshot). */
export function deploymentView(doc: DeploymentDoc): Omit<DeploymentDoc, 'snapshot'> {
  const { snapshot: _snapshot, ...view } = doc;
  return view;
}
