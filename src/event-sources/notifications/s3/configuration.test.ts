/**
 * PutBucketNotificationConfiguration's validation replayed against the recordings
 * (test_s3_notifications_{sqs,sns,lambda}, test_s3_api TestS3BucketNotificationConfiguration),
 * plus the checks AWS makes that no recording shows (overlaps, event names), asserted by message.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Bindings, recorded, shapeDifferences } from '../../../../test/support/recorded-shape.js';
import { AwsError } from '../../../shared/errors.js';
import {
  type BucketRef,
  type DestinationChecks,
  generateConfigurationId,
  type NotificationConfiguration,
  testEventDestinations,
  validateNotificationConfiguration,
} from './configuration.js';
import { AMBIGUOUS_FILTERS, CONFIGURATIONS_OVERLAP, EVENT_NOT_SUPPORTED } from './errors.js';

const bucket: BucketRef = {
  name: 'bucket-a',
  arn: 'arn:aws:s3:::bucket-a',
  accountId: '111111111111',
  region: 'us-east-1',
};
const QUEUE = 'arn:aws:sqs:us-east-1:111111111111:my-queue';
const QUEUE_2 = 'arn:aws:sqs:us-east-1:111111111111:my-queue-2';
const FUNCTION = 'arn:aws:lambda:us-east-1:111111111111:function:my-lambda';
const TOPIC = 'arn:aws:sns:us-east-1:111111111111:my-topic';

/** Lambent today: functions exist and allow S3 only when the test says so; no SQS and no SNS. */
const noneAllowed: DestinationChecks = { lambdaInvokeAllowed: () => false };

async function errorOf(promise: Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    await promise;
  } catch (e) {
    assert.ok(e instanceof AwsError, String(e));
    return { Code: e.code, Message: e.message, ...e.fields, status: e.status };
  }
  assert.fail('expected an error');
}

/** Compares with a recorded error response: code, message, every Argument field, status. */
async function assertRecordedError(promise: Promise<unknown>, recordedResponse: unknown): Promise<void> {
  const r = recordedResponse as {
    Error: Record<string, unknown>;
    ResponseMetadata: { HTTPStatusCode: number };
  };
  const { status, ...error } = await errorOf(promise);
  assert.equal(status, r.ResponseMetadata.HTTPStatusCode);
  assert.deepEqual(shapeDifferences(error, { ...r.Error }), []);
}

/** Compares with a recorded GetBucketNotificationConfiguration (what Lambent stores is what Get returns). */
function assertRecordedConfig(
  config: NotificationConfiguration,
  recordedResponse: unknown,
  b = new Bindings(),
): void {
  const { ResponseMetadata: _, ...expected } = recordedResponse as Record<string, unknown>;
  assert.deepEqual(shapeDifferences(config, expected, b), []);
}

function sqs(test: string): Record<string, unknown> {
  return recorded('test_s3_notifications_sqs', `TestS3NotificationsToSQS::${test}`);
}

