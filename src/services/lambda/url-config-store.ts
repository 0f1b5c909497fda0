/**
 * Function URL configs (CreateFunctionUrlConfig ...), one per function ($LATEST, stored with
 * qualifier '') or alias, in their own table. All of them are also held in memory, by URL id:
 * the front door looks one up for every HTTP request it serves, and a map lookup costs nothing
 * there where a query would cost one per request.
 */
import { randomBytes } from 'node:crypto';
import type { Db } from '../../storage/db.js';
import { migrate } from '../../storage/db.js';
import type { Scope } from './store.js';

const MIGRATIONS = [
  `CREATE TABLE lambda_function_urls (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     url_id TEXT NOT NULL UNIQUE,
     account_id TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, qualifier TEXT NOT NULL,
     config TEXT NOT NULL,
     UNIQUE (account_id, region, name, qualifier)
   );`,
  // A URL whose alias was deleted: gone from the API, but its requests are refused as AWS
  // refuses them (Forbidden), not as a URL that never existed ({"Message":null}).
  'ALTER TABLE lambda_function_urls ADD COLUMN retired INTEGER NOT NULL DEFAULT 0;',
];

export type FunctionUrlAuthType = 'NONE' | 'AWS_IAM';
export type InvokeMode = 'BUFFERED' | 'RESPONSE_STREAM';

/** The `Cors` structure as the API takes and shows it. */
export interface CorsConfig {
  AllowCredentials?: boolean;
  AllowHeaders?: string[];
  AllowMethods?: string[];
  AllowOrigins?: string[];
  ExposeHeaders?: string[];
  MaxAge?: number;
}

export interface UrlConfig {
  authType: FunctionUrlAuthType;
  cors?: CorsConfig;
  /** Absent until set: AWS shows no InvokeMode in Create's answer unless it was given. */
  invokeMode?: InvokeMode;
  /** Epoch milliseconds. */
  creationTime: number;
  lastModifiedTime: number;
}

export interface StoredUrlConfig extends UrlConfig {
  urlId: string;
  accountId: string;
  region: string;
  name: string;
  /** '' for the unqualified function ($LATEST), else the alias. */
  qualifier: string;
}

export type UrlConfigStore = ReturnType<typeof createUrlConfigStore>;

const keyOf = (sc: Scope, name: string, qualifier: string) =>
  `${sc.accountId}\u0000${sc.region}\u0000${name}\u0000${qualifier}`;

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** 32 lower-case letters and digits, as AWS's URL ids (`<url-id>.lambda-url.<region>.on.aws`). */
export function newUrlId(): string {
  const bytes = randomBytes(32);
  let id = '';
  // 256 % 36 leaves a tiny bias; an id only has to be unguessable and unique, not uniform.
  for (const b of bytes) id += ALPHABET[b % ALPHABET.length];
  return id;
}

