/**
 * What the invoke path reads of REST APIs, kept in memory so that a request costs no SQL: the
 * set of API ids (the front door's `claims()` is a string test against it) and each stage's
 * deployed snapshot, loaded on first use and dropped when the API's stages or deployments change.
 */
import type { DeployedStage } from './model.js';
import type { RestApiStore } from './store.js';

export interface RestApiDirectory {
  has(apiId: string): boolean;
  /** The stage with its deployment's frozen resource tree, or undefined (no such API or stage). */
  stage(apiId: string, stageName: string): DeployedStage | undefined;
  added(apiId: string): void;
  removed(apiId: string): void;
  /** Forgets what was cached of the API's stages (a stage, deployment or API changed). */
  changed(apiId: string): void;
}

/** Cached stages at most: a miss only costs a few indexed reads. */
const MAX_CACHED = 10_000;

export function createRestApiDirectory(store: RestApiStore): RestApiDirectory {
  const ids = new Set(store.allApiIds());
  const stages = new Map<string, DeployedStage | null>();
  const forget = (apiId: string) => {
    for (const key of stages.keys()) if (key.startsWith(`${apiId}/`)) stages.delete(key);
  };
  return {
    has: (apiId) => ids.has(apiId),
    stage(apiId, stageName) {
      if (!ids.has(apiId)) return undefined;
      const key = `${apiId}/${stageName}`;
      const cached = stages.get(key);
      if (cached !== undefined) return cached ?? undefined;
      const owner = store.apiOwner(apiId);
      const stage = owner && store.getStage(apiId, stageName);
      const snapshot = stage && store.getSnapshot(apiId, stage.deploymentId);
      const found: DeployedStage | null =
        owner && stage && snapshot
          ? {
              apiId,
              accountId: owner.accountId,
              region: owner.region,
              stageName,
              deploymentId: stage.deploymentId,
              variables:
                stage.variables && Object.keys(stage.variables).length > 0 ? stage.variables : undefined,
              snapshot,
            }
          : null;
      if (stages.size >= MAX_CACHED) stages.clear();
      stages.set(key, found);
      return found ?? undefined;
    },
    added: (apiId) => {
      ids.add(apiId);
      forget(apiId);
    },
    removed: (apiId) => {
      ids.delete(apiId);
      forget(apiId);
    },
    changed: forget,
  };
}
