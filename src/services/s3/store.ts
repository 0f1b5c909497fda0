/**
 * S3's storage: bucket and object metadata in SQLite, object bytes in files under
 * `<dataDir>/s3/objects/`. A write goes to a temp file in `<dataDir>/s3/tmp/`, is fsync'd and
 * renamed to a fresh name, and only then does the metadata row that names it commit: a crash
 * before the commit leaves no visible object, only a file no row names. On start the temp
 * directory is emptied and every object file no row names is removed, so nothing left by a
 * crash stays on disk. A replaced or deleted object's file is removed after its row is gone.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { type Db, migrate } from '../../storage/db.js';

const MIGRATIONS = [
  `CREATE TABLE s3_buckets (
     name TEXT PRIMARY KEY,
     account_id TEXT NOT NULL,
     region TEXT NOT NULL,
     created_at INTEGER NOT NULL
   );
   CREATE TABLE s3_objects (
     bucket TEXT NOT NULL REFERENCES s3_buckets(name),
     key TEXT NOT NULL,
     file TEXT NOT NULL,
     size INTEGER NOT NULL,
     etag TEXT NOT NULL,
     last_modified INTEGER NOT NULL,
     headers TEXT NOT NULL,
     metadata TEXT NOT NULL,
     PRIMARY KEY (bucket, key)
   ) WITHOUT ROWID;`,
];

export interface BucketRow {
  name: string;
  accountId: string;
  region: string;
  createdAt: number;
}

/** The system headers an object keeps (Content-Type, -Encoding, -Disposition, -Language, Cache-Control, Expires). */
export interface StoredHeaders {
  ContentType?: string;
  ContentEncoding?: string;
  ContentDisposition?: string;
  ContentLanguage?: string;
  CacheControl?: string;
  /** As the client sent it (S3 keeps the header's text). */
  Expires?: string;
}

export interface ObjectRow {
  bucket: string;
  key: string;
  file: string;
  size: number;
  /** MD5 hex, unquoted. */
  etag: string;
  lastModified: number;
  headers: StoredHeaders;
  metadata: Record<string, string>;
}

interface RawObjectRow {
  bucket: string;
  key: string;
  file: string;
  size: number;
  etag: string;
  last_modified: number;
  headers: string;
  metadata: string;
}

const toObject = (r: RawObjectRow): ObjectRow => ({
  bucket: r.bucket,
  key: r.key,
  file: r.file,
  size: r.size,
  etag: r.etag,
  lastModified: r.last_modified,
  headers: JSON.parse(r.headers) as StoredHeaders,
  metadata: JSON.parse(r.metadata) as Record<string, string>,
});

/** A body written to disk but not yet an object: commit it with `putObject`, or `discard` it. */
export interface StagedFile {
  file: string;
  discard(): Promise<void>;
}

