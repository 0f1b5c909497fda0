/**
 * S3's notification event types, as PutBucketNotificationConfiguration accepts them and as
 * records name them (AWS's "Supported event types" list). Wildcards (`s3:ObjectCreated:*`) name a
 * family; `matchesEventType` is the one place that decides whether a configured type covers an
 * event, so configuration overlap checks and delivery agree.
 */

/** Every concrete event type S3 emits, grouped by family (the part before the last `:`). */
const FAMILIES: Readonly<Record<string, readonly string[]>> = {
  's3:ObjectCreated': ['Put', 'Post', 'Copy', 'CompleteMultipartUpload'],
  's3:ObjectRemoved': ['Delete', 'DeleteMarkerCreated'],
  's3:ObjectRestore': ['Post', 'Completed', 'Delete'],
  's3:Replication': [
    'OperationFailedReplication',
    'OperationMissedThreshold',
    'OperationReplicatedAfterThreshold',
    'OperationNotTracked',
  ],
  's3:LifecycleExpiration': ['Delete', 'DeleteMarkerCreated'],
  's3:ObjectTagging': ['Put', 'Delete'],
};

/** Event types without a family wildcard: they are configured by their whole name only. */
const SINGLES = [
  's3:ReducedRedundancyLostObject',
  's3:LifecycleTransition',
  's3:IntelligentTiering',
  's3:ObjectAcl:Put',
];

/** The concrete event types, e.g. `s3:ObjectCreated:Put`. */
export const CONCRETE_EVENT_TYPES: readonly string[] = [
  ...Object.entries(FAMILIES).flatMap(([family, leaves]) => leaves.map((leaf) => `${family}:${leaf}`)),
  ...SINGLES,
];

const CONFIGURABLE = new Set<string>([
  ...CONCRETE_EVENT_TYPES,
  ...Object.keys(FAMILIES).map((f) => `${f}:*`),
]);

/** Whether a configuration may name this event type (case-sensitive, as S3 compares them). */
export function isSupportedEventType(name: string): boolean {
  return CONFIGURABLE.has(name);
}

/** Whether a configured type (`s3:ObjectCreated:*` or a concrete one) covers a concrete event type. */
export function matchesEventType(configured: string, event: string): boolean {
  if (configured === event) return true;
  if (!configured.endsWith(':*')) return false;
  const family = configured.slice(0, -2);
  return event.startsWith(`${family}:`) && event.lastIndexOf(':') === family.length;
}

/** The concrete event types a configured list covers (wildcards expanded). */
export function expandEventTypes(configured: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const c of configured) {
    for (const e of CONCRETE_EVENT_TYPES) if (matchesEventType(c, e)) out.add(e);
  }
  return out;
}
