/**
 * Lambda's persistent state in SQLite: functions, their versions ($LATEST and published),
 * aliases, resource policies, tags, layers and layer versions. Rows are scoped by account and
 * region, as AWS's resources are. Every method is one transaction: when it returns, the
 * change is in the WAL and survives a kill -9.
 */
import type { Db } from '../../storage/db.js';
import { migrate } from '../../storage/db.js';
import type { FunctionConfig, LayerVersionConfig, PolicyStatement } from './model.js';

const MIGRATIONS = [
  `CREATE TABLE lambda_functions (
     account_id TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL,
     tags TEXT NOT NULL DEFAULT '{}',
     next_version INTEGER NOT NULL DEFAULT 1,
     PRIMARY KEY (account_id, region, name)
   );
   CREATE TABLE lambda_function_versions (
     account_id TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL,
     version TEXT NOT NULL,
     config TEXT NOT NULL,
     code_key TEXT NOT NULL,
     PRIMARY KEY (account_id, region, name, version),
     FOREIGN KEY (account_id, region, name) REFERENCES lambda_functions ON DELETE CASCADE
   );
   CREATE TABLE lambda_policies (
     account_id TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL,
     qualifier TEXT NOT NULL,
     statements TEXT NOT NULL,
     revision_id TEXT NOT NULL,
     PRIMARY KEY (account_id, region, name, qualifier),
     FOREIGN KEY (account_id, region, name) REFERENCES lambda_functions ON DELETE CASCADE
   );
   CREATE TABLE lambda_layers (
     account_id TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL,
     next_version INTEGER NOT NULL DEFAULT 1,
     PRIMARY KEY (account_id, region, name)
   );
   CREATE TABLE lambda_layer_versions (
     account_id TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL,
     version INTEGER NOT NULL,
     config TEXT NOT NULL,
     code_key TEXT NOT NULL,
     PRIMARY KEY (account_id, region, name, version)
   );
   CREATE TABLE lambda_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);`,
  // Aliases: a name pointing at one version, optionally sharing traffic with a second one
  // (`weights` is RoutingConfig.AdditionalVersionWeights as JSON, NULL without routing).
  `CREATE TABLE lambda_aliases (
     account_id TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL,
     alias TEXT NOT NULL,
     function_version TEXT NOT NULL,
     description TEXT NOT NULL DEFAULT '',
     weights TEXT,
     revision_id TEXT NOT NULL,
     PRIMARY KEY (account_id, region, name, alias),
     FOREIGN KEY (account_id, region, name) REFERENCES lambda_functions ON DELETE CASCADE
   );`,
];

export interface Scope {
  accountId: string;
  region: string;
}

export interface StoredVersion {
  name: string;
  version: string;
  config: FunctionConfig;
  codeKey: string;
}

/** An alias as stored; `weights` is RoutingConfig.AdditionalVersionWeights (absent when empty). */
export interface StoredAlias {
  alias: string;
  functionVersion: string;
  description: string;
  weights?: Record<string, number>;
  revisionId: string;
}

export interface StoredLayerVersion {
  name: string;
  version: number;
  config: LayerVersionConfig;
  codeKey: string;
}

export type LambdaStore = ReturnType<typeof createLambdaStore>;

