/** Which configurations an event goes to: event types with wildcards, prefix/suffix on the encoded key. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { NotificationConfiguration } from './configuration.js';
import { CONCRETE_EVENT_TYPES, expandEventTypes, isSupportedEventType, matchesEventType } from './events.js';
import { keyPassesFilter, matchDestinations, sendsToEventBridge } from './match.js';

const QUEUE = 'arn:aws:sqs:us-east-1:111111111111:q';
const FUNCTION = 'arn:aws:lambda:us-east-1:111111111111:function:f';
const TOPIC = 'arn:aws:sns:us-east-1:111111111111:t';

test('event types: wildcards cover their family only; ACL and single types by whole name', () => {
  assert.ok(matchesEventType('s3:ObjectCreated:*', 's3:ObjectCreated:Put'));
  assert.ok(matchesEventType('s3:ObjectCreated:*', 's3:ObjectCreated:CompleteMultipartUpload'));
  assert.ok(!matchesEventType('s3:ObjectCreated:*', 's3:ObjectRemoved:Delete'));
  assert.ok(matchesEventType('s3:ObjectRemoved:*', 's3:ObjectRemoved:DeleteMarkerCreated'));
  assert.ok(matchesEventType('s3:ObjectRemoved:Delete', 's3:ObjectRemoved:Delete'));
  assert.ok(!matchesEventType('s3:ObjectRemoved:Delete', 's3:ObjectRemoved:DeleteMarkerCreated'));
  assert.ok(matchesEventType('s3:ObjectTagging:*', 's3:ObjectTagging:Delete'));
  assert.ok(matchesEventType('s3:ObjectRestore:*', 's3:ObjectRestore:Completed'));
  assert.ok(!matchesEventType('s3:LifecycleExpiration:*', 's3:ObjectRemoved:Delete'));
  assert.ok(matchesEventType('s3:ObjectAcl:Put', 's3:ObjectAcl:Put'));
  assert.ok(!isSupportedEventType('s3:ObjectAcl:*'));
  assert.ok(isSupportedEventType('s3:LifecycleTransition'));
  assert.deepEqual([...expandEventTypes(['s3:ObjectRemoved:*', 's3:ObjectRemoved:Delete'])].sort(), [
    's3:ObjectRemoved:Delete',
    's3:ObjectRemoved:DeleteMarkerCreated',
  ]);
  assert.equal(CONCRETE_EVENT_TYPES.length, new Set(CONCRETE_EVENT_TYPES).size);
});

test('filters (recorded test_notifications_with_filter): /testdata does not pass, testupload/dir1/testfile.txt does', () => {
  const filter = {
    Key: {
      FilterRules: [
        { Name: 'Prefix' as const, Value: 'testupload/' },
        { Name: 'Suffix' as const, Value: 'testfile.txt' },
      ],
    },
  };
  assert.ok(!keyPassesFilter(filter, '/testdata'));
  assert.ok(keyPassesFilter(filter, 'testupload/dir1/testfile.txt'));
  assert.ok(!keyPassesFilter(filter, 'testupload/dir1/testfile.txt.bak'));
  assert.ok(!keyPassesFilter(filter, 'TestUpload/dir1/testfile.txt'), 'case-sensitive');
  // test_filter_rules_empty_value: an empty suffix passes every key.
  assert.ok(keyPassesFilter({ Key: { FilterRules: [{ Name: 'Suffix', Value: '' }] } }, 'anything'));
  // Compared with the key as the record carries it: special characters URL-encoded.
  assert.ok(
    keyPassesFilter(
      { Key: { FilterRules: [{ Name: 'Prefix', Value: 'service%3Dworker/' }] } },
      'service=worker/a',
    ),
  );
  assert.ok(
    !keyPassesFilter(
      { Key: { FilterRules: [{ Name: 'Prefix', Value: 'service=worker/' }] } },
      'service=worker/a',
    ),
  );
  assert.ok(
    keyPassesFilter({ Key: { FilterRules: [{ Name: 'Suffix', Value: 'my+file.txt' }] } }, 'dir/my file.txt'),
  );
});

test('matchDestinations: one destination per matching configuration, with its Id; EventBridge apart', () => {
  const config: NotificationConfiguration = {
    TopicConfigurations: [{ Id: 't1', TopicArn: TOPIC, Events: ['s3:ObjectRemoved:*'] }],
    QueueConfigurations: [
      {
        Id: 'id0001',
        QueueArn: QUEUE,
        Events: ['s3:ObjectCreated:*', 's3:ObjectRemoved:Delete'],
        Filter: { Key: { FilterRules: [{ Name: 'Prefix', Value: 'testupload/' }] } },
      },
      { Id: 'id0002', QueueArn: QUEUE, Events: ['s3:ObjectTagging:*'] },
    ],
    LambdaFunctionConfigurations: [
      {
        Id: 'fn',
        LambdaFunctionArn: FUNCTION,
        Events: ['s3:ObjectCreated:Put'],
        Filter: { Key: { FilterRules: [{ Name: 'Suffix', Value: '.jpg' }] } },
      },
    ],
  };
  assert.deepEqual(matchDestinations(config, 's3:ObjectCreated:Put', 'testupload/a.jpg'), [
    { kind: 'queue', arn: QUEUE, configurationId: 'id0001' },
    { kind: 'lambda', arn: FUNCTION, configurationId: 'fn' },
  ]);
  assert.deepEqual(matchDestinations(config, 's3:ObjectCreated:Copy', 'other/a.jpg'), []);
  assert.deepEqual(matchDestinations(config, 's3:ObjectRemoved:Delete', 'testupload/x'), [
    { kind: 'topic', arn: TOPIC, configurationId: 't1' },
    { kind: 'queue', arn: QUEUE, configurationId: 'id0001' },
  ]);
  assert.deepEqual(matchDestinations(config, 's3:ObjectRemoved:DeleteMarkerCreated', 'testupload/x'), [
    { kind: 'topic', arn: TOPIC, configurationId: 't1' },
  ]);
  assert.deepEqual(matchDestinations(config, 's3:ObjectTagging:Put', 'k'), [
    { kind: 'queue', arn: QUEUE, configurationId: 'id0002' },
  ]);
  assert.deepEqual(matchDestinations({}, 's3:ObjectCreated:Put', 'k'), []);
  assert.ok(!sendsToEventBridge(config));
  assert.ok(sendsToEventBridge({ EventBridgeConfiguration: {} }));
});
