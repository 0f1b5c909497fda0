/**
 * One page of a bucket listing, as ListObjects and ListObjectsV2 share it: keys after a marker
 * that begin with a prefix, keys sharing a part up to the delimiter rolled up into one common
 * prefix (each counting once against MaxKeys), in S3's order (UTF-8 byte order).
 */
import type { ObjectRow, S3Store } from './store.js';

export interface ListPage {
  objects: ObjectRow[];
  commonPrefixes: string[];
  truncated: boolean;
  /** The last key or common prefix on the page: where the next page starts after. */
  last: string | undefined;
}

export interface ListQuery {
  bucket: string;
  prefix: string;
  delimiter: string | undefined;
  /** Start strictly after this key (and after everything under it, when it is a common prefix). */
  after: string | undefined;
  maxKeys: number;
}

const BATCH = 1000;

export function listPage(store: S3Store, q: ListQuery): ListPage {
  const objects: ObjectRow[] = [];
  const commonPrefixes: string[] = [];
  let last: string | undefined;
  let from = q.after !== undefined && q.after > q.prefix ? q.after : q.prefix;
  const skipUnder = q.delimiter && q.after?.endsWith(q.delimiter) ? q.after : undefined;
  if (q.maxKeys <= 0) return { objects, commonPrefixes, truncated: false, last };
  for (;;) {
    const rows = store.objectsFrom(q.bucket, from, BATCH);
    for (const row of rows) {
      const key = row.key;
      if (!key.startsWith(q.prefix)) return { objects, commonPrefixes, truncated: false, last };
      if (q.after !== undefined && key <= q.after) continue;
      if (skipUnder !== undefined && key.startsWith(skipUnder)) continue;
      let entry: string = key;
      let isPrefix = false;
      if (q.delimiter) {
        const at = key.indexOf(q.delimiter, q.prefix.length);
        if (at !== -1) {
          entry = key.slice(0, at + q.delimiter.length);
          isPrefix = true;
          if (entry === commonPrefixes[commonPrefixes.length - 1]) continue;
        }
      }
      if (objects.length + commonPrefixes.length >= q.maxKeys) {
        return { objects, commonPrefixes, truncated: true, last };
      }
      if (isPrefix) commonPrefixes.push(entry);
      else objects.push(row);
      last = entry;
    }
    const end = rows[rows.length - 1];
    if (rows.length < BATCH || !end) return { objects, commonPrefixes, truncated: false, last };
    // The next batch starts just after this one's last key.
    from = `${end.key}\u0000`;
  }
}
