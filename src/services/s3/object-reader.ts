/**
 * Reading an object from inside the platform (Lambda's code packages from S3): by the owning
 * account only, as another account's bucket is NoSuchBucket to it; bounded, since the bytes are
 * held in memory.
 */
import fsp from 'node:fs/promises';
import type { S3Store } from './store.js';

export type ObjectReadError = 'NoSuchBucket' | 'NoSuchKey' | 'EntityTooLarge';

export function createObjectReader(store: S3Store) {
  return {
    async read(
      accountId: string,
      bucket: string,
      key: string,
      maxBytes: number,
    ): Promise<{ bytes: Buffer } | { error: ObjectReadError }> {
      // A replaced object's file goes once its row is gone: read the row again then.
      for (let tries = 0; tries < 3; tries++) {
        const b = store.getBucket(bucket);
        if (!b || b.accountId !== accountId) return { error: 'NoSuchBucket' };
        const row = store.getObject(bucket, key);
        if (!row) return { error: 'NoSuchKey' };
        if (row.size > maxBytes) return { error: 'EntityTooLarge' };
        try {
          return { bytes: await fsp.readFile(store.pathOf(row.file)) };
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        }
      }
      return { error: 'NoSuchKey' };
    },
  };
}