describe('destination ARNs and destinations (recorded)', () => {
  test('test_invalid_sqs_arn', async () => {
    const c = sqs('test_invalid_sqs_arn');
    const config = (arn: string) => ({
      QueueConfigurations: [{ Id: 'id123', Events: ['s3:ObjectCreated:*'], QueueArn: arn }],
    });
    await assertRecordedError(
      validateNotificationConfiguration(config('invalid-queue'), { bucket, checks: noneAllowed }),
      c.invalid_not_skip,
    );
    await assertRecordedError(
      validateNotificationConfiguration(config('invalid-queue'), {
        bucket,
        checks: noneAllowed,
        skipDestinationValidation: true,
      }),
      c.invalid_skip,
    );
    // No SQS in this deployment: every queue is one that does not exist.
    await assertRecordedError(
      validateNotificationConfiguration(config(QUEUE), { bucket, checks: noneAllowed }),
      c['queue-does-not-exist'],
    );
    const saved = await validateNotificationConfiguration(config(QUEUE), {
      bucket,
      checks: noneAllowed,
      skipDestinationValidation: true,
    });
    assertRecordedConfig(saved, c.skip_destination_validation);
  });

  test('test_multiple_invalid_sqs_arns: request checks before destinations, all destinations in one error', async () => {
    const c = sqs('test_multiple_invalid_sqs_arns');
    const config = (a: string, b: string) => ({
      QueueConfigurations: [
        { Id: 'id1', Events: ['s3:ObjectCreated:*'], QueueArn: a },
        { Id: 'id2', Events: ['s3:ObjectRemoved:*'], QueueArn: b },
      ],
    });
    const opts = { bucket, checks: noneAllowed };
    await assertRecordedError(
      validateNotificationConfiguration(config('invalid_arn', 'invalid_arn_2'), opts),
      c['two-queue-arns-invalid'],
    );
    await assertRecordedError(
      validateNotificationConfiguration(config(QUEUE, 'invalid_arn_2'), opts),
      c['one-queue-invalid-one-not-existent'],
    );
    await assertRecordedError(
      validateNotificationConfiguration(config(QUEUE, QUEUE_2), opts),
      c['multiple-queues-do-not-exist'],
    );
  });

  test('test_invalid_lambda_arn: CloudFunction; a function S3 may not invoke', async () => {
    const c = recorded(
      'test_s3_notifications_lambda',
      'TestS3NotificationsToLambda::test_invalid_lambda_arn',
    );
    const config = (arn: string) => ({
      LambdaFunctionConfigurations: [{ Id: 'id123', Events: ['s3:ObjectCreated:*'], LambdaFunctionArn: arn }],
    });
    await assertRecordedError(
      validateNotificationConfiguration(config('invalid-queue'), { bucket, checks: noneAllowed }),
      c.invalid_not_skip,
    );
    await assertRecordedError(
      validateNotificationConfiguration(config('invalid-queue'), {
        bucket,
        checks: noneAllowed,
        skipDestinationValidation: true,
      }),
      c.invalid_skip,
    );
    const asked: [string, BucketRef][] = [];
    const checks: DestinationChecks = {
      lambdaInvokeAllowed: (arn, b) => {
        asked.push([arn, b]);
        return false;
      },
    };
    await assertRecordedError(
      validateNotificationConfiguration(config(FUNCTION), { bucket, checks }),
      c['lambda-does-not-exist'],
    );
    assert.deepEqual(asked, [[FUNCTION, bucket]]);
    const saved = await validateNotificationConfiguration(config(FUNCTION), {
      bucket,
      checks,
      skipDestinationValidation: true,
    });
    assertRecordedConfig(saved, c.skip_destination_validation);
    // Allowed (async answer too): saved.
    const ok = await validateNotificationConfiguration(config(`${FUNCTION}:live`), {
      bucket,
      checks: { lambdaInvokeAllowed: async () => true },
    });
    assert.equal(ok.LambdaFunctionConfigurations?.[0]?.LambdaFunctionArn, `${FUNCTION}:live`);
  });

  test('test_invalid_topic_arn: Topic', async () => {
    const c = recorded('test_s3_notifications_sns', 'TestS3NotificationsToSns::test_invalid_topic_arn');
    const config = (arn: string) => ({
      TopicConfigurations: [{ Id: 'id123', Events: ['s3:ObjectCreated:*'], TopicArn: arn }],
    });
    await assertRecordedError(
      validateNotificationConfiguration(config('invalid-topic'), { bucket, checks: noneAllowed }),
      c.invalid_not_skip,
    );
    await assertRecordedError(
      validateNotificationConfiguration(config('invalid-topic'), {
        bucket,
        checks: noneAllowed,
        skipDestinationValidation: true,
      }),
      c.invalid_skip,
    );
    const saved = await validateNotificationConfiguration(config(TOPIC), {
      bucket,
      checks: noneAllowed,
      skipDestinationValidation: true,
    });
    assertRecordedConfig(saved, c.skip_destination_validation);
    const e = await errorOf(
      validateNotificationConfiguration(config(TOPIC), { bucket, checks: noneAllowed }),
    );
    assert.equal(e.ArgumentName1, TOPIC);
    assert.equal(e.ArgumentValue1, 'The destination topic does not exist');
  });

  test('a queue that exists but refuses S3; each destination asked once; a queue that accepts', async () => {
    let asked = 0;
    const checks: DestinationChecks = {
      lambdaInvokeAllowed: () => true,
      queue: (arn) => {
        asked++;
        return arn === QUEUE ? 'denied' : 'ok';
      },
    };
    const config = {
      QueueConfigurations: [
        { Events: ['s3:ObjectCreated:*'], QueueArn: QUEUE },
        { Events: ['s3:ObjectRemoved:*'], QueueArn: QUEUE },
      ],
    };
    const e = await errorOf(validateNotificationConfiguration(config, { bucket, checks }));
    assert.equal(asked, 1);
    assert.deepEqual(
      { n: e.ArgumentName1, v: e.ArgumentValue1, more: 'ArgumentName2' in e },
      {
        n: QUEUE,
        v: 'Permissions on the destination queue do not allow S3 to publish notifications from this bucket',
        more: false,
      },
    );
    const saved = await validateNotificationConfiguration(
      { QueueConfigurations: [{ Events: ['s3:ObjectCreated:*'], QueueArn: QUEUE_2 }] },
      {
        bucket,
        checks,
      },
    );
    assert.deepEqual(testEventDestinations(saved), [{ kind: 'queue', arn: QUEUE_2 }]);
  });
});

