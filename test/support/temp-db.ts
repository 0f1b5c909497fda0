/** A real SQLite file in a temporary directory, for unit tests of stores and queues. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Db, openDatabase } from '../../src/storage/db.js';

export interface TempDb {
  db: Db;
  file: string;
  /** Closes the database (if open) and removes its directory. */
  done(): void;
}

export function tempDb(prefix = 'lambent-db-'): TempDb {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const file = path.join(dir, 'test.db');
  const t: TempDb = {
    db: openDatabase(file),
    file,
    done: () => {
      if (t.db.open) t.db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return t;
}
