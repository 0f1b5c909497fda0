/**
 * Provisioned concurrency configs per function version or alias, in their own table. Read at
 * start (their environments are initialised again) and written by
 * Put/DeleteProvisionedConcurrencyConfig and by deletions of the version, alias or function.
 * Status lives with the environments, in memory (src/invoke/provisioned.ts).
 */
import type { Db } from '../../storage/db.js';
import { migrate } from '../../storage/db.js';
import type { Scope } from './store.js';

const MIGRATIONS = [
  `CREATE TABLE lambda_provisioned_concurrency (
     account_id TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL,
     qualifier TEXT NOT NULL,
     requested INTEGER NOT NULL,
     last_modified TEXT NOT NULL,
     PRIMARY KEY (account_id, region, name, qualifier)
   );`,
];

export interface ProvisionedConfig extends Scope {
  name: string;
  /** A version number or an alias name. */
  qualifier: string;
  requested: number;
  lastModified: string;
}

export type ProvisionedStore = ReturnType<typeof createProvisionedStore>;

interface Row {
  account_id: string;
  region: string;
  name: string;
  qualifier: string;
  requested: number;
  last_modified: string;
}

const toConfig = (r: Row): ProvisionedConfig => ({
  accountId: r.account_id,
  region: r.region,
  name: r.name,
  qualifier: r.qualifier,
  requested: r.requested,
  lastModified: r.last_modified,
});

export function createProvisionedStore(db: Db) {
  migrate(db, 'lambda-provisioned-concurrency', MIGRATIONS);
  const columns = 'account_id, region, name, qualifier, requested, last_modified';
  const s = {
    all: db.prepare(`SELECT ${columns} FROM lambda_provisioned_concurrency`),
    ofFunction: db.prepare(
      `SELECT ${columns} FROM lambda_provisioned_concurrency
       WHERE account_id = ? AND region = ? AND name = ? ORDER BY qualifier`,
    ),
    get: db.prepare(
      `SELECT ${columns} FROM lambda_provisioned_concurrency
       WHERE account_id = ? AND region = ? AND name = ? AND qualifier = ?`,
    ),
    put: db.prepare(
      `INSERT INTO lambda_provisioned_concurrency (${columns}) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (account_id, region, name, qualifier)
       DO UPDATE SET requested = excluded.requested, last_modified = excluded.last_modified`,
    ),
    remove: db.prepare(
      'DELETE FROM lambda_provisioned_concurrency WHERE account_id = ? AND region = ? AND name = ? AND qualifier = ?',
    ),
    removeFunction: db.prepare(
      'DELETE FROM lambda_provisioned_concurrency WHERE account_id = ? AND region = ? AND name = ?',
    ),
  };
  return {
    all: (): ProvisionedConfig[] => (s.all.all() as Row[]).map(toConfig),
    ofFunction: (sc: Scope, name: string): ProvisionedConfig[] =>
      (s.ofFunction.all(sc.accountId, sc.region, name) as Row[]).map(toConfig),
    get(sc: Scope, name: string, qualifier: string): ProvisionedConfig | undefined {
      const row = s.get.get(sc.accountId, sc.region, name, qualifier) as Row | undefined;
      return row && toConfig(row);
    },
    put(c: ProvisionedConfig): void {
      s.put.run(c.accountId, c.region, c.name, c.qualifier, c.requested, c.lastModified);
    },
    remove(sc: Scope, name: string, qualifier: string): void {
      s.remove.run(sc.accountId, sc.region, name, qualifier);
    },
    removeFunction(sc: Scope, name: string): void {
      s.removeFunction.run(sc.accountId, sc.region, name);
    },
  };
}
