/** EventBridge events replayed against test_s3_notifications_eventbridge. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Bindings, keyOrder, recorded, shapeDifferences } from '../../../../test/support/recorded-shape.js';
import { buildEventBridgeEvent } from './eventbridge.js';
import type { S3ObjectEvent } from './records.js';
import { createSequencer } from './sequencer.js';

const sequence = createSequencer();
let ids = 0;

function event(
  eventName: string,
  object: { key?: string; size?: number; eTag?: string; versionId?: string; sequencer?: boolean } = {},
  region = 'us-east-1',
): S3ObjectEvent {
  const time = new Date('2025-01-21T23:20:27.123Z');
  return {
    eventName,
    time,
    region,
    bucket: { name: 'bucket-a', ownerPrincipalId: 'A3NL1KOZZKEXAMPLE', ownerAccountId: '111111111111' },
    object: {
      key: object.key ?? 'key-1',
      ...(object.size !== undefined ? { size: object.size } : {}),
      ...(object.eTag !== undefined ? { eTag: object.eTag } : {}),
      ...(object.versionId !== undefined ? { versionId: object.versionId } : {}),
      ...(object.sequencer === false ? {} : { sequencer: sequence(time) }),
    },
    requester: { principalId: 'AWS:AIDAJDPLRKLG7UEXAMPLE', accountId: '111111111111' },
    sourceIp: '203.0.113.7',
    requestId: 'C3D13FE58DE4C810',
    hostId: 'host',
  };
}

function build(e: S3ObjectEvent): unknown {
  return buildEventBridgeEvent(e, `00000000-0000-4000-8000-${String(++ids).padStart(12, '0')}`);
}

function content(test: string): Record<string, unknown> {
  return recorded('test_s3_notifications_eventbridge', `TestS3NotificationsToEventBridge::${test}`);
}

function assertMatches(actual: unknown, expected: unknown, b = new Bindings()): void {
  assert.deepEqual(shapeDifferences(actual, expected, b), []);
}

const FOUR = '8d777f385d3dfec8815d20f7496026dc';
const SOMETHING = '437b930db84b8079c2dd804a71936b5f';

describe('EventBridge events (test_s3_notifications_eventbridge)', () => {
  test('test_object_created_put: Object Created (PutObject) and Object Deleted (Permanently Deleted)', () => {
    const c = content('test_object_created_put');
    const b = new Bindings();
    assertMatches(build(event('s3:ObjectRemoved:Delete')), c.object_deleted, b);
    assertMatches(build(event('s3:ObjectCreated:Put', { size: 4, eTag: FOUR })), c.object_created, b);
  });

  test('test_object_put_acl: three Object ACL Updated, then the Object Created', () => {
    const messages = (content('test_object_put_acl').messages as { messages: unknown[] }).messages;
    const b = new Bindings();
    for (let i = 0; i < 3; i++)
      assertMatches(build(event('s3:ObjectAcl:Put', { size: 9, eTag: SOMETHING })), messages[i], b);
    assertMatches(build(event('s3:ObjectCreated:Put', { size: 9, eTag: SOMETHING })), messages[3], b);
  });

  test('test_restore_object: Restore Initiated, Restore Completed without a client address', () => {
    const messages = (content('test_restore_object').messages as { messages: unknown[] }).messages;
    const b = new Bindings();
    const post = event('s3:ObjectRestore:Post', { size: 9, eTag: SOMETHING });
    post.restore = { storageClass: 'GLACIER' };
    assertMatches(build(post), messages[0], b);
    const done = event('s3:ObjectRestore:Completed', { size: 9, eTag: SOMETHING });
    done.restore = { storageClass: 'GLACIER', expiryTime: new Date('2025-01-23T00:00:00Z') };
    assertMatches(build(done), messages[1], b);
  });

  test('test_object_created_put_in_different_region: region is the bucket’s', () => {
    const messages = (
      content('test_object_created_put_in_different_region')['object-created-different-regions'] as {
        messages: unknown[];
      }
    ).messages;
    const b = new Bindings();
    for (const m of messages)
      assertMatches(build(event('s3:ObjectCreated:Put', { size: 4, eTag: FOUR }, 'eu-west-1')), m, b);
  });

  test('test_object_created_put_versioned: AWS’s field order, version-id on a versioned delete', () => {
    const c = content('test_object_created_put_versioned');
    const b = new Bindings();
    const [created, deleted] = c['message-versioning-active'] as unknown[];
    const createdEvent = build(
      event('s3:ObjectCreated:Put', {
        size: 13,
        eTag: '2fb1d4988881168bbcd6432d7593be5a',
        versionId: 'null',
      }),
    );
    const deletedEvent = build(
      event('s3:ObjectRemoved:Delete', { versionId: 'Wq7cZcQwMlaW5eWdRD5FDn4ZhRrt6ECg' }),
    );
    assertMatches(createdEvent, created, b);
    assertMatches(deletedEvent, deleted, b);
    // This recording kept AWS's field order.
    assert.deepEqual(keyOrder(createdEvent), keyOrder(created));
    assert.deepEqual(keyOrder(deletedEvent), keyOrder(deleted));
  });

  test('types not recorded follow AWS’s documentation; replication events do not go to EventBridge', () => {
    const marker = build(event('s3:ObjectRemoved:DeleteMarkerCreated', { versionId: 'v1' })) as {
      detail: Record<string, unknown>;
    };
    assert.equal(marker.detail['deletion-type'], 'Delete Marker Created');
    const tags = build(event('s3:ObjectTagging:Put', { eTag: 'e', versionId: 'v1' })) as {
      'detail-type': string;
      detail: { object: unknown };
    };
    assert.equal(tags['detail-type'], 'Object Tags Added');
    assert.deepEqual(tags.detail.object, { key: 'key-1', etag: 'e', 'version-id': 'v1' });
    assert.equal(build(event('s3:Replication:OperationFailedReplication')), undefined);
    const time = (build(event('s3:ObjectCreated:Put')) as { time: string }).time;
    assert.equal(time, '2025-01-21T23:20:27Z');
  });
});
