/** ListObjectsV2 and ListObjects (v1). */
import type { Operation } from '../../../protocols/types.js';
import type { S3Deps } from '../deps.js';
import { invalidArgument } from '../errors.js';
import { listPage } from '../listing.js';
import type { ObjectRow } from '../store.js';
import { canonicalUserId, requireBucket } from './buckets.js';
import { bucketArn, bucketOf, type Input, num, operation, str } from './define.js';

const listBucket = { action: 's3:ListBucket', resources: (input: Input) => [bucketArn(bucketOf(input))] };

/** `encoding-type=url`: keys, prefixes and markers percent-encoded in the answer (S3 encodes a space as `+`). */
function encoderOf(input: Input): (s: string | undefined) => string | undefined {
  const type = str(input, 'EncodingType');
  if (type !== undefined && type !== 'url') {
    throw invalidArgument('Invalid Encoding Method specified in Request', 'encoding-type', type);
  }
  if (type !== 'url') return (s) => s;
  return (s) => (s === undefined ? s : encodeURIComponent(s).replace(/%20/g, '+').replace(/%2F/g, '/'));
}

function maxKeysOf(input: Input): number {
  const n = num(input, 'MaxKeys');
  if (n === undefined) return 1000;
  if (n < 0)
    throw invalidArgument(
      'Argument maxKeys must be an integer between 0 and 2147483647',
      'maxKeys',
      String(n),
    );
  return Math.min(n, 1000);
}

function contents(
  rows: ObjectRow[],
  encode: (s: string) => string | undefined,
  owner?: { ID: string; DisplayName: string },
) {
  return rows.map((r) => ({
    Key: encode(r.key),
    LastModified: new Date(r.lastModified),
    ETag: `"${r.etag}"`,
    Size: r.size,
    StorageClass: 'STANDARD',
    ...(owner ? { Owner: owner } : {}),
  }));
}

const token = {
  encode: (last: string) => Buffer.from(last, 'utf8').toString('base64url'),
  decode: (t: string): string | undefined => {
    const s = Buffer.from(t, 'base64url').toString('utf8');
    return s.length > 0 && Buffer.from(s, 'utf8').toString('base64url') === t ? s : undefined;
  },
};

export function listingOperations(deps: S3Deps): Operation[] {
  return [
    operation('ListObjectsV2', listBucket, (input, ctx) => {
      const bucket = bucketOf(input);
      requireBucket(deps, bucket, ctx);
      const encode = encoderOf(input);
      const prefix = str(input, 'Prefix') ?? '';
      const delimiter = str(input, 'Delimiter') || undefined;
      const maxKeys = maxKeysOf(input);
      const continuation = str(input, 'ContinuationToken');
      let after = str(input, 'StartAfter') || undefined;
      if (continuation !== undefined) {
        const last = token.decode(continuation);
        if (last === undefined) {
          throw invalidArgument(
            'The continuation token provided is incorrect',
            'continuation-token',
            continuation,
          );
        }
        after = last;
      }
      const page = listPage(deps.store, { bucket, prefix, delimiter, after, maxKeys });
      const owner =
        input.FetchOwner === true
          ? { ID: canonicalUserId(ctx.accountId), DisplayName: 'webfile' }
          : undefined;
      return {
        IsTruncated: page.truncated,
        Contents: page.objects.length ? contents(page.objects, encode, owner) : undefined,
        Name: bucket,
        Prefix: encode(prefix),
        Delimiter: encode(delimiter),
        MaxKeys: maxKeys,
        CommonPrefixes: page.commonPrefixes.length
          ? page.commonPrefixes.map((p) => ({ Prefix: encode(p) }))
          : undefined,
        EncodingType: str(input, 'EncodingType'),
        KeyCount: page.objects.length + page.commonPrefixes.length,
        ContinuationToken: continuation,
        NextContinuationToken:
          page.truncated && page.last !== undefined ? token.encode(page.last) : undefined,
        StartAfter: encode(str(input, 'StartAfter')),
      };
    }),
    operation('ListObjects', listBucket, (input, ctx) => {
      const bucket = bucketOf(input);
      requireBucket(deps, bucket, ctx);
      const encode = encoderOf(input);
      const prefix = str(input, 'Prefix') ?? '';
      const delimiter = str(input, 'Delimiter') || undefined;
      const maxKeys = maxKeysOf(input);
      const marker = str(input, 'Marker') ?? '';
      const page = listPage(deps.store, { bucket, prefix, delimiter, after: marker || undefined, maxKeys });
      const owner = { ID: canonicalUserId(ctx.accountId), DisplayName: 'webfile' };
      return {
        IsTruncated: page.truncated,
        Marker: encode(marker),
        // S3 sends NextMarker only with a delimiter; clients use the last key otherwise.
        NextMarker: page.truncated && delimiter ? encode(page.last) : undefined,
        Contents: page.objects.length ? contents(page.objects, encode, owner) : undefined,
        Name: bucket,
        Prefix: encode(prefix),
        Delimiter: encode(delimiter),
        MaxKeys: maxKeys,
        CommonPrefixes: page.commonPrefixes.length
          ? page.commonPrefixes.map((p) => ({ Prefix: encode(p) }))
          : undefined,
        EncodingType: str(input, 'EncodingType'),
      };
    }),
  ];
}
