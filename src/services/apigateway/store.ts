/**
 * REST APIs in SQLite. An API, a resource (with its methods and integrations), a deployment
 * (with the frozen resource tree) and a stage are one row each holding AWS's JSON document;
 * child rows go with their API (ON DELETE CASCADE). API ids are unique across accounts: they
 * name hosts (`<id>.execute-api...`), as on AWS.
 */
import { type Db, migrate } from '../../storage/db.js';
import type {
  AuthorizerDoc,
  DeploymentDoc,
  DeploymentSnapshot,
  ResourceDoc,
  RestApiDoc,
  Scope,
  StageDoc,
} from './model.js';

const MIGRATIONS = [
  `CREATE TABLE apigw_rest_apis (
     id TEXT PRIMARY KEY,
     account_id TEXT NOT NULL,
     region TEXT NOT NULL,
     doc TEXT NOT NULL
   );
   CREATE INDEX apigw_rest_apis_scope ON apigw_rest_apis (account_id, region);
   CREATE TABLE apigw_resources (
     api_id TEXT NOT NULL REFERENCES apigw_rest_apis (id) ON DELETE CASCADE,
     id TEXT NOT NULL,
     parent_id TEXT,
     doc TEXT NOT NULL,
     PRIMARY KEY (api_id, id)
   );
   CREATE TABLE apigw_deployments (
     api_id TEXT NOT NULL REFERENCES apigw_rest_apis (id) ON DELETE CASCADE,
     id TEXT NOT NULL,
     doc TEXT NOT NULL,
     snapshot TEXT NOT NULL,
     PRIMARY KEY (api_id, id)
   );
   CREATE TABLE apigw_stages (
     api_id TEXT NOT NULL REFERENCES apigw_rest_apis (id) ON DELETE CASCADE,
     name TEXT NOT NULL,
     deployment_id TEXT NOT NULL,
     doc TEXT NOT NULL,
     PRIMARY KEY (api_id, name)
   );`,
  `CREATE TABLE apigw_authorizers (
     api_id TEXT NOT NULL REFERENCES apigw_rest_apis (id) ON DELETE CASCADE,
     id TEXT NOT NULL,
     doc TEXT NOT NULL,
     PRIMARY KEY (api_id, id)
   );`,
];

export type RestApiStore = ReturnType<typeof createRestApiStore>;