describe('filters and the stored form (recorded)', () => {
  test('test_notifications_with_filter: two configurations with one filter, then replaced, emptied, replaced', async () => {
    const c = sqs('test_notifications_with_filter');
    const queue = 'arn:aws:sqs:us-east-1:111111111111:queue-abc';
    const filter = {
      Key: {
        FilterRules: [
          { Name: 'Prefix', Value: 'testupload/' },
          { Name: 'Suffix', Value: 'testfile.txt' },
        ],
      },
    };
    const opts = { bucket, checks: { lambdaInvokeAllowed: () => false, queue: () => 'ok' as const } };
    const b = new Bindings();
    const first = await validateNotificationConfiguration(
      {
        QueueConfigurations: [
          {
            Id: 'id0001',
            QueueArn: queue,
            Events: ['s3:ObjectCreated:*', 's3:ObjectRemoved:Delete'],
            Filter: filter,
          },
          { Id: 'id0002', QueueArn: queue, Events: ['s3:ObjectTagging:*'], Filter: filter },
        ],
      },
      opts,
    );
    assertRecordedConfig(first, c.config, b);
    assertRecordedConfig(await validateNotificationConfiguration({}, opts), c.config_empty, b);
    const updated = await validateNotificationConfiguration(
      { QueueConfigurations: [{ Id: 'id123456', QueueArn: queue, Events: ['s3:ObjectCreated:*'] }] },
      opts,
    );
    assertRecordedConfig(updated, c.config_updated, b);
    const updatedFilter = await validateNotificationConfiguration(
      {
        QueueConfigurations: [
          {
            Id: 'id123456',
            QueueArn: queue,
            Events: ['s3:ObjectCreated:*'],
            Filter: { Key: { FilterRules: [{ Name: 'Prefix', Value: 'testupload/' }] } },
          },
        ],
      },
      opts,
    );
    assertRecordedConfig(updatedFilter, c.config_updated_filter, b);
  });

  test('test_filter_rules_case_insensitive: names normalised to Prefix/Suffix, an Id generated', async () => {
    const c = sqs('test_filter_rules_case_insensitive');
    const saved = await validateNotificationConfiguration(
      {
        QueueConfigurations: [
          {
            QueueArn: 'arn:aws:sqs:us-east-1:111111111111:my-queue-abc123',
            Events: ['s3:ObjectCreated:*'],
            Filter: {
              Key: {
                FilterRules: [
                  { Name: 'suffix', Value: '.txt' },
                  { Name: 'PREFIX', Value: 'notif-' },
                ],
              },
            },
          },
        ],
      },
      { bucket, checks: noneAllowed, skipDestinationValidation: true },
    );
    // The recorded test sorted the rules by name before comparing.
    saved.QueueConfigurations?.[0]?.Filter?.Key.FilterRules.sort((a, b) => a.Name.localeCompare(b.Name));
    assertRecordedConfig(saved, c.bucket_notification_configuration);
    const id = saved.QueueConfigurations?.[0]?.Id ?? '';
    assert.match(
      Buffer.from(id, 'base64').toString(),
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    assert.notEqual(generateConfigurationId(), generateConfigurationId());
  });

  test('test_filter_rules_empty_value: an empty value is kept', async () => {
    const c = sqs('test_filter_rules_empty_value');
    const saved = await validateNotificationConfiguration(
      {
        QueueConfigurations: [
          {
            QueueArn: 'arn:aws:sqs:us-east-1:111111111111:my-queue-abc123',
            Events: ['s3:ObjectCreated:*'],
            Filter: { Key: { FilterRules: [{ Name: 'suffix', Value: '' }] } },
          },
        ],
      },
      { bucket, checks: noneAllowed, skipDestinationValidation: true },
    );
    assertRecordedConfig(saved, c.bucket_notification_configuration);
  });

  test('test_bucket_notification_with_invalid_filter_rules and _with_missing_values_in_rule', async () => {
    const api = (t: string) => recorded('test_s3_api', `TestS3BucketNotificationConfiguration::${t}`);
    const withRules = (rules: unknown[]) => ({
      QueueConfigurations: [
        { QueueArn: QUEUE, Events: ['s3:ObjectCreated:*'], Filter: { Key: { FilterRules: rules } } },
      ],
    });
    const opts = { bucket, checks: noneAllowed };
    await assertRecordedError(
      validateNotificationConfiguration(withRules([{ Name: 'INVALID', Value: 'does not matter' }]), opts),
      api('test_bucket_notification_with_invalid_filter_rules').invalid_filter_name,
    );
    const missing = api('test_bucket_notification_with_missing_values_in_rule');
    await assertRecordedError(
      validateNotificationConfiguration(withRules([{}]), opts),
      missing['invalid-rule-no-values'],
    );
    await assertRecordedError(
      validateNotificationConfiguration(withRules([{ Name: 'Prefix' }]), opts),
      missing['invalid-rule-no-value'],
    );
    await assertRecordedError(
      validateNotificationConfiguration(withRules([{ Value: 'x' }]), opts),
      missing['invalid-rule-no-name'],
    );
  });
});

describe('checks no recording shows (AWS’s messages as AWS users report them)', () => {
  const opts = { bucket, checks: noneAllowed, skipDestinationValidation: true };
  const q = (events: string[], rules?: { Name: string; Value: string }[], arn = QUEUE) => ({
    QueueArn: arn,
    Events: events,
    ...(rules ? { Filter: { Key: { FilterRules: rules } } } : {}),
  });

  test('two unfiltered configurations sharing an event type overlap, across destination kinds', async () => {
    const e = await errorOf(
      validateNotificationConfiguration(
        {
          QueueConfigurations: [q(['s3:ObjectCreated:Put'])],
          LambdaFunctionConfigurations: [{ LambdaFunctionArn: FUNCTION, Events: ['s3:ObjectCreated:*'] }],
        },
        opts,
      ),
    );
    assert.equal(e.Code, 'InvalidArgument');
    assert.equal(e.Message, CONFIGURATIONS_OVERLAP);
  });

  test('overlapping prefixes with overlapping suffixes are ambiguous; disjoint ones are not', async () => {
    const cases: [
      { Name: string; Value: string }[] | undefined,
      { Name: string; Value: string }[] | undefined,
      boolean,
    ][] = [
      [[{ Name: 'prefix', Value: 'images/' }], undefined, true],
      [[{ Name: 'prefix', Value: 'images/' }], [{ Name: 'prefix', Value: 'images/thumbs/' }], true],
      [[{ Name: 'suffix', Value: '.jpg' }], [{ Name: 'suffix', Value: 'jpg' }], true],
      [[{ Name: 'prefix', Value: 'a/' }], [{ Name: 'prefix', Value: 'b/' }], false],
      [[{ Name: 'suffix', Value: '.jpg' }], [{ Name: 'suffix', Value: '.png' }], false],
      [
        [
          { Name: 'prefix', Value: 'two/' },
          { Name: 'suffix', Value: '.good' },
        ],
        [
          { Name: 'prefix', Value: 'two/' },
          { Name: 'suffix', Value: '.great' },
        ],
        false,
      ],
    ];
    for (const [a, b, ambiguous] of cases) {
      const config = {
        QueueConfigurations: [q(['s3:ObjectCreated:*'], a), q(['s3:ObjectCreated:Put'], b, QUEUE_2)],
      };
      if (ambiguous) {
        const e = await errorOf(validateNotificationConfiguration(config, opts));
        assert.equal(e.Message, AMBIGUOUS_FILTERS, JSON.stringify([a, b]));
      } else {
        await validateNotificationConfiguration(config, opts);
      }
    }
    // Different event types never overlap, filters or not.
    await validateNotificationConfiguration(
      { QueueConfigurations: [q(['s3:ObjectCreated:*']), q(['s3:ObjectRemoved:*'])] },
      opts,
    );
  });

  test('unsupported event names, two prefix rules, a value over 1024 bytes, bad shapes', async () => {
    for (const bad of [
      's3:ObjectCreated:Foo',
      's3:objectcreated:*',
      'ObjectCreated:Put',
      's3:ObjectAcl:*',
      's3:*',
    ]) {
      const e = await errorOf(validateNotificationConfiguration({ QueueConfigurations: [q([bad])] }, opts));
      assert.deepEqual([e.Message, e.ArgumentValue], [EVENT_NOT_SUPPORTED, bad]);
    }
    const two = await errorOf(
      validateNotificationConfiguration(
        {
          QueueConfigurations: [
            q(
              ['s3:ObjectCreated:*'],
              [
                { Name: 'prefix', Value: 'a' },
                { Name: 'Prefix', Value: 'b' },
              ],
            ),
          ],
        },
        opts,
      ),
    );
    assert.equal(two.Message, 'Cannot specify more than one prefix rule in a filter.');
    const long = await errorOf(
      validateNotificationConfiguration(
        { QueueConfigurations: [q(['s3:ObjectCreated:*'], [{ Name: 'suffix', Value: 'é'.repeat(513) }])] },
        opts,
      ),
    );
    assert.equal(long.Message, 'Size of filter rule value cannot exceed 1024 bytes in UTF-8 representation');
    for (const bad of [
      'x',
      42,
      { QueueConfigurations: [{ QueueArn: QUEUE }] },
      { QueueConfigurations: [{ Events: ['s3:ObjectCreated:*'] }] },
    ]) {
      assert.equal((await errorOf(validateNotificationConfiguration(bad, opts))).Code, 'MalformedXML');
    }
  });

  test('single members where a parser made no list; EventBridge; the empty configuration', async () => {
    const saved = await validateNotificationConfiguration(
      {
        QueueConfigurations: {
          QueueArn: QUEUE,
          Events: 's3:ObjectCreated:*',
          Filter: { Key: { FilterRules: { Name: 'prefix', Value: 'a/' } } },
        },
        EventBridgeConfiguration: '',
      },
      opts,
    );
    assert.deepEqual(saved.QueueConfigurations?.[0]?.Filter, {
      Key: { FilterRules: [{ Name: 'Prefix', Value: 'a/' }] },
    });
    assert.deepEqual(saved.EventBridgeConfiguration, {});
    assert.deepEqual(await validateNotificationConfiguration(undefined, opts), {});
  });
});
