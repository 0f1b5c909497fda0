/**
 * The records S3 delivers to Lambda, SQS and SNS (`{"Records":[...]}`), and the `s3:TestEvent`
 * it sends to queues and topics when a configuration is saved. Field names, order, fixed values
 * and which fields each event type carries are as recorded in
 * test_s3_notifications_{lambda,sqs,sns}: eventVersion 2.1, or 2.3 for tagging and ACL events;
 * `size`/`eTag` only where the object has them; no `sequencer` for tagging and ACL events;
 * `versionId` only for a versioned object; `glacierEventData` and an `AmazonCustomer:` identity
 * for a completed restore. The S3 service describes the event (`S3ObjectEvent`); this module
 * writes it as AWS does.
 */
import { encodeEventKey } from './key-encoding.js';

/** MD5 of nothing: the eTag S3 reports for a delete marker (recorded). */
export const EMPTY_ETAG = 'd41d8cd98f00b204e9800998ecf8427e';

/** One object event, as the S3 service knows it. */
export interface S3ObjectEvent {
  /** The full event type, e.g. `s3:ObjectCreated:Put`. */
  eventName: string;
  time: Date;
  /** The bucket's region (recorded: a bucket in another region than the client reports its own). */
  region: string;
  /** `aws` unless the deployment says otherwise. */
  partition?: string;
  bucket: {
    name: string;
    /** The bucket owner's canonical principal id (`ownerIdentity.principalId`). */
    ownerPrincipalId: string;
    /** The bucket owner's account (EventBridge's `account`). */
    ownerAccountId: string;
  };
  object: {
    /** The key as stored (not encoded). */
    key: string;
    size?: number;
    /** Without quotes. */
    eTag?: string;
    /** Absent, or `null`, for an object of an unversioned bucket or the null version: not written. */
    versionId?: string;
    sequencer?: string;
  };
  requester: {
    /** `userIdentity.principalId`, e.g. `AWS:AIDA...` for an IAM user, `AWS:AROA...:session` for a role. */
    principalId: string;
    /** EventBridge's `requester`: the requesting account, or a service principal. */
    accountId: string;
  };
  sourceIp: string;
  /** The request's `x-amz-request-id` and `x-amz-id-2`. */
  requestId: string;
  hostId: string;
  /** Restore events: the restored copy's expiry and the object's storage class. */
  restore?: { expiryTime?: Date; storageClass: string };
}

export interface S3EventRecord {
  eventVersion: '2.1' | '2.3';
  eventSource: 'aws:s3';
  awsRegion: string;
  eventTime: string;
  eventName: string;
  userIdentity: { principalId: string };
  requestParameters: { sourceIPAddress: string };
  responseElements: { 'x-amz-request-id': string; 'x-amz-id-2': string };
  s3: {
    s3SchemaVersion: '1.0';
    configurationId: string;
    bucket: { name: string; ownerIdentity: { principalId: string }; arn: string };
    object: { key: string; size?: number; eTag?: string; versionId?: string; sequencer?: string };
  };
  glacierEventData?: {
    restoreEventData: { lifecycleRestorationExpiryTime: string; lifecycleRestoreStorageClass: string };
  };
}

/** Which object fields an event type carries (recorded per family; others follow ObjectCreated). */
function objectShape(eventName: string): { size: boolean; eTag: boolean; sequencer: boolean } {
  if (eventName.startsWith('s3:ObjectTagging:') || eventName === 's3:ObjectAcl:Put') {
    return { size: false, eTag: true, sequencer: false };
  }
  if (eventName === 's3:ObjectRemoved:Delete' || eventName === 's3:LifecycleExpiration:Delete') {
    return { size: false, eTag: false, sequencer: true };
  }
  if (eventName.endsWith(':DeleteMarkerCreated')) return { size: false, eTag: true, sequencer: true };
  return { size: true, eTag: true, sequencer: true };
}

function eventVersion(eventName: string): '2.1' | '2.3' {
  return eventName.startsWith('s3:ObjectTagging:') || eventName.startsWith('s3:ObjectAcl:') ? '2.3' : '2.1';
}

export function isVersioned(versionId: string | undefined): versionId is string {
  return versionId !== undefined && versionId !== '' && versionId !== 'null';
}

/** One record for one matching configuration. */
export function buildEventRecord(event: S3ObjectEvent, configurationId: string): S3EventRecord {
  const partition = event.partition ?? 'aws';
  const shape = objectShape(event.eventName);
  const object: S3EventRecord['s3']['object'] = { key: encodeEventKey(event.object.key) };
  if (shape.size) object.size = event.object.size ?? 0;
  if (shape.eTag) {
    object.eTag = event.object.eTag ?? (event.eventName.endsWith(':DeleteMarkerCreated') ? EMPTY_ETAG : '');
  }
  if (isVersioned(event.object.versionId)) object.versionId = event.object.versionId;
  if (shape.sequencer && event.object.sequencer !== undefined) object.sequencer = event.object.sequencer;
  const completedRestore = event.eventName === 's3:ObjectRestore:Completed';
  const record: S3EventRecord = {
    eventVersion: eventVersion(event.eventName),
    eventSource: 'aws:s3',
    awsRegion: event.region,
    eventTime: event.time.toISOString(),
    eventName: event.eventName.replace(/^s3:/, ''),
    // A completed restore is S3's own doing, on behalf of the bucket owner (recorded).
    userIdentity: {
      principalId: completedRestore
        ? `AmazonCustomer:${event.bucket.ownerPrincipalId}`
        : event.requester.principalId,
    },
    requestParameters: { sourceIPAddress: event.sourceIp },
    responseElements: { 'x-amz-request-id': event.requestId, 'x-amz-id-2': event.hostId },
    s3: {
      s3SchemaVersion: '1.0',
      configurationId,
      bucket: {
        name: event.bucket.name,
        ownerIdentity: { principalId: event.bucket.ownerPrincipalId },
        arn: `arn:${partition}:s3:::${event.bucket.name}`,
      },
      object,
    },
  };
  if (completedRestore && event.restore) {
    record.glacierEventData = {
      restoreEventData: {
        lifecycleRestorationExpiryTime: (event.restore.expiryTime ?? event.time).toISOString(),
        lifecycleRestoreStorageClass: event.restore.storageClass,
      },
    };
  }
  return record;
}

/** The payload a function receives, or the body of the SQS message / SNS `Message`. */
export function buildEventNotification(
  event: S3ObjectEvent,
  configurationId: string,
): { Records: S3EventRecord[] } {
  return { Records: [buildEventRecord(event, configurationId)] };
}

/** The subject S3 gives its SNS messages (recorded). */
export const SNS_SUBJECT = 'Amazon S3 Notification';

export interface S3TestEvent {
  Service: 'Amazon S3';
  Event: 's3:TestEvent';
  Time: string;
  Bucket: string;
  RequestId: string;
  HostId: string;
}

/** What S3 sends a queue or topic when a configuration naming it is saved (AWS's documented shape). */
export function buildTestEvent(bucket: string, time: Date, requestId: string, hostId: string): S3TestEvent {
  return {
    Service: 'Amazon S3',
    Event: 's3:TestEvent',
    Time: time.toISOString(),
    Bucket: bucket,
    RequestId: requestId,
    HostId: hostId,
  };
}
