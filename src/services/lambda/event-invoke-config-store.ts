/**
 * Event invoke configs (retries, maximum event age, destinations of asynchronous invocations),
 * one per function version or alias, in their own table. All of them are also held in memory:
 * the async queue reads the config of every event it runs, and a map lookup costs nothing
 * there where a query would cost one per event.
 */
import type { Db } from '../../storage/db.js';
import { migrate } from '../../storage/db.js';
import type { Scope } from './store.js';

const MIGRATIONS = [
  `CREATE TABLE lambda_event_invoke_configs (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     account_id TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, qualifier TEXT NOT NULL,
     config TEXT NOT NULL,
     UNIQUE (account_id, region, name, qualifier)
   );`,
];

export interface EventInvokeConfig {
  maximumRetryAttempts?: number;
  maximumEventAgeInSeconds?: number;
  /** Destination ARNs; absent when the config names none (`OnSuccess: {}`). */
  onSuccess?: string;
  onFailure?: string;
  /** Epoch milliseconds of the last Put/Update. */
  lastModified: number;
}

export interface StoredEventInvokeConfig extends EventInvokeConfig {
  name: string;
  qualifier: string;
}

export type EventInvokeConfigStore = ReturnType<typeof createEventInvokeConfigStore>;

const functionKeyOf = (sc: Scope, name: string) => `${sc.accountId}\u0000${sc.region}\u0000${name}`;

export function createEventInvokeConfigStore(db: Db) {
  migrate(db, 'lambda-event-invoke-configs', MIGRATIONS);
  const s = {
    all: db.prepare(
      'SELECT account_id, region, name, qualifier, config FROM lambda_event_invoke_configs ORDER BY seq',
    ),
    put: db.prepare(
      `INSERT INTO lambda_event_invoke_configs (account_id, region, name, qualifier, config) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (account_id, region, name, qualifier) DO UPDATE SET config = excluded.config`,
    ),
    remove: db.prepare(
      'DELETE FROM lambda_event_invoke_configs WHERE account_id = ? AND region = ? AND name = ? AND qualifier = ?',
    ),
    removeFunction: db.prepare(
      'DELETE FROM lambda_event_invoke_configs WHERE account_id = ? AND region = ? AND name = ?',
    ),
  };
  /** Per function, its configs by qualifier in the order they were first put. */
  const byFunction = new Map<string, Map<string, StoredEventInvokeConfig>>();
  for (const row of s.all.all() as Array<{
    account_id: string;
    region: string;
    name: string;
    qualifier: string;
    config: string;
  }>) {
    const sc = { accountId: row.account_id, region: row.region };
    remember(sc, {
      ...(JSON.parse(row.config) as EventInvokeConfig),
      name: row.name,
      qualifier: row.qualifier,
    });
  }

  function remember(sc: Scope, config: StoredEventInvokeConfig): void {
    const fk = functionKeyOf(sc, config.name);
    let configs = byFunction.get(fk);
    if (!configs) {
      configs = new Map();
      byFunction.set(fk, configs);
    }
    configs.set(config.qualifier, config);
  }

  return {
    get(sc: Scope, name: string, qualifier: string): StoredEventInvokeConfig | undefined {
      return byFunction.get(functionKeyOf(sc, name))?.get(qualifier);
    },
    /** A function's configs, in the order they were created. */
    list(sc: Scope, name: string): StoredEventInvokeConfig[] {
      return [...(byFunction.get(functionKeyOf(sc, name))?.values() ?? [])];
    },
    put(sc: Scope, name: string, qualifier: string, config: EventInvokeConfig): StoredEventInvokeConfig {
      s.put.run(sc.accountId, sc.region, name, qualifier, JSON.stringify(config));
      const stored = { ...config, name, qualifier };
      remember(sc, stored);
      return stored;
    },
    remove(sc: Scope, name: string, qualifier: string): void {
      s.remove.run(sc.accountId, sc.region, name, qualifier);
      byFunction.get(functionKeyOf(sc, name))?.delete(qualifier);
    },
    removeFunction(sc: Scope, name: string): void {
      s.removeFunction.run(sc.accountId, sc.region, name);
      byFunction.delete(functionKeyOf(sc, name));
    },
  };
}
