/**
 * Content-addressed blob directory (code zips, layer zips, later S3 objects). A blob is
 * written to a temp file, fsynced, then renamed to its sha256 name, so a name that exists
 * always holds complete content, and a crash leaves at most an orphaned temp file.
 */
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';

export interface BlobStore {
  /** Stores bytes and returns their lowercase hex sha256 (the blob's key). */
  put(data: Buffer): Promise<string>;
  get(key: string): Promise<Buffer>;
  pathOf(key: string): string;
  has(key: string): boolean;
  delete(key: string): Promise<void>;
}

const KEY = /^[0-9a-f]{64}$/;

export function createBlobStore(dir: string): BlobStore {
  const tmpDir = path.join(dir, 'tmp');
  fs.mkdirSync(tmpDir, { recursive: true });
  // Leftovers of writes interrupted by a crash.
  for (const name of fs.readdirSync(tmpDir)) fs.rmSync(path.join(tmpDir, name), { force: true });

  const pathOf = (key: string): string => {
    if (!KEY.test(key)) throw new Error(`invalid blob key ${key}`);
    return path.join(dir, key.slice(0, 2), key);
  };

  return {
    pathOf,
    has: (key) => fs.existsSync(pathOf(key)),
    async put(data) {
      const key = createHash('sha256').update(data).digest('hex');
      const target = pathOf(key);
      if (fs.existsSync(target)) return key;
      const tmp = path.join(tmpDir, randomUUID());
      const handle = await fsp.open(tmp, 'wx');
      try {
        await handle.writeFile(data);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await fsp.mkdir(path.dirname(target), { recursive: true });
      await fsp.rename(tmp, target);
      return key;
    },
    get: (key) => fsp.readFile(pathOf(key)),
    delete: (key) => fsp.rm(pathOf(key), { force: true }),
  };
}