export function createUrlConfigStore(db: Db) {
  migrate(db, 'lambda-function-urls', MIGRATIONS);
  const s = {
    all: db.prepare(
      'SELECT url_id, account_id, region, name, qualifier, config, retired FROM lambda_function_urls ORDER BY seq',
    ),
    retire: db.prepare('UPDATE lambda_function_urls SET retired = 1 WHERE url_id = ?'),
    dropRetired: db.prepare(
      'DELETE FROM lambda_function_urls WHERE account_id = ? AND region = ? AND name = ? AND qualifier = ? AND retired = 1',
    ),
    removeFunction: db.prepare(
      'DELETE FROM lambda_function_urls WHERE account_id = ? AND region = ? AND name = ?',
    ),
    insert: db.prepare(
      'INSERT INTO lambda_function_urls (url_id, account_id, region, name, qualifier, config) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    update: db.prepare('UPDATE lambda_function_urls SET config = ? WHERE url_id = ?'),
    remove: db.prepare('DELETE FROM lambda_function_urls WHERE url_id = ?'),
  };
  const byId = new Map<string, StoredUrlConfig>();
  const byKey = new Map<string, StoredUrlConfig>();
  /** Retired URL ids, by the key of what they belonged to. */
  const retired = new Map<string, string>();
  for (const row of s.all.all() as Array<{
    url_id: string;
    account_id: string;
    region: string;
    name: string;
    qualifier: string;
    config: string;
    retired: number;
  }>) {
    if (row.retired) {
      retired.set(
        row.url_id,
        keyOf({ accountId: row.account_id, region: row.region }, row.name, row.qualifier),
      );
      continue;
    }
    remember({
      ...(JSON.parse(row.config) as UrlConfig),
      urlId: row.url_id,
      accountId: row.account_id,
      region: row.region,
      name: row.name,
      qualifier: row.qualifier,
    });
  }

  function remember(c: StoredUrlConfig): void {
    byId.set(c.urlId, c);
    byKey.set(keyOf(c, c.name, c.qualifier), c);
  }
  function forget(c: StoredUrlConfig): void {
    s.remove.run(c.urlId);
    byId.delete(c.urlId);
    byKey.delete(keyOf(c, c.name, c.qualifier));
  }
  const configOf = (c: UrlConfig): string =>
    JSON.stringify({
      authType: c.authType,
      ...(c.cors ? { cors: c.cors } : {}),
      ...(c.invokeMode ? { invokeMode: c.invokeMode } : {}),
      creationTime: c.creationTime,
      lastModifiedTime: c.lastModifiedTime,
    });

  return {
    byUrlId: (urlId: string): StoredUrlConfig | undefined => byId.get(urlId),
    get: (sc: Scope, name: string, qualifier: string): StoredUrlConfig | undefined =>
      byKey.get(keyOf(sc, name, qualifier)),
    /** A function's configs in the order they were created. */
    list(sc: Scope, name: string): StoredUrlConfig[] {
      return [...byId.values()].filter(
        (c) => c.accountId === sc.accountId && c.region === sc.region && c.name === name,
      );
    },
    /** Whether this id was a URL whose alias was deleted. */
    isRetired: (urlId: string): boolean => retired.has(urlId),
    /** Ends a URL with its alias: gone from the API, its id remembered as retired. */
    retire(c: StoredUrlConfig): void {
      s.retire.run(c.urlId);
      byId.delete(c.urlId);
      byKey.delete(keyOf(c, c.name, c.qualifier));
      retired.set(c.urlId, keyOf(c, c.name, c.qualifier));
    },
    create(sc: Scope, name: string, qualifier: string, config: UrlConfig): StoredUrlConfig {
      // A new URL for a re-created alias replaces the retired one's row.
      const key = keyOf(sc, name, qualifier);
      s.dropRetired.run(sc.accountId, sc.region, name, qualifier);
      for (const [id, k] of retired) if (k === key) retired.delete(id);
      const stored: StoredUrlConfig = {
        ...config,
        urlId: newUrlId(),
        accountId: sc.accountId,
        region: sc.region,
        name,
        qualifier,
      };
      s.insert.run(stored.urlId, sc.accountId, sc.region, name, qualifier, configOf(stored));
      remember(stored);
      return stored;
    },
    update(before: StoredUrlConfig, config: UrlConfig): StoredUrlConfig {
      const stored: StoredUrlConfig = { ...config, ...pick(before) };
      s.update.run(configOf(stored), stored.urlId);
      remember(stored);
      return stored;
    },
    remove(c: StoredUrlConfig): void {
      forget(c);
    },
    removeFunction(sc: Scope, name: string): void {
      for (const c of this.list(sc, name)) forget(c);
      s.removeFunction.run(sc.accountId, sc.region, name);
      const prefix = keyOf(sc, name, '');
      for (const [id, k] of retired) if (k.startsWith(prefix)) retired.delete(id);
    },
  };
}

function pick(c: StoredUrlConfig) {
  return { urlId: c.urlId, accountId: c.accountId, region: c.region, name: c.name, qualifier: c.qualifier };
}
