/**
 * The embedded metadata store: one SQLite file in WAL mode. A statement that returned has
 * been written to the WAL, which the OS keeps across a kill -9 of this process; fsync of
 * every commit (synchronous=FULL) is only needed against power loss and costs ~ms, so we
 * use NORMAL, which SQLite documents as durable across application crashes in WAL mode.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

export type Db = Database.Database;

export function openDatabase(file: string): Db {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    component TEXT NOT NULL,
    version INTEGER NOT NULL,
    PRIMARY KEY (component, version)
  )`);
  return db;
}

/**
 * Applies a component's migrations in order, each once, each in its own transaction.
 * Components (services) own their tables; steps are append-only: never edit a shipped one.
 */
export function migrate(db: Db, component: string, steps: readonly string[]): void {
  const applied = new Set(
    db
      .prepare('SELECT version FROM schema_migrations WHERE component = ?')
      .pluck()
      .all(component) as number[],
  );
  const record = db.prepare('INSERT INTO schema_migrations (component, version) VALUES (?, ?)');
  steps.forEach((sql, index) => {
    const version = index + 1;
    if (applied.has(version)) return;
    db.transaction(() => {
      db.exec(sql);
      record.run(component, version);
    })();
  });
}