export function createRestApiStore(db: Db) {
  migrate(db, 'apigateway', MIGRATIONS);
  const q = {
    insertApi: db.prepare('INSERT INTO apigw_rest_apis (id, account_id, region, doc) VALUES (?, ?, ?, ?)'),
    getApi: db
      .prepare('SELECT doc FROM apigw_rest_apis WHERE id = ? AND account_id = ? AND region = ?')
      .pluck(),
    listApis: db
      .prepare('SELECT doc FROM apigw_rest_apis WHERE account_id = ? AND region = ? ORDER BY rowid')
      .pluck(),
    allApiIds: db.prepare('SELECT id FROM apigw_rest_apis').pluck(),
    apiOwner: db.prepare('SELECT account_id, region, doc FROM apigw_rest_apis WHERE id = ?'),
    updateApi: db.prepare('UPDATE apigw_rest_apis SET doc = ? WHERE id = ?'),
    deleteApi: db.prepare('DELETE FROM apigw_rest_apis WHERE id = ?'),
    putResource: db.prepare(
      'INSERT OR REPLACE INTO apigw_resources (api_id, id, parent_id, doc) VALUES (?, ?, ?, ?)',
    ),
    getResource: db.prepare('SELECT doc FROM apigw_resources WHERE api_id = ? AND id = ?').pluck(),
    listResources: db.prepare('SELECT doc FROM apigw_resources WHERE api_id = ? ORDER BY rowid').pluck(),
    deleteResource: db.prepare('DELETE FROM apigw_resources WHERE api_id = ? AND id = ?'),
    insertDeployment: db.prepare(
      'INSERT INTO apigw_deployments (api_id, id, doc, snapshot) VALUES (?, ?, ?, ?)',
    ),
    getDeployment: db.prepare('SELECT doc FROM apigw_deployments WHERE api_id = ? AND id = ?').pluck(),
    getSnapshot: db.prepare('SELECT snapshot FROM apigw_deployments WHERE api_id = ? AND id = ?').pluck(),
    listDeployments: db.prepare('SELECT doc FROM apigw_deployments WHERE api_id = ? ORDER BY rowid').pluck(),
    deleteDeployment: db.prepare('DELETE FROM apigw_deployments WHERE api_id = ? AND id = ?'),
    putStage: db.prepare(
      'INSERT OR REPLACE INTO apigw_stages (api_id, name, deployment_id, doc) VALUES (?, ?, ?, ?)',
    ),
    getStage: db.prepare('SELECT doc FROM apigw_stages WHERE api_id = ? AND name = ?').pluck(),
    listStages: db.prepare('SELECT doc FROM apigw_stages WHERE api_id = ? ORDER BY name').pluck(),
    stagesOnDeployment: db
      .prepare('SELECT COUNT(*) FROM apigw_stages WHERE api_id = ? AND deployment_id = ?')
      .pluck(),
    deleteStage: db.prepare('DELETE FROM apigw_stages WHERE api_id = ? AND name = ?'),
    putAuthorizer: db.prepare('INSERT OR REPLACE INTO apigw_authorizers (api_id, id, doc) VALUES (?, ?, ?)'),
    getAuthorizer: db.prepare('SELECT doc FROM apigw_authorizers WHERE api_id = ? AND id = ?').pluck(),
    listAuthorizers: db.prepare('SELECT doc FROM apigw_authorizers WHERE api_id = ? ORDER BY rowid').pluck(),
    deleteAuthorizer: db.prepare('DELETE FROM apigw_authorizers WHERE api_id = ? AND id = ?'),
  };
  const parse = <T>(text: unknown): T | undefined =>
    typeof text === 'string' ? (JSON.parse(text) as T) : undefined;

  return {
    createApi(scope: Scope, api: RestApiDoc, root: ResourceDoc): void {
      db.transaction(() => {
        q.insertApi.run(api.id, scope.accountId, scope.region, JSON.stringify(api));
        q.putResource.run(api.id, root.id, null, JSON.stringify(root));
      })();
    },
    getApi: (scope: Scope, id: string) => parse<RestApiDoc>(q.getApi.get(id, scope.accountId, scope.region)),
    listApis: (scope: Scope) =>
      (q.listApis.all(scope.accountId, scope.region) as string[]).map((t) => JSON.parse(t) as RestApiDoc),
    allApiIds: () => q.allApiIds.all() as string[],
    /** The owner of an API id, whatever the account (the invoke path knows only the id). */
    apiOwner(id: string): (Scope & { api: RestApiDoc }) | undefined {
      const row = q.apiOwner.get(id) as { account_id: string; region: string; doc: string } | undefined;
      return row && { accountId: row.account_id, region: row.region, api: JSON.parse(row.doc) as RestApiDoc };
    },
    updateApi: (api: RestApiDoc) => void q.updateApi.run(JSON.stringify(api), api.id),
    deleteApi: (id: string) => void q.deleteApi.run(id),

    putResource: (apiId: string, r: ResourceDoc) =>
      void q.putResource.run(apiId, r.id, r.parentId ?? null, JSON.stringify(r)),
    getResource: (apiId: string, id: string) => parse<ResourceDoc>(q.getResource.get(apiId, id)),
    listResources: (apiId: string) =>
      (q.listResources.all(apiId) as string[]).map((t) => JSON.parse(t) as ResourceDoc),
    deleteResources: (apiId: string, ids: readonly string[]) =>
      db.transaction(() => {
        for (const id of ids) q.deleteResource.run(apiId, id);
      })(),

    createDeployment(apiId: string, d: DeploymentDoc, snapshot: DeploymentSnapshot, stage?: StageDoc): void {
      db.transaction(() => {
        q.insertDeployment.run(apiId, d.id, JSON.stringify(d), JSON.stringify(snapshot));
        if (stage) q.putStage.run(apiId, stage.stageName, stage.deploymentId, JSON.stringify(stage));
      })();
    },
    getDeployment: (apiId: string, id: string) => parse<DeploymentDoc>(q.getDeployment.get(apiId, id)),
    getSnapshot: (apiId: string, id: string) => parse<DeploymentSnapshot>(q.getSnapshot.get(apiId, id)),
    listDeployments: (apiId: string) =>
      (q.listDeployments.all(apiId) as string[]).map((t) => JSON.parse(t) as DeploymentDoc),
    deploymentInUse: (apiId: string, id: string) => (q.stagesOnDeployment.get(apiId, id) as number) > 0,
    deleteDeployment: (apiId: string, id: string) => void q.deleteDeployment.run(apiId, id),

    putStage: (apiId: string, s: StageDoc) =>
      void q.putStage.run(apiId, s.stageName, s.deploymentId, JSON.stringify(s)),
    getStage: (apiId: string, name: string) => parse<StageDoc>(q.getStage.get(apiId, name)),
    listStages: (apiId: string) =>
      (q.listStages.all(apiId) as string[]).map((t) => JSON.parse(t) as StageDoc),
    deleteStage: (apiId: string, name: string) => void q.deleteStage.run(apiId, name),

    putAuthorizer: (apiId: string, a: AuthorizerDoc) =>
      void q.putAuthorizer.run(apiId, a.id, JSON.stringify(a)),
    getAuthorizer: (apiId: string, id: string) => parse<AuthorizerDoc>(q.getAuthorizer.get(apiId, id)),
    listAuthorizers: (apiId: string) =>
      (q.listAuthorizers.all(apiId) as string[]).map((t) => JSON.parse(t) as AuthorizerDoc),
    deleteAuthorizer: (apiId: string, id: string) => void q.deleteAuthorizer.run(apiId, id),
  };
}
