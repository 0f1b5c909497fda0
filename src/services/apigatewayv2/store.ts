/**
 * API Gateway v2's SQLite tables. An API is one row; its routes, integrations, stages and
 * deployments are rows of one child table keyed by (api, kind, id) and removed with the API.
 * Documents are stored as the wire shapes (lower camel case) that the API returns, so reads
 * are one JSON.parse. API ids are unique across accounts and regions, as on AWS, so an invoke
 * URL (which names only the id) finds its API with one indexed read.
 */
import { type Db, migrate } from '../../storage/db.js';
import type {
  ApiDoc,
  AuthorizerDoc,
  ChildKind,
  DeploymentDoc,
  IntegrationDoc,
  RouteDoc,
  StageDoc,
} from './model.js';

const MIGRATIONS = [
  `CREATE TABLE apigwv2_apis (
     api_id TEXT PRIMARY KEY,
     account_id TEXT NOT NULL,
     region TEXT NOT NULL,
     doc TEXT NOT NULL
   );
   CREATE INDEX apigwv2_apis_scope ON apigwv2_apis (account_id, region);
   CREATE TABLE apigwv2_children (
     api_id TEXT NOT NULL REFERENCES apigwv2_apis (api_id) ON DELETE CASCADE,
     kind TEXT NOT NULL,
     id TEXT NOT NULL,
     seq INTEGER NOT NULL,
     doc TEXT NOT NULL,
     PRIMARY KEY (api_id, kind, id)
   );`,
];

export interface Scope {
  accountId: string;
  region: string;
}

interface DocOf {
  route: RouteDoc;
  integration: IntegrationDoc;
  stage: StageDoc;
  deployment: DeploymentDoc;
  authorizer: AuthorizerDoc;
}

export type ApiGatewayV2Store = ReturnType<typeof createApiGatewayV2Store>;

export function createApiGatewayV2Store(db: Db) {
  migrate(db, 'apigatewayv2', MIGRATIONS);
  const stmts = {
    getApi: db
      .prepare('SELECT doc FROM apigwv2_apis WHERE api_id = ? AND account_id = ? AND region = ?')
      .pluck(),
    findApi: db.prepare('SELECT account_id, region, doc FROM apigwv2_apis WHERE api_id = ?'),
    listApis: db
      .prepare('SELECT doc FROM apigwv2_apis WHERE account_id = ? AND region = ? ORDER BY api_id')
      .pluck(),
    putApi: db.prepare(
      `INSERT INTO apigwv2_apis (api_id, account_id, region, doc) VALUES (?, ?, ?, ?)
       ON CONFLICT (api_id) DO UPDATE SET doc = excluded.doc`,
    ),
    deleteApi: db.prepare('DELETE FROM apigwv2_apis WHERE api_id = ? AND account_id = ? AND region = ?'),
    getChild: db.prepare('SELECT doc FROM apigwv2_children WHERE api_id = ? AND kind = ? AND id = ?').pluck(),
    listChildren: db
      .prepare('SELECT doc FROM apigwv2_children WHERE api_id = ? AND kind = ? ORDER BY seq')
      .pluck(),
    putChild: db.prepare(
      `INSERT INTO apigwv2_children (api_id, kind, id, seq, doc)
       VALUES (?, ?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM apigwv2_children), ?)
       ON CONFLICT (api_id, kind, id) DO UPDATE SET doc = excluded.doc`,
    ),
    deleteChild: db.prepare('DELETE FROM apigwv2_children WHERE api_id = ? AND kind = ? AND id = ?'),
    idTaken: db.prepare('SELECT 1 FROM apigwv2_children WHERE kind = ? AND id = ?').pluck(),
  };
  const parse = <T>(text: unknown): T | undefined =>
    typeof text === 'string' ? (JSON.parse(text) as T) : undefined;

  return {
    transaction<T>(fn: () => T): T {
      return db.transaction(fn)();
    },
    getApi(scope: Scope, apiId: string): ApiDoc | undefined {
      return parse<ApiDoc>(stmts.getApi.get(apiId, scope.accountId, scope.region));
    },
    /** The API with this id in any account and region (invoke URLs name only the id). */
    findApi(apiId: string): { scope: Scope; api: ApiDoc } | undefined {
      const row = stmts.findApi.get(apiId) as { account_id: string; region: string; doc: string } | undefined;
      if (!row) return undefined;
      return { scope: { accountId: row.account_id, region: row.region }, api: JSON.parse(row.doc) as ApiDoc };
    },
    apiIdTaken(apiId: string): boolean {
      return stmts.findApi.get(apiId) !== undefined;
    },
    listApis(scope: Scope): ApiDoc[] {
      return (stmts.listApis.all(scope.accountId, scope.region) as string[]).map(
        (t) => JSON.parse(t) as ApiDoc,
      );
    },
    putApi(scope: Scope, api: ApiDoc): void {
      stmts.putApi.run(api.apiId, scope.accountId, scope.region, JSON.stringify(api));
    },
    deleteApi(scope: Scope, apiId: string): boolean {
      return stmts.deleteApi.run(apiId, scope.accountId, scope.region).changes > 0;
    },
    get<K extends ChildKind>(apiId: string, kind: K, id: string): DocOf[K] | undefined {
      return parse<DocOf[K]>(stmts.getChild.get(apiId, kind, id));
    },
    list<K extends ChildKind>(apiId: string, kind: K): DocOf[K][] {
      return (stmts.listChildren.all(apiId, kind) as string[]).map((t) => JSON.parse(t) as DocOf[K]);
    },
    put<K extends ChildKind>(apiId: string, kind: K, id: string, doc: DocOf[K]): void {
      stmts.putChild.run(apiId, kind, id, JSON.stringify(doc));
    },
    delete(apiId: string, kind: ChildKind, id: string): boolean {
      return stmts.deleteChild.run(apiId, kind, id).changes > 0;
    },
    /** Whether a route, integration or deployment id is in use (ids are unique per kind, not only per API). */
    childIdTaken(kind: ChildKind, id: string): boolean {
      return stmts.idTaken.get(kind, id) !== undefined;
    },
  };
}