export function createS3Store(db: Db, dataDir: string) {
  migrate(db, 's3', MIGRATIONS);
  const root = path.join(dataDir, 's3');
  const tmpDir = path.join(root, 'tmp');
  const objectsDir = path.join(root, 'objects');
  fs.mkdirSync(tmpDir, { recursive: true });
  fs.mkdirSync(objectsDir, { recursive: true });

  const st = {
    getBucket: db.prepare(
      'SELECT name, account_id AS accountId, region, created_at AS createdAt FROM s3_buckets WHERE name = ?',
    ),
    listBuckets: db.prepare(
      'SELECT name, account_id AS accountId, region, created_at AS createdAt FROM s3_buckets WHERE account_id = ? ORDER BY name',
    ),
    insertBucket: db.prepare(
      'INSERT INTO s3_buckets (name, account_id, region, created_at) VALUES (?, ?, ?, ?)',
    ),
    deleteBucket: db.prepare('DELETE FROM s3_buckets WHERE name = ?'),
    anyObject: db.prepare('SELECT 1 FROM s3_objects WHERE bucket = ? LIMIT 1').pluck(),
    getObject: db.prepare('SELECT * FROM s3_objects WHERE bucket = ? AND key = ?'),
    upsertObject: db.prepare(
      `INSERT INTO s3_objects (bucket, key, file, size, etag, last_modified, headers, metadata)
       VALUES (@bucket, @key, @file, @size, @etag, @lastModified, @headers, @metadata)
       ON CONFLICT (bucket, key) DO UPDATE SET file = excluded.file, size = excluded.size, etag = excluded.etag,
         last_modified = excluded.last_modified, headers = excluded.headers, metadata = excluded.metadata`,
    ),
    deleteObject: db.prepare('DELETE FROM s3_objects WHERE bucket = ? AND key = ?'),
    keysFrom: db.prepare('SELECT * FROM s3_objects WHERE bucket = ? AND key >= ? ORDER BY key LIMIT ?'),
    allFiles: db.prepare('SELECT file FROM s3_objects').pluck(),
  };

  const fileOf = (name: string): string => path.join(objectsDir, name.slice(0, 2), name);

  /** Removes what a crash left: temp files, and object files no row names. */
  function collectGarbage(): { removed: number } {
    let removed = 0;
    for (const name of fs.readdirSync(tmpDir)) {
      fs.rmSync(path.join(tmpDir, name), { force: true });
      removed++;
    }
    const named = new Set(st.allFiles.all() as string[]);
    for (const dir of fs.readdirSync(objectsDir)) {
      for (const name of fs.readdirSync(path.join(objectsDir, dir))) {
        if (named.has(name)) continue;
        fs.rmSync(path.join(objectsDir, dir, name), { force: true });
        removed++;
      }
    }
    return { removed };
  }
  collectGarbage();

  async function removeFile(name: string): Promise<void> {
    await fsp.rm(fileOf(name), { force: true });
  }

  /** Writes bytes to a temp file, fsyncs it and moves it under its final name (no row yet). */
  async function stage(source: AsyncIterable<Buffer>): Promise<StagedFile> {
    const name = randomUUID().replace(/-/g, '');
    const tmp = path.join(tmpDir, name);
    try {
      // `flush`: fsync before close, so a renamed file always holds its complete bytes.
      await pipeline(
        source,
        fs.createWriteStream(tmp, { flags: 'wx', flush: true, highWaterMark: 1024 * 1024 }),
      );
    } catch (err) {
      await fsp.rm(tmp, { force: true });
      throw err;
    }
    const target = fileOf(name);
    await fsp.mkdir(path.dirname(target), { recursive: true });
    await fsp.rename(tmp, target);
    return { file: name, discard: () => removeFile(name) };
  }

  return {
    collectGarbage,
    stage,
    pathOf: fileOf,
    getBucket: (name: string) => st.getBucket.get(name) as BucketRow | undefined,
    listBuckets: (accountId: string) => st.listBuckets.all(accountId) as BucketRow[],
    createBucket(row: BucketRow): void {
      st.insertBucket.run(row.name, row.accountId, row.region, row.createdAt);
    },
    /** False when the bucket holds objects. */
    deleteBucket(name: string): boolean {
      return db.transaction(() => {
        if (st.anyObject.get(name)) return false;
        st.deleteBucket.run(name);
        return true;
      })();
    },
    getObject(bucket: string, key: string): ObjectRow | undefined {
      const r = st.getObject.get(bucket, key) as RawObjectRow | undefined;
      return r ? toObject(r) : undefined;
    },
    /**
     * Commits a staged file as the object (replacing any), then removes the replaced file.
     * False (and the staged file removed) when the bucket is gone by now.
     */
    async putObject(row: ObjectRow): Promise<boolean> {
      const replaced = db.transaction(() => {
        if (!st.getBucket.get(row.bucket)) return null;
        const old = st.getObject.get(row.bucket, row.key) as RawObjectRow | undefined;
        st.upsertObject.run({
          ...row,
          headers: JSON.stringify(row.headers),
          metadata: JSON.stringify(row.metadata),
        });
        return old?.file ?? '';
      })();
      if (replaced === null) {
        await removeFile(row.file);
        return false;
      }
      if (replaced) await removeFile(replaced);
      return true;
    },
    /** Deletes the object if present (S3's DeleteObject of a missing key succeeds too). */
    async deleteObject(bucket: string, key: string): Promise<void> {
      const file = db.transaction(() => {
        const old = st.getObject.get(bucket, key) as RawObjectRow | undefined;
        if (old) st.deleteObject.run(bucket, key);
        return old?.file;
      })();
      if (file) await removeFile(file);
    },
    /** Objects with key >= `from`, in S3's order (UTF-8 bytes, SQLite's BINARY collation), `limit` at a time. */
    objectsFrom(bucket: string, from: string, limit: number): ObjectRow[] {
      return (st.keysFrom.all(bucket, from, limit) as RawObjectRow[]).map(toObject);
    },
  };
}

export type S3Store = ReturnType<typeof createS3Store>;
