/**
 * The event S3 puts on the bucket owner's default EventBridge bus when EventBridgeConfiguration
 * is on. Shapes as recorded (test_s3_notifications_eventbridge): version "0", source aws.s3,
 * resources [bucket ARN], detail with version "0", bucket name, object (etag lower-case,
 * `version-id`), request-id, requester, source-ip-address and per type reason/deletion-type or
 * restore fields. Detail-types and reasons not recorded follow AWS's EventBridge documentation.
 */
import { randomUUID } from 'node:crypto';
import { encodeEventKey } from './key-encoding.js';
import { isVersioned, type S3ObjectEvent } from './records.js';

export interface S3EventBridgeEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: 'aws.s3';
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
}

const CREATED_REASON: Readonly<Record<string, string>> = {
  's3:ObjectCreated:Put': 'PutObject',
  's3:ObjectCreated:Post': 'POST Object',
  's3:ObjectCreated:Copy': 'CopyObject',
  's3:ObjectCreated:CompleteMultipartUpload': 'CompleteMultipartUpload',
};

const DETAIL_TYPE: Readonly<Record<string, string>> = {
  's3:ObjectTagging:Put': 'Object Tags Added',
  's3:ObjectTagging:Delete': 'Object Tags Deleted',
  's3:ObjectAcl:Put': 'Object ACL Updated',
  's3:ObjectRestore:Post': 'Object Restore Initiated',
  's3:ObjectRestore:Completed': 'Object Restore Completed',
  's3:ObjectRestore:Delete': 'Object Restore Expired',
  's3:LifecycleTransition': 'Object Storage Class Changed',
  's3:IntelligentTiering': 'Object Access Tier Changed',
};

/** EventBridge's `time` has whole seconds. */
function eventBridgeTime(time: Date): string {
  return time.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * The EventBridge event for one S3 event, or undefined for types S3 does not send to EventBridge
 * (replication and reduced-redundancy events).
 */
export function buildEventBridgeEvent(
  event: S3ObjectEvent,
  id: string = randomUUID(),
): S3EventBridgeEvent | undefined {
  const name = event.eventName;
  const o = event.object;
  const key = encodeEventKey(o.key);
  const versionId = isVersioned(o.versionId) ? { 'version-id': o.versionId } : {};
  const sequencer = o.sequencer !== undefined ? { sequencer: o.sequencer } : {};
  const requestFields = {
    'request-id': event.requestId,
    requester: event.requester.accountId,
    'source-ip-address': event.sourceIp,
  };
  let detailType: string;
  let detail: Record<string, unknown>;
  const bucket = { name: event.bucket.name };
  if (name.startsWith('s3:ObjectCreated:')) {
    detailType = 'Object Created';
    detail = {
      version: '0',
      bucket,
      object: { key, size: o.size ?? 0, etag: o.eTag ?? '', ...versionId, ...sequencer },
      ...requestFields,
      reason: CREATED_REASON[name] ?? 'PutObject',
    };
  } else if (name.startsWith('s3:ObjectRemoved:') || name.startsWith('s3:LifecycleExpiration:')) {
    detailType = 'Object Deleted';
    detail = {
      version: '0',
      bucket,
      object: { key, ...versionId, ...sequencer },
      ...requestFields,
      reason: name.startsWith('s3:LifecycleExpiration:') ? 'Lifecycle Expiration' : 'DeleteObject',
      'deletion-type': name.endsWith(':DeleteMarkerCreated')
        ? 'Delete Marker Created'
        : 'Permanently Deleted',
    };
  } else if (name.startsWith('s3:ObjectRestore:')) {
    detailType = DETAIL_TYPE[name] ?? 'Object Restore Initiated';
    const completed = name === 's3:ObjectRestore:Completed';
    detail = {
      version: '0',
      bucket,
      object: { key, size: o.size ?? 0, etag: o.eTag ?? '', ...versionId },
      'request-id': event.requestId,
      requester: event.requester.accountId,
      // The completion is S3's own work: no client address (recorded).
      ...(completed ? {} : { 'source-ip-address': event.sourceIp }),
      ...(completed
        ? { 'restore-expiry-time': (event.restore?.expiryTime ?? event.time).toISOString() }
        : {}),
      'source-storage-class': event.restore?.storageClass ?? 'GLACIER',
    };
  } else if (DETAIL_TYPE[name]) {
    detailType = DETAIL_TYPE[name];
    detail = { version: '0', bucket, object: { key, etag: o.eTag ?? '', ...versionId }, ...requestFields };
  } else {
    return undefined;
  }
  return {
    version: '0',
    id,
    'detail-type': detailType,
    source: 'aws.s3',
    account: event.bucket.ownerAccountId,
    time: eventBridgeTime(event.time),
    region: event.region,
    resources: [`arn:${event.partition ?? 'aws'}:s3:::${event.bucket.name}`],
    detail,
  };
}
