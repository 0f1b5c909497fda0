/**
 * Reserved concurrency per function, in its own table. Read once at start into the invoke
 * layer's accounting (which the invoke path consults without touching the database) and
 * written by Put/DeleteFunctionConcurrency and DeleteFunction.
 */
import type { Db } from '../../storage/db.js';
import { migrate } from '../../storage/db.js';
import type { Scope } from './store.js';

const MIGRATIONS = [
  `CREATE TABLE lambda_function_concurrency (
     account_id TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL,
     reserved INTEGER NOT NULL,
     PRIMARY KEY (account_id, region, name)
   );`,
];

export interface Reservation extends Scope {
  name: string;
  reserved: number;
}

export type ConcurrencyStore = ReturnType<typeof createConcurrencyStore>;

export function createConcurrencyStore(db: Db) {
  migrate(db, 'lambda-concurrency', MIGRATIONS);
  const s = {
    all: db.prepare('SELECT account_id, region, name, reserved FROM lambda_function_concurrency'),
    put: db.prepare(
      `INSERT INTO lambda_function_concurrency (account_id, region, name, reserved) VALUES (?, ?, ?, ?)
       ON CONFLICT (account_id, region, name) DO UPDATE SET reserved = excluded.reserved`,
    ),
    remove: db.prepare(
      'DELETE FROM lambda_function_concurrency WHERE account_id = ? AND region = ? AND name = ?',
    ),
  };
  return {
    all(): Reservation[] {
      const rows = s.all.all() as Array<{
        account_id: string;
        region: string;
        name: string;
        reserved: number;
      }>;
      return rows.map((r) => ({
        accountId: r.account_id,
        region: r.region,
        name: r.name,
        reserved: r.reserved,
      }));
    },
    put(scope: Scope, name: string, reserved: number): void {
      s.put.run(scope.accountId, scope.region, name, reserved);
    },
    remove(scope: Scope, name: string): void {
      s.remove.run(scope.accountId, scope.region, name);
    },
  };
}
