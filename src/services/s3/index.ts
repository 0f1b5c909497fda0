/**
 * Amazon S3 (API version 2006-03-01, rest-xml, signing name `s3`).
 *
 * Implements: CreateBucket (LocationConstraint checked as AWS checks it per region,
 * BucketAlreadyOwnedByYou, BucketAlreadyExists for another account's name, InvalidBucketName),
 * HeadBucket, DeleteBucket (BucketNotEmpty), ListBuckets, GetBucketLocation; PutObject (body
 * streamed to disk: temp file, fsync, rename, then the metadata row; plain and aws-chunked
 * bodies, Content-MD5, x-amz-content-sha256, Content-Length and the flexible checksums held to
 * the body as it streams: object-body.ts), GetObject (streamed from disk;
 * Range → 206/416; If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since → 304/412;
 * response-* overrides), HeadObject, DeleteObject, DeleteObjects, CopyObject (metadata directive
 * COPY/REPLACE, copy onto itself refused), ListObjectsV2 and ListObjects (prefix, delimiter,
 * CommonPrefixes, continuation tokens, StartAfter/Marker, MaxKeys, encoding-type=url); user
 * metadata (x-amz-meta-*) and Content-Type/-Encoding/-Disposition/-Language, Cache-Control,
 * Expires; ETag = quoted MD5 hex. Path-style and virtual-hosted-style addressing
 * (addressing.ts); presigned URLs through the gateway's SigV4. Each operation declares its IAM
 * action and bucket/object ARNs.
 *
 * Not yet (docs/parity/s3.md): stored checksums (GetObject's ChecksumMode), multipart uploads, versioning, tagging,
 * ACLs (accepted and ignored), bucket policies, CORS, lifecycle, notifications, object lock,
 * SSE-C/KMS, GetObjectAttributes, conditional writes (If-None-Match on PUT), copy-source
 * conditions, presigned POST, anonymous (unsigned) requests to public buckets.
 */
import { createHash } from 'node:crypto';
import { createRestXmlCodec } from '../../protocols/rest-xml/index.js';
import type { Operation, ProtocolCodec, RouteMatch } from '../../protocols/types.js';
import type { Db } from '../../storage/db.js';
import type { Service } from '../service.js';
import { addressOf, bucketOfHost } from './addressing.js';
import { inS3Words } from './auth-errors.js';
import type { S3Deps } from './deps.js';
import {
  accessDenied,
  entityTooLarge,
  invalidArgument,
  malformedXml,
  notImplemented,
  slowDown,
} from './errors.js';
import { createObjectReader } from './object-reader.js';
import { bucketOperations } from './operations/buckets.js';
import { listingOperations } from './operations/listing.js';
import { MAX_PUT_BYTES, objectOperations } from './operations/objects.js';
import { createS3Store } from './store.js';

export const S3_XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';

/**
 * Query parameters that name a sub-resource S3 serves with another operation (tagging, ACLs,
 * versions, multipart, ...): a request carrying one is not the plain operation, and Lambent
 * does not implement it yet.
 */
const SUBRESOURCES = new Set([
  'acl',
  'accelerate',
  'analytics',
  'attributes',
  'cors',
  'encryption',
  'intelligent-tiering',
  'inventory',
  'legal-hold',
  'lifecycle',
  'logging',
  'metrics',
  'notification',
  'object-lock',
  'ownershipControls',
  'partNumber',
  'policy',
  'policyStatus',
  'publicAccessBlock',
  'replication',
  'requestPayment',
  'restore',
  'retention',
  'select',
  'tagging',
  'torrent',
  'uploadId',
  'uploads',
  'versioning',
  'versions',
  'website',
  'session',
  'metadataTable',
  'renameObject',
]);

export interface S3Service extends Service {
  /** Objects as the platform reads them (Lambda's code packages from S3). */
  readonly objects: ReturnType<typeof createObjectReader>;
}

export function createS3Service(deps: { db: Db; dataDir: string; clock?: () => number }): S3Service {
  const store = createS3Store(deps.db, deps.dataDir);
  const opsDeps: S3Deps = { store, clock: deps.clock ?? Date.now };
  const ops = new Map<string, Operation>(
    [...bucketOperations(opsDeps), ...objectOperations(opsDeps), ...listingOperations(opsDeps)].map((op) => [
      op.name,
      op,
    ]),
  );
  const xmlCodec = createRestXmlCodec({
    xmlns: S3_XMLNS,
    outputRoots: {
      ListBuckets: 'ListAllMyBucketsResult',
      ListObjectsV2: 'ListBucketResult',
      ListObjects: 'ListBucketResult',
      DeleteObjects: 'DeleteResult',
      GetBucketLocation: 'LocationConstraint',
    },
    malformedXml,
    invalidValue: (name, value) => invalidArgument(`Invalid value for ${name}`, name, value),
    hostId: (requestId) => createHash('sha256').update(requestId).digest('base64'),
  });
  const codec: ProtocolCodec = {
    ...xmlCodec,
    encodeError: (error, requestId) => xmlCodec.encodeError(inS3Words(error), requestId),
  };

  function pick(name: string, labels: Record<string, string>): RouteMatch | undefined {
    const op = ops.get(name);
    return op ? { op, labels } : undefined;
  }

  const service: S3Service = {
    objects: createObjectReader(store),
    name: 's3',
    signingName: 's3',
    codec,
    route({ method, rawPath, query, headers }) {
      const { bucket, rawKey } = addressOf(headers.host, rawPath);
      if ([...query.keys()].some((k) => SUBRESOURCES.has(k))) return undefined;
      if (bucket === undefined) return method === 'GET' ? pick('ListBuckets', {}) : undefined;
      if (rawKey === undefined) {
        const labels = { Bucket: bucket };
        switch (method) {
          case 'PUT':
            return pick('CreateBucket', labels);
          case 'HEAD':
            return pick('HeadBucket', labels);
          case 'DELETE':
            return pick('DeleteBucket', labels);
          case 'POST':
            return query.has('delete') ? pick('DeleteObjects', labels) : undefined;
          case 'GET':
            if (query.has('location')) return pick('GetBucketLocation', labels);
            return pick(query.get('list-type') === '2' ? 'ListObjectsV2' : 'ListObjects', labels);
          default:
            return undefined;
        }
      }
      const labels = { Bucket: bucket, Key: rawKey };
      switch (method) {
        case 'PUT':
          return pick(headers['x-amz-copy-source'] !== undefined ? 'CopyObject' : 'PutObject', labels);
        case 'GET':
          return pick('GetObject', labels);
        case 'HEAD':
          return pick('HeadObject', labels);
        case 'DELETE':
          return pick('DeleteObject', labels);
        default:
          return undefined;
      }
    },
    pathPrefixes: [],
    claimsHost: (host) => bucketOfHost(host) !== undefined,
    requestTooLarge: (_op, limit) => entityTooLarge(undefined, limit > 0 ? limit : MAX_PUT_BYTES),
    throttled: () => slowDown(),
    unknownOperation: (method, rawPath) =>
      notImplemented(`Lambent does not implement ${method} ${rawPath} of S3 (with these parameters) yet`),
    accessDenied: (message) => accessDenied(message),
    health: () => ({ status: 'ok', operations: ops.size }),
    async close() {},
  };
  return service;
}
