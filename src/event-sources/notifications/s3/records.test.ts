/**
 * Records replayed against the recordings of test_s3_notifications_{sqs,sns,lambda}: each
 * recorded message is rebuilt from the facts the recorded test produced (key, size, eTag, event,
 * version) and must match field for field, with the recording's placeholders bound consistently
 * (the bucket owner and the requester are two principals, one bucket is one name, ...).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Bindings, keyOrder, recorded, shapeDifferences } from '../../../../test/support/recorded-shape.js';
import {
  buildEventNotification,
  buildEventRecord,
  buildTestEvent,
  EMPTY_ETAG,
  type S3ObjectEvent,
} from './records.js';
import { createSequencer } from './sequencer.js';

const sequence = createSequencer();

interface Facts {
  eventName: string;
  key: string;
  size?: number;
  eTag?: string;
  versionId?: string;
  bucket?: string;
  region?: string;
}

function event(f: Facts): S3ObjectEvent {
  const time = new Date('2025-01-21T23:20:27.123Z');
  return {
    eventName: f.eventName,
    time,
    region: f.region ?? 'us-east-1',
    bucket: {
      name: f.bucket ?? 'bucket-a',
      ownerPrincipalId: 'A3NL1KOZZKEXAMPLE',
      ownerAccountId: '111111111111',
    },
    object: {
      key: f.key,
      ...(f.size !== undefined ? { size: f.size } : {}),
      ...(f.eTag !== undefined ? { eTag: f.eTag } : {}),
      ...(f.versionId !== undefined ? { versionId: f.versionId } : {}),
      sequencer: sequence(time),
    },
    requester: { principalId: 'AWS:AIDAJDPLRKLG7UEXAMPLE', accountId: '111111111111' },
    sourceIp: '203.0.113.7',
    requestId: 'C3D13FE58DE4C810',
    hostId: 'FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD',
  };
}

function assertMatches(actual: unknown, expected: unknown, bindings = new Bindings()): void {
  assert.deepEqual(shapeDifferences(actual, expected, bindings), []);
}

const SOMETHING = '437b930db84b8079c2dd804a71936b5f';

function sqsMessages(test: string, name = 'receive_messages'): unknown[] {
  const content = recorded('test_s3_notifications_sqs', `TestS3NotificationsToSQS::${test}`);
  return (content[name] as { messages: unknown[] }).messages;
}

describe('records as SQS receives them (test_s3_notifications_sqs)', () => {
  const cases: [string, Facts[]][] = [
    [
      'test_object_created_put',
      [
        { eventName: 's3:ObjectCreated:Put', key: 'my_key_0', size: 9, eTag: SOMETHING },
        {
          eventName: 's3:ObjectCreated:Put',
          key: 'my_key_1',
          size: 14,
          eTag: '6c7ba9c5a141421e1c03cb9807c97c74',
        },
      ],
    ],
    [
      'test_object_created_copy',
      [{ eventName: 's3:ObjectCreated:Copy', key: 'key-dest-1', size: 9, eTag: SOMETHING }],
    ],
    [
      'test_object_created_and_object_removed',
      [
        { eventName: 's3:ObjectCreated:Copy', key: 'key-dest-1', size: 9, eTag: SOMETHING },
        { eventName: 's3:ObjectCreated:Put', key: 'src-dest-1', size: 9, eTag: SOMETHING },
        { eventName: 's3:ObjectRemoved:Delete', key: 'src-dest-1' },
      ],
    ],
    [
      'test_object_created_complete_multipart_upload',
      [
        {
          eventName: 's3:ObjectCreated:CompleteMultipartUpload',
          key: 'test-key',
          size: 6144,
          eTag: '8eabe9d6b43316e840b079170916c079-1',
        },
      ],
    ],
    ['test_key_encoding', [{ eventName: 's3:ObjectCreated:Put', key: 'a@b', size: 9, eTag: SOMETHING }]],
    [
      'test_object_tagging_put_event',
      [
        {
          eventName: 's3:ObjectTagging:Put',
          key: 'key-dest-1',
          size: 11,
          eTag: 'f3e6da48d914f3f04f6bd9cb092c044d',
        },
      ],
    ],
    [
      'test_object_tagging_delete_event',
      [
        {
          eventName: 's3:ObjectTagging:Delete',
          key: 'key-dest-1',
          size: 11,
          eTag: 'f3e6da48d914f3f04f6bd9cb092c044d',
        },
      ],
    ],
    [
      'test_delete_objects',
      [
        { eventName: 's3:ObjectRemoved:Delete', key: 'dummy1' },
        { eventName: 's3:ObjectRemoved:Delete', key: 'dummy2' },
        { eventName: 's3:ObjectRemoved:Delete', key: 'key-1' },
      ],
    ],
    [
      'test_object_put_acl',
      [1, 2, 3].map(() => ({ eventName: 's3:ObjectAcl:Put', key: 'my_key_acl', size: 9, eTag: SOMETHING })),
    ],
  ];
  for (const [name, facts] of cases) {
    test(name, () => {
      const b = new Bindings();
      const expected = sqsMessages(name);
      assert.equal(expected.length, facts.length);
      facts.forEach((f, i) => {
        assertMatches(buildEventRecord(event(f), 'config-1'), expected[i], b);
      });
    });
  }

  test('key encoding: the recorded @ and /, spaces as +, UTF-8 and reserved characters percent-encoded', () => {
    const key = (k: string) =>
      buildEventRecord(event({ eventName: 's3:ObjectCreated:Put', key: k }), 'c').s3.object.key;
    assert.equal(key('a@b'), 'a%40b');
    assert.equal(key('testupload/dir1/testfile.txt'), 'testupload/dir1/testfile.txt');
    assert.equal(key('red flower.jpg'), 'red+flower.jpg');
    assert.equal(key('a+b=c&d%e'), 'a%2Bb%3Dc%26d%25e');
    assert.equal(key('café/ü'), 'caf%C3%A9/%C3%BC');
    assert.equal(key('we*ird_-.'), 'we*ird_-.');
  });

  test('test_object_created_put_with_presigned_url_upload: awsRegion is the bucket’s, per bucket', () => {
    const b = new Bindings();
    const first = event({
      eventName: 's3:ObjectCreated:Put',
      key: 'key-by-hostname',
      size: 9,
      eTag: SOMETHING,
    });
    assertMatches(
      buildEventRecord(first, 'config-1'),
      sqsMessages('test_object_created_put_with_presigned_url_upload')[0],
      b,
    );
    const second = event({
      eventName: 's3:ObjectCreated:Put',
      key: 'key-by-hostname',
      size: 9,
      eTag: SOMETHING,
      bucket: 'bucket-b',
      region: 'eu-west-1',
    });
    const expected = sqsMessages(
      'test_object_created_put_with_presigned_url_upload',
      'receive_messages_region_2',
    )[0];
    assertMatches(buildEventRecord(second, 'config-2'), expected, b);
  });

  test('test_restore_object: Post, then Completed with glacierEventData and S3 acting for the owner', () => {
    const b = new Bindings();
    const [post, completed] = sqsMessages('test_restore_object');
    assertMatches(
      buildEventRecord(
        event({ eventName: 's3:ObjectRestore:Post', key: 'my_key_restore', size: 9, eTag: SOMETHING }),
        'c1',
      ),
      post,
      b,
    );
    const done = event({
      eventName: 's3:ObjectRestore:Completed',
      key: 'my_key_restore',
      size: 9,
      eTag: SOMETHING,
    });
    done.sourceIp = '10.0.0.1';
    done.restore = { expiryTime: new Date('2025-01-23T00:00:00.000Z'), storageClass: 'GLACIER' };
    assertMatches(buildEventRecord(done, 'c1'), completed, b);
  });

  test('test_object_created_put_versioned: versionId when versioned, none for the null version, a delete marker’s eTag', () => {
    const content = recorded(
      'test_s3_notifications_sqs',
      'TestS3NotificationsToSQS::test_object_created_put_versioned',
    );
    const b = new Bindings();
    const active = [
      {
        eventName: 's3:ObjectCreated:Put',
        key: 'test-key',
        size: 13,
        eTag: '6869c34ca384e0ed836d49214f881e87',
        versionId: 'v2',
      },
      {
        eventName: 's3:ObjectCreated:Put',
        key: 'test-key',
        size: 4,
        eTag: '8d777f385d3dfec8815d20f7496026dc',
        versionId: 'v1',
      },
      { eventName: 's3:ObjectRemoved:Delete', key: 'test-key', versionId: 'v1' },
      { eventName: 's3:ObjectRemoved:DeleteMarkerCreated', key: 'test-key', versionId: 'v3' },
    ];
    const expectedActive = content['message-versioning-active'] as unknown[];
    active.forEach((f, i) => {
      assertMatches(buildEventRecord(event(f), 'c1'), expectedActive[i], b);
    });
    // These records kept AWS's field order: so must ours.
    assert.deepEqual(
      keyOrder(buildEventRecord(event(active[3] as Facts), 'c1')),
      keyOrder(expectedActive[3]),
    );
    const suspended = [
      {
        eventName: 's3:ObjectCreated:Put',
        key: 'test-key',
        size: 13,
        eTag: '2fb1d4988881168bbcd6432d7593be5a',
        versionId: 'null',
      },
      { eventName: 's3:ObjectRemoved:Delete', key: 'test-key', versionId: 'v3' },
    ];
    const expectedSuspended = content['message-versioning-suspended'] as unknown[];
    suspended.forEach((f, i) => {
      assertMatches(buildEventRecord(event(f), 'c1'), expectedSuspended[i], b);
    });
    const marker = buildEventRecord(
      event({ eventName: 's3:ObjectRemoved:DeleteMarkerCreated', key: 'k' }),
      'c',
    );
    assert.equal(marker.s3.object.eTag, EMPTY_ETAG);
  });

  test('test_xray_header: the SQS body is {"Records":[...]} in AWS’s field order', () => {
    const [message] = sqsMessages('test_xray_header') as { Body: unknown }[];
    const built = buildEventNotification(
      event({ eventName: 's3:ObjectCreated:Put', key: 'test-data', size: 9, eTag: SOMETHING }),
      'config-1',
    );
    assertMatches(built, message?.Body);
    assert.deepEqual(keyOrder(built), keyOrder(message?.Body));
  });

  test('test_notifications_with_filter: the message that passed the filter', () => {
    const content = recorded(
      'test_s3_notifications_sqs',
      'TestS3NotificationsToSQS::test_notifications_with_filter',
    );
    const built = buildEventRecord(
      event({
        eventName: 's3:ObjectCreated:Put',
        key: 'testupload/dir1/testfile.txt',
        size: 32,
        eTag: 'f527a5c9f427867aeaf091c134949aa0',
      }),
      'id0001',
    );
    assertMatches(built, content.message);
  });
});

describe('records as SNS and Lambda receive them', () => {
  test('test_s3_notifications_sns test_object_created_put: Message is the notification, in AWS’s order', () => {
    const content = recorded(
      'test_s3_notifications_sns',
      'TestS3NotificationsToSns::test_object_created_put',
    );
    const messages = (content.receive_messages as { messages: { Message: unknown; Subject: string }[] })
      .messages;
    const b = new Bindings();
    const built = [
      { size: 11, eTag: 'c8e3a3027a133355210f85cfbb1acc35' },
      { size: 12, eTag: '05c7c1b96e20928f6e55a881b5ca1c45' },
    ].map((f) =>
      buildEventNotification(
        event({ eventName: 's3:ObjectCreated:Put', key: 'bucket-key', ...f }),
        'config-1',
      ),
    );
    built.forEach((n, i) => {
      assertMatches(n, messages[i]?.Message, b);
      assert.deepEqual(keyOrder(n), keyOrder(messages[i]?.Message));
    });
    assert.equal(messages[0]?.Subject, 'Amazon S3 Notification');
  });

  /** How the recorded Lambda stored its event in DynamoDB: typed attribute values. */
  function dynamo(value: unknown): unknown {
    if (typeof value === 'string') return { S: value };
    if (typeof value === 'number') return { N: String(value) };
    if (Array.isArray(value)) return { L: value.map(dynamo) };
    const m: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) m[k] = dynamo(v);
    return { M: m };
  }

  test('test_s3_notifications_lambda: the record a function receives (Put and presigned POST)', () => {
    const put = recorded(
      'test_s3_notifications_lambda',
      'TestS3NotificationsToLambda::test_create_object_put_via_dynamodb',
    );
    const record = buildEventRecord(
      event({
        eventName: 's3:ObjectCreated:Put',
        key: 'table-1',
        size: 11,
        eTag: 'e9fb1ed1d5eaa36781088aae37acffbd',
      }),
      'config-1',
    );
    assertMatches(dynamo(record), put.table_content);

    const presigned = recorded(
      'test_s3_notifications_lambda',
      'TestS3NotificationsToLambda::test_create_object_by_presigned_request_via_dynamodb',
    );
    const items = presigned.items as { data: unknown }[];
    const b = new Bindings();
    const post = event({
      eventName: 's3:ObjectCreated:Post',
      key: 'table-1',
      size: 16,
      eTag: '232d7472010db416df31c55fdc0490a5',
    });
    const viaPut = event({
      eventName: 's3:ObjectCreated:Put',
      key: 'table-1',
      size: 16,
      eTag: 'b0d833b208acd18be70a25c9323f210d',
    });
    assertMatches(dynamo(buildEventRecord(post, 'config-1')), items[0]?.data, b);
    assertMatches(dynamo(buildEventRecord(viaPut, 'config-1')), items[1]?.data, b);
  });

  test('a wrong record does not pass: the comparison can fail', () => {
    const put = recorded(
      'test_s3_notifications_lambda',
      'TestS3NotificationsToLambda::test_create_object_put_via_dynamodb',
    );
    const record = buildEventRecord(
      event({
        eventName: 's3:ObjectCreated:Copy',
        key: 'table-1',
        size: 12,
        eTag: 'e9fb1ed1d5eaa36781088aae37acffbd',
      }),
      'config-1',
    );
    assert.equal(shapeDifferences(dynamo(record), put.table_content).length, 2);
    const tagging = buildEventRecord(
      event({ eventName: 's3:ObjectTagging:Put', key: 'k', size: 1, eTag: 'e' }),
      'c',
    );
    assert.equal(tagging.eventVersion, '2.3');
    assert.equal(tagging.s3.object.sequencer, undefined);
    assert.equal(tagging.s3.object.size, undefined);
  });
});

test('s3:TestEvent: AWS’s documented body, time with milliseconds', () => {
  const t = buildTestEvent('my-bucket', new Date('2014-10-13T15:57:02.089Z'), '5582815E1AEA5ADF', 'host-id');
  assert.equal(
    JSON.stringify(t),
    '{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2014-10-13T15:57:02.089Z","Bucket":"my-bucket","RequestId":"5582815E1AEA5ADF","HostId":"host-id"}',
  );
});