export function createLambdaStore(db: Db) {
  migrate(db, 'lambda', MIGRATIONS);

  const s = {
    functionExists: db
      .prepare('SELECT 1 FROM lambda_functions WHERE account_id = ? AND region = ? AND name = ?')
      .pluck(),
    insertFunction: db.prepare(
      'INSERT INTO lambda_functions (account_id, region, name, tags) VALUES (?, ?, ?, ?)',
    ),
    deleteFunction: db.prepare(
      'DELETE FROM lambda_functions WHERE account_id = ? AND region = ? AND name = ?',
    ),
    getVersion: db.prepare(
      'SELECT name, version, config, code_key FROM lambda_function_versions WHERE account_id = ? AND region = ? AND name = ? AND version = ?',
    ),
    putVersion: db.prepare(
      `INSERT INTO lambda_function_versions (account_id, region, name, version, config, code_key) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (account_id, region, name, version) DO UPDATE SET config = excluded.config, code_key = excluded.code_key`,
    ),
    deleteVersion: db.prepare(
      'DELETE FROM lambda_function_versions WHERE account_id = ? AND region = ? AND name = ? AND version = ?',
    ),
    listVersionsOf: db.prepare(
      `SELECT name, version, config, code_key FROM lambda_function_versions WHERE account_id = ? AND region = ? AND name = ?
       ORDER BY CASE version WHEN '$LATEST' THEN 0 ELSE 1 END, CAST(version AS INTEGER)`,
    ),
    listLatest: db.prepare(
      `SELECT name, version, config, code_key FROM lambda_function_versions
       WHERE account_id = ? AND region = ? AND version = '$LATEST' AND name > ? ORDER BY name LIMIT ?`,
    ),
    listAll: db.prepare(
      `SELECT name, version, config, code_key FROM lambda_function_versions
       WHERE account_id = ? AND region = ? AND (name > ? OR (name = ? AND CASE version WHEN '$LATEST' THEN 0 ELSE CAST(version AS INTEGER) END > ?))
       ORDER BY name, CASE version WHEN '$LATEST' THEN 0 ELSE CAST(version AS INTEGER) END LIMIT ?`,
    ),
    nextVersion: db
      .prepare(
        'UPDATE lambda_functions SET next_version = next_version + 1 WHERE account_id = ? AND region = ? AND name = ? RETURNING next_version - 1',
      )
      .pluck(),
    getTags: db
      .prepare('SELECT tags FROM lambda_functions WHERE account_id = ? AND region = ? AND name = ?')
      .pluck(),
    setTags: db.prepare(
      'UPDATE lambda_functions SET tags = ? WHERE account_id = ? AND region = ? AND name = ?',
    ),
    getPolicy: db.prepare(
      'SELECT statements, revision_id FROM lambda_policies WHERE account_id = ? AND region = ? AND name = ? AND qualifier = ?',
    ),
    putPolicy: db.prepare(
      `INSERT INTO lambda_policies (account_id, region, name, qualifier, statements, revision_id) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (account_id, region, name, qualifier) DO UPDATE SET statements = excluded.statements, revision_id = excluded.revision_id`,
    ),
    deletePolicy: db.prepare(
      'DELETE FROM lambda_policies WHERE account_id = ? AND region = ? AND name = ? AND qualifier = ?',
    ),
    codeKeyInUse: db
      .prepare(
        `SELECT EXISTS (SELECT 1 FROM lambda_function_versions WHERE code_key = @key)
           OR EXISTS (SELECT 1 FROM lambda_layer_versions WHERE code_key = @key)`,
      )
      .pluck(),
    pendingVersions: db.prepare(
      `SELECT account_id, region, name, version, config, code_key FROM lambda_function_versions
       WHERE json_extract(config, '$.State') = 'Pending' OR json_extract(config, '$.LastUpdateStatus') = 'InProgress'`,
    ),
    runtimesInUse: db
      .prepare(
        `SELECT DISTINCT json_extract(config, '$.Runtime') FROM lambda_function_versions
         WHERE json_extract(config, '$.State') = 'Active' AND json_extract(config, '$.Runtime') IS NOT NULL`,
      )
      .pluck(),
    codeUsage: db
      .prepare(
        `SELECT (SELECT COALESCE(SUM(json_extract(config, '$.CodeSize')), 0) FROM lambda_function_versions WHERE account_id = @account AND region = @region)
            + (SELECT COALESCE(SUM(json_extract(config, '$.Content.CodeSize')), 0) FROM lambda_layer_versions WHERE account_id = @account AND region = @region)`,
      )
      .pluck(),
    functionCount: db
      .prepare('SELECT COUNT(*) FROM lambda_functions WHERE account_id = ? AND region = ?')
      .pluck(),
    ensureLayer: db.prepare(
      'INSERT INTO lambda_layers (account_id, region, name) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
    ),
    nextLayerVersion: db
      .prepare(
        'UPDATE lambda_layers SET next_version = next_version + 1 WHERE account_id = ? AND region = ? AND name = ? RETURNING next_version - 1',
      )
      .pluck(),
    putLayerVersion: db.prepare(
      'INSERT INTO lambda_layer_versions (account_id, region, name, version, config, code_key) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    updateLayerVersion: db.prepare(
      'UPDATE lambda_layer_versions SET config = ? WHERE account_id = ? AND region = ? AND name = ? AND version = ?',
    ),
    getLayerVersion: db.prepare(
      'SELECT name, version, config, code_key FROM lambda_layer_versions WHERE account_id = ? AND region = ? AND name = ? AND version = ?',
    ),
    listLayerVersions: db.prepare(
      `SELECT name, version, config, code_key FROM lambda_layer_versions WHERE account_id = ? AND region = ? AND name = ?
       AND version < ? ORDER BY version DESC LIMIT ?`,
    ),
    latestLayerVersions: db.prepare(
      `SELECT v.name, v.version, v.config, v.code_key FROM lambda_layer_versions v
       WHERE v.account_id = @account AND v.region = @region AND v.name > @after AND v.version = (
         SELECT MAX(version) FROM lambda_layer_versions w
         WHERE w.account_id = v.account_id AND w.region = v.region AND w.name = v.name)
       ORDER BY v.name LIMIT @limit`,
    ),
    deleteLayerVersion: db.prepare(
      'DELETE FROM lambda_layer_versions WHERE account_id = ? AND region = ? AND name = ? AND version = ?',
    ),
    getAlias: db.prepare(
      `SELECT alias, function_version, description, weights, revision_id FROM lambda_aliases
       WHERE account_id = ? AND region = ? AND name = ? AND alias = ?`,
    ),
    listAliases: db.prepare(
      `SELECT alias, function_version, description, weights, revision_id FROM lambda_aliases
       WHERE account_id = ? AND region = ? AND name = ? ORDER BY alias`,
    ),
    putAlias: db.prepare(
      `INSERT INTO lambda_aliases (account_id, region, name, alias, function_version, description, weights, revision_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (account_id, region, name, alias) DO UPDATE SET function_version = excluded.function_version,
         description = excluded.description, weights = excluded.weights, revision_id = excluded.revision_id`,
    ),
    deleteAlias: db.prepare(
      'DELETE FROM lambda_aliases WHERE account_id = ? AND region = ? AND name = ? AND alias = ?',
    ),
    getSetting: db.prepare('SELECT value FROM lambda_settings WHERE key = ?').pluck(),
    putSetting: db.prepare('INSERT INTO lambda_settings (key, value) VALUES (?, ?) ON CONFLICT DO NOTHING'),
  };

  const tagCache = new Map<string, Readonly<Record<string, string>> | undefined>();
  const tagKey = (sc: Scope, name: string) => `${sc.accountId}/${sc.region}/${name}`;

  type VersionRow = { name: string; version: string; config: string; code_key: string };
  const toVersion = (row: VersionRow | undefined): StoredVersion | undefined =>
    row && { name: row.name, version: row.version, config: JSON.parse(row.config), codeKey: row.code_key };
  type AliasRow = {
    alias: string;
    function_version: string;
    description: string;
    weights: string | null;
    revision_id: string;
  };
  const toAlias = (row: AliasRow | undefined): StoredAlias | undefined =>
    row && {
      alias: row.alias,
      functionVersion: row.function_version,
      description: row.description,
      ...(row.weights === null ? {} : { weights: JSON.parse(row.weights) as Record<string, number> }),
      revisionId: row.revision_id,
    };
  const putAlias = (sc: Scope, name: string, a: StoredAlias): void => {
    const weights = a.weights && Object.keys(a.weights).length ? JSON.stringify(a.weights) : null;
    s.putAlias.run(
      sc.accountId,
      sc.region,
      name,
      a.alias,
      a.functionVersion,
      a.description,
      weights,
      a.revisionId,
    );
  };
  type LayerRow = { name: string; version: number; config: string; code_key: string };
  const toLayer = (row: LayerRow | undefined): StoredLayerVersion | undefined =>
    row && { name: row.name, version: row.version, config: JSON.parse(row.config), codeKey: row.code_key };

  return {
    functionExists: (sc: Scope, name: string): boolean =>
      s.functionExists.get(sc.accountId, sc.region, name) !== undefined,

    /** Creates the function with its $LATEST and, when `publish`, version 1 (same config). */
    createFunction: db.transaction(
      (sc: Scope, name: string, latest: FunctionConfig, codeKey: string, tags: Record<string, string>) => {
        tagCache.delete(tagKey(sc, name));
        s.insertFunction.run(sc.accountId, sc.region, name, JSON.stringify(tags));
        s.putVersion.run(sc.accountId, sc.region, name, '$LATEST', JSON.stringify(latest), codeKey);
      },
    ),

    /** Deletes the function with every version, policy and tag; returns the code keys it used. */
    deleteFunction: db.transaction((sc: Scope, name: string): string[] => {
      const keys = (s.listVersionsOf.all(sc.accountId, sc.region, name) as VersionRow[]).map(
        (r) => r.code_key,
      );
      tagCache.delete(tagKey(sc, name));
      s.deleteFunction.run(sc.accountId, sc.region, name);
      return keys;
    }),

    getVersion: (sc: Scope, name: string, version: string): StoredVersion | undefined =>
      toVersion(s.getVersion.get(sc.accountId, sc.region, name, version) as VersionRow | undefined),

    putVersion: (sc: Scope, name: string, version: string, config: FunctionConfig, codeKey: string): void => {
      s.putVersion.run(sc.accountId, sc.region, name, version, JSON.stringify(config), codeKey);
    },

    /**
     * Replaces a version's config only if its RevisionId is still `expectedRevision`
     * (optimistic concurrency for background state transitions). Returns whether it did.
     */
    compareAndPutVersion: db.transaction(
      (
        sc: Scope,
        name: string,
        version: string,
        expectedRevision: string,
        config: FunctionConfig,
      ): boolean => {
        const row = s.getVersion.get(sc.accountId, sc.region, name, version) as VersionRow | undefined;
        if (!row || (JSON.parse(row.config) as FunctionConfig).RevisionId !== expectedRevision) return false;
        s.putVersion.run(sc.accountId, sc.region, name, version, JSON.stringify(config), row.code_key);
        return true;
      },
    ),

    /**
     * Gives a version a new RevisionId. AWS changes it for any change to the function,
     * including its policy and tags, and GetPolicy reports the same id.
     */
    bumpRevision: (sc: Scope, name: string, version: string, revisionId: string): void => {
      const row = s.getVersion.get(sc.accountId, sc.region, name, version) as VersionRow | undefined;
      if (!row) return;
      const config = { ...(JSON.parse(row.config) as FunctionConfig), RevisionId: revisionId };
      s.putVersion.run(sc.accountId, sc.region, name, version, JSON.stringify(config), row.code_key);
    },

    deleteVersion: (sc: Scope, name: string, version: string): void => {
      s.deleteVersion.run(sc.accountId, sc.region, name, version);
    },

    /** Allocates the next published version number (never reused, as on AWS). */
    allocateVersion: (sc: Scope, name: string): string =>
      String(s.nextVersion.get(sc.accountId, sc.region, name)),

    transaction: <T>(fn: () => T): T => db.transaction(fn)(),

    listVersions: (sc: Scope, name: string): StoredVersion[] =>
      (s.listVersionsOf.all(sc.accountId, sc.region, name) as VersionRow[]).map(
        (r) => toVersion(r) as StoredVersion,
      ),

    listLatest: (sc: Scope, afterName: string, limit: number): StoredVersion[] =>
      (s.listLatest.all(sc.accountId, sc.region, afterName, limit) as VersionRow[]).map(
        (r) => toVersion(r) as StoredVersion,
      ),

    /** Every version of every function, ordered by (name, version), after the marker. */
    listAllVersions: (sc: Scope, afterName: string, afterVersion: number, limit: number): StoredVersion[] =>
      (s.listAll.all(sc.accountId, sc.region, afterName, afterName, afterVersion, limit) as VersionRow[]).map(
        (r) => toVersion(r) as StoredVersion,
      ),

    /** Versions left Pending/InProgress by a previous process, to finish on start. */
    unfinishedVersions: (): Array<Scope & StoredVersion> =>
      (s.pendingVersions.all() as Array<VersionRow & { account_id: string; region: string }>).map((r) => ({
        accountId: r.account_id,
        region: r.region,
        ...(toVersion(r) as StoredVersion),
      })),

    /** The runtimes of every Active version (each one's interpreter gets its pool at start). */
    runtimesInUse: (): string[] => s.runtimesInUse.all() as string[],

    /** Read on every Invoke (the outbound tag), so kept in memory; writes drop the copy. */
    getTags: (sc: Scope, name: string): Readonly<Record<string, string>> | undefined => {
      const key = tagKey(sc, name);
      if (tagCache.has(key)) return tagCache.get(key);
      const raw = s.getTags.get(sc.accountId, sc.region, name) as string | undefined;
      const tags = raw === undefined ? undefined : Object.freeze(JSON.parse(raw) as Record<string, string>);
      tagCache.set(key, tags);
      return tags;
    },
    setTags: (sc: Scope, name: string, tags: Record<string, string>): void => {
      tagCache.delete(tagKey(sc, name));
      s.setTags.run(JSON.stringify(tags), sc.accountId, sc.region, name);
    },

    getPolicy: (
      sc: Scope,
      name: string,
      qualifier: string,
    ): { statements: PolicyStatement[]; revisionId: string } | undefined => {
      const row = s.getPolicy.get(sc.accountId, sc.region, name, qualifier) as
        | { statements: string; revision_id: string }
        | undefined;
      return row && { statements: JSON.parse(row.statements), revisionId: row.revision_id };
    },
    putPolicy: (
      sc: Scope,
      name: string,
      qualifier: string,
      statements: PolicyStatement[],
      revisionId: string,
    ): void => {
      if (statements.length === 0) s.deletePolicy.run(sc.accountId, sc.region, name, qualifier);
      else s.putPolicy.run(sc.accountId, sc.region, name, qualifier, JSON.stringify(statements), revisionId);
    },

    getAlias: (sc: Scope, name: string, alias: string): StoredAlias | undefined =>
      toAlias(s.getAlias.get(sc.accountId, sc.region, name, alias) as AliasRow | undefined),

    /** A function's aliases, ordered by name. */
    listAliases: (sc: Scope, name: string): StoredAlias[] =>
      (s.listAliases.all(sc.accountId, sc.region, name) as AliasRow[]).map((r) => toAlias(r) as StoredAlias),

    /** Creates or replaces an alias (callers check existence and RevisionId in a transaction). */
    putAlias,

    /** Deletes an alias and the resource policy that belonged to it. */
    deleteAlias: db.transaction((sc: Scope, name: string, alias: string): void => {
      s.deleteAlias.run(sc.accountId, sc.region, name, alias);
      s.deletePolicy.run(sc.accountId, sc.region, name, alias);
    }),

    codeKeyInUse: (key: string): boolean => s.codeKeyInUse.get({ key }) === 1,
    totalCodeSize: (sc: Scope): number =>
      s.codeUsage.get({ account: sc.accountId, region: sc.region }) as number,
    functionCount: (sc: Scope): number => s.functionCount.get(sc.accountId, sc.region) as number,

    publishLayerVersion: db.transaction(
      (
        sc: Scope,
        name: string,
        build: (version: number) => LayerVersionConfig,
        codeKey: string,
      ): StoredLayerVersion => {
        s.ensureLayer.run(sc.accountId, sc.region, name);
        const version = s.nextLayerVersion.get(sc.accountId, sc.region, name) as number;
        const config = build(version);
        s.putLayerVersion.run(sc.accountId, sc.region, name, version, JSON.stringify(config), codeKey);
        return { name, version, config, codeKey };
      },
    ),
    getLayerVersion: (sc: Scope, name: string, version: number): StoredLayerVersion | undefined =>
      toLayer(s.getLayerVersion.get(sc.accountId, sc.region, name, version) as LayerRow | undefined),
    updateLayerVersion: (sc: Scope, name: string, version: number, config: LayerVersionConfig): void => {
      s.updateLayerVersion.run(JSON.stringify(config), sc.accountId, sc.region, name, version);
    },
    listLayerVersions: (
      sc: Scope,
      name: string,
      beforeVersion: number,
      limit: number,
    ): StoredLayerVersion[] =>
      (s.listLayerVersions.all(sc.accountId, sc.region, name, beforeVersion, limit) as LayerRow[]).map(
        (r) => toLayer(r) as StoredLayerVersion,
      ),
    listLatestLayerVersions: (sc: Scope, afterName: string, limit: number): StoredLayerVersion[] =>
      (
        s.latestLayerVersions.all({
          account: sc.accountId,
          region: sc.region,
          after: afterName,
          limit,
        }) as LayerRow[]
      ).map((r) => toLayer(r) as StoredLayerVersion),
    deleteLayerVersion: (sc: Scope, name: string, version: number): void => {
      s.deleteLayerVersion.run(sc.accountId, sc.region, name, version);
    },

    /** A value created once and kept (e.g. the key that signs code download URLs). */
    setting: (key: string, create: () => string): string => {
      s.putSetting.run(key, create());
      return s.getSetting.get(key) as string;
    },
  };
}
