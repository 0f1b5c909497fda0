/** CloudWatch Logs groups, streams, retention policies and tags through the real SDK. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  type CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  DeleteLogGroupCommand,
  DeleteLogStreamCommand,
  DeleteRetentionPolicyCommand,
  DescribeLogGroupsCommand,
  DescribeLogStreamsCommand,
  ListTagsForResourceCommand,
  ListTagsLogGroupCommand,
  PutLogEventsCommand,
  PutRetentionPolicyCommand,
  paginateDescribeLogGroups,
  paginateDescribeLogStreams,
  TagLogGroupCommand,
  TagResourceCommand,
  UntagLogGroupCommand,
  UntagResourceCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { awsError } from './support/errors.js';
import { removeDataDir, startServer, type TestServer } from './support/server.js';

const ARN_PREFIX = 'arn:aws:logs:us-east-1:000000000000:log-group:';

describe('CloudWatch Logs groups and streams', () => {
  let server: TestServer;
  let logs: CloudWatchLogsClient;

  before(async () => {
    server = await startServer();
    logs = server.logs();
  });
  after(async () => {
    await server.stop();
    removeDataDir(server.dataDir);
  });

  test('create, describe and delete a log group, with AWS fields', async () => {
    const before = Date.now();
    await logs.send(
      new CreateLogGroupCommand({ logGroupName: '/aws/lambda/first', tags: { env: 'testing' } }),
    );
    const { logGroups } = await logs.send(
      new DescribeLogGroupsCommand({ logGroupNamePrefix: '/aws/lambda/first' }),
    );
    assert.equal(logGroups?.length, 1);
    const g = logGroups?.[0];
    assert.ok((g?.creationTime ?? 0) >= before - 1000);
    assert.deepEqual(
      { ...g, creationTime: 0 },
      {
        logGroupName: '/aws/lambda/first',
        creationTime: 0,
        metricFilterCount: 0,
        arn: `${ARN_PREFIX}/aws/lambda/first:*`,
        storedBytes: 0,
        logGroupClass: 'STANDARD',
        logGroupArn: `${ARN_PREFIX}/aws/lambda/first`,
        deletionProtectionEnabled: false,
      },
    );
    await logs.send(new DeleteLogGroupCommand({ logGroupName: '/aws/lambda/first' }));
    const after = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/aws/lambda/first' }));
    assert.deepEqual(after.logGroups, []);
  });

  test('group errors: duplicate, missing, invalid names, AWS messages and status 400', async () => {
    await logs.send(new CreateLogGroupCommand({ logGroupName: 'dup' }));
    assert.deepEqual(await awsError(logs.send(new CreateLogGroupCommand({ logGroupName: 'dup' }))), {
      name: 'ResourceAlreadyExistsException',
      message: 'The specified log group already exists',
      status: 400,
    });
    assert.deepEqual(await awsError(logs.send(new DeleteLogGroupCommand({ logGroupName: 'missing' }))), {
      name: 'ResourceNotFoundException',
      message: 'The specified log group does not exist.',
      status: 400,
    });
    assert.deepEqual(await awsError(logs.send(new CreateLogGroupCommand({ logGroupName: 'a:b' }))), {
      name: 'InvalidParameterException',
      message:
        "1 validation error detected: Value 'a:b' at 'logGroupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+",
      status: 400,
    });
    assert.deepEqual(
      await awsError(logs.send(new CreateLogGroupCommand({ logGroupName: 'x'.repeat(513) }))),
      {
        name: 'InvalidParameterException',
        message: 'Invalid LogGroup or LogStream, both must have length less than or equal to 512.',
        status: 400,
      },
    );
    assert.equal(
      (await awsError(logs.send(new CreateLogGroupCommand({ logGroupName: 'aws/reserved' })))).name,
      'InvalidParameterException',
    );
  });

  test('DescribeLogGroups: ASCII order, prefix, case-insensitive pattern, pagination', async () => {
    const names = ['pg/b', 'pg/a', 'pg/C', 'pg/d-Service', 'pg/e-service', 'other/x'];
    for (const n of names) await logs.send(new CreateLogGroupCommand({ logGroupName: n }));
    const all: string[] = [];
    for await (const page of paginateDescribeLogGroups(
      { client: logs, pageSize: 2 },
      { logGroupNamePrefix: 'pg/' },
    )) {
      assert.ok((page.logGroups?.length ?? 0) <= 2);
      all.push(...(page.logGroups ?? []).map((g) => g.logGroupName as string));
    }
    assert.deepEqual(all, ['pg/C', 'pg/a', 'pg/b', 'pg/d-Service', 'pg/e-service']);

    const byPattern = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePattern: 'SERVICE' }));
    assert.deepEqual(
      byPattern.logGroups?.map((g) => g.logGroupName),
      ['pg/d-Service', 'pg/e-service'],
    );
    // Recorded: a pattern search leaves storedBytes and deletionProtectionEnabled out.
    assert.equal(byPattern.logGroups?.[0]?.storedBytes, undefined);
    assert.equal(byPattern.logGroups?.[0]?.deletionProtectionEnabled, undefined);

    assert.deepEqual(
      await awsError(
        logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: 'pg', logGroupNamePattern: 'x' })),
      ),
      {
        name: 'InvalidParameterException',
        message: 'LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.',
        status: 400,
      },
    );
    assert.deepEqual(await awsError(logs.send(new DescribeLogGroupsCommand({ nextToken: 'garbage' }))), {
      name: 'InvalidParameterException',
      message: 'The specified nextToken is invalid.',
      status: 400,
    });
    const byIdentifier = await logs.send(
      new DescribeLogGroupsCommand({ logGroupIdentifiers: ['pg/a', `${ARN_PREFIX}pg/b`] }),
    );
    assert.deepEqual(
      byIdentifier.logGroups?.map((g) => g.logGroupName),
      ['pg/a', 'pg/b'],
    );
  });

  test('groups are scoped by region and account', async () => {
    await logs.send(new CreateLogGroupCommand({ logGroupName: 'regional' }));
    const west = server.logs({ region: 'us-west-2' });
    assert.deepEqual(
      (await west.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: 'regional' }))).logGroups,
      [],
    );
    await west.send(new CreateLogGroupCommand({ logGroupName: 'regional' }));
  });

  test('streams: create, describe (fields appear once there are events), duplicate, delete', async () => {
    await logs.send(new CreateLogGroupCommand({ logGroupName: 'streams' }));
    await logs.send(
      new CreateLogStreamCommand({ logGroupName: 'streams', logStreamName: '2024/01/01/[$LATEST]abc' }),
    );
    let { logStreams } = await logs.send(new DescribeLogStreamsCommand({ logGroupName: 'streams' }));
    assert.deepEqual(
      { ...logStreams?.[0], creationTime: 0 },
      {
        logStreamName: '2024/01/01/[$LATEST]abc',
        creationTime: 0,
        arn: `${ARN_PREFIX}streams:log-stream:2024/01/01/[$LATEST]abc`,
        storedBytes: 0,
      },
    );
    const now = Date.now();
    await logs.send(
      new PutLogEventsCommand({
        logGroupName: 'streams',
        logStreamName: '2024/01/01/[$LATEST]abc',
        logEvents: [
          { timestamp: now - 10, message: 'a' },
          { timestamp: now, message: 'b' },
        ],
      }),
    );
    ({ logStreams } = await logs.send(
      new DescribeLogStreamsCommand({ logGroupIdentifier: `${ARN_PREFIX}streams` }),
    ));
    const s = logStreams?.[0];
    assert.equal(s?.firstEventTimestamp, now - 10);
    assert.equal(s?.lastEventTimestamp, now);
    assert.ok(s?.lastIngestionTime && s.lastIngestionTime >= now - 1000);
    assert.match(s?.uploadSequenceToken ?? '', /^\d{56}$/);
    assert.equal(s?.storedBytes, 0);

    assert.deepEqual(
      await awsError(
        logs.send(
          new CreateLogStreamCommand({ logGroupName: 'streams', logStreamName: '2024/01/01/[$LATEST]abc' }),
        ),
      ),
      {
        name: 'ResourceAlreadyExistsException',
        message: 'The specified log stream already exists',
        status: 400,
      },
    );
    assert.deepEqual(
      await awsError(logs.send(new CreateLogStreamCommand({ logGroupName: 'nogroup', logStreamName: 's' }))),
      {
        name: 'ResourceNotFoundException',
        message: 'The specified log group does not exist.',
        status: 400,
      },
    );
    assert.equal(
      (
        await awsError(
          logs.send(new CreateLogStreamCommand({ logGroupName: 'streams', logStreamName: 'a:b' })),
        )
      ).name,
      'InvalidParameterException',
    );
    assert.deepEqual(
      await awsError(
        logs.send(new DeleteLogStreamCommand({ logGroupName: 'streams', logStreamName: 'nope' })),
      ),
      {
        name: 'ResourceNotFoundException',
        message: 'The specified log stream does not exist.',
        status: 400,
      },
    );
    assert.deepEqual(
      await awsError(
        logs.send(new DescribeLogStreamsCommand({ logGroupName: 'streams', logGroupIdentifier: 'streams' })),
      ),
      {
        name: 'ValidationException',
        message: 'LogGroup name and LogGroup ARN are mutually exclusive parameters.',
        status: 400,
      },
    );
    await logs.send(
      new DeleteLogStreamCommand({ logGroupName: 'streams', logStreamName: '2024/01/01/[$LATEST]abc' }),
    );
    ({ logStreams } = await logs.send(new DescribeLogStreamsCommand({ logGroupName: 'streams' })));
    assert.deepEqual(logStreams, []);
  });

  test('DescribeLogStreams: prefix, order by name or last event time, descending, pagination', async () => {
    await logs.send(new CreateLogGroupCommand({ logGroupName: 'order' }));
    const base = Date.now() - 60_000;
    // Event times deliberately out of name order.
    const streams: Array<[string, number | undefined]> = [
      ['s-a', base + 3000],
      ['s-b', base + 1000],
      ['s-c', undefined],
      ['s-d', base + 2000],
      ['t-e', base + 4000],
    ];
    for (const [name, ts] of streams) {
      await logs.send(new CreateLogStreamCommand({ logGroupName: 'order', logStreamName: name }));
      if (ts !== undefined) {
        await logs.send(
          new PutLogEventsCommand({
            logGroupName: 'order',
            logStreamName: name,
            logEvents: [{ timestamp: ts, message: name }],
          }),
        );
      }
    }
    const collect = async (
      input: Omit<ConstructorParameters<typeof DescribeLogStreamsCommand>[0], 'logGroupName'>,
    ) => {
      const out: string[] = [];
      for await (const page of paginateDescribeLogStreams(
        { client: logs, pageSize: 2 },
        { logGroupName: 'order', ...input },
      )) {
        out.push(...(page.logStreams ?? []).map((s) => s.logStreamName as string));
      }
      return out;
    };
    assert.deepEqual(await collect({}), ['s-a', 's-b', 's-c', 's-d', 't-e']);
    assert.deepEqual(await collect({ descending: true }), ['t-e', 's-d', 's-c', 's-b', 's-a']);
    assert.deepEqual(await collect({ logStreamNamePrefix: 's-' }), ['s-a', 's-b', 's-c', 's-d']);
    assert.deepEqual(await collect({ orderBy: 'LastEventTime' }), ['s-c', 's-b', 's-d', 's-a', 't-e']);
    assert.deepEqual(await collect({ orderBy: 'LastEventTime', descending: true }), [
      't-e',
      's-a',
      's-d',
      's-b',
      's-c',
    ]);
    assert.deepEqual(
      await awsError(
        logs.send(
          new DescribeLogStreamsCommand({
            logGroupName: 'order',
            orderBy: 'LastEventTime',
            logStreamNamePrefix: 's',
          }),
        ),
      ),
      {
        name: 'InvalidParameterException',
        message: 'Cannot order by LastEventTime with a logStreamNamePrefix.',
        status: 400,
      },
    );
    assert.deepEqual(await awsError(logs.send(new DescribeLogStreamsCommand({ logGroupName: 'nogroup' }))), {
      name: 'ResourceNotFoundException',
      message: 'The specified log group does not exist.',
      status: 400,
    });
    assert.equal(
      (await awsError(logs.send(new DescribeLogStreamsCommand({ logGroupName: 'order', limit: 51 }))))
        .message,
      "1 validation error detected: Value '51' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 50",
    );
  });

  test('retention policies: valid values, AWS error for others, shown and removed', async () => {
    await logs.send(new CreateLogGroupCommand({ logGroupName: 'retained' }));
    await logs.send(new PutRetentionPolicyCommand({ logGroupName: 'retained', retentionInDays: 7 }));
    let g = (await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: 'retained' })))
      .logGroups?.[0];
    assert.equal(g?.retentionInDays, 7);
    const bad = await awsError(
      logs.send(new PutRetentionPolicyCommand({ logGroupName: 'retained', retentionInDays: 2 })),
    );
    assert.deepEqual(bad, {
      name: 'InvalidParameterException',
      message:
        "1 validation error detected: Value '2' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]",
      status: 400,
    });
    for (const days of [1, 3653, 1096])
      await logs.send(new PutRetentionPolicyCommand({ logGroupName: 'retained', retentionInDays: days }));
    await logs.send(new DeleteRetentionPolicyCommand({ logGroupName: 'retained' }));
    g = (await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: 'retained' }))).logGroups?.[0];
    assert.equal(g?.retentionInDays, undefined);
    assert.equal(
      (await awsError(logs.send(new PutRetentionPolicyCommand({ logGroupName: 'nope', retentionInDays: 1 }))))
        .name,
      'ResourceNotFoundException',
    );
    assert.equal(
      (await awsError(logs.send(new DeleteRetentionPolicyCommand({ logGroupName: 'nope' })))).name,
      'ResourceNotFoundException',
    );
  });

  test('tags through both the log-group and the resource APIs (recorded sequence)', async () => {
    await logs.send(new CreateLogGroupCommand({ logGroupName: 'tagged', tags: { env: 'testing1' } }));
    const arn = `${ARN_PREFIX}tagged`;
    const both = async () => {
      const a = (await logs.send(new ListTagsLogGroupCommand({ logGroupName: 'tagged' }))).tags;
      const b = (await logs.send(new ListTagsForResourceCommand({ resourceArn: arn }))).tags;
      assert.deepEqual(a, b);
      return a;
    };
    assert.deepEqual(await both(), { env: 'testing1' });
    await logs.send(new TagResourceCommand({ resourceArn: arn, tags: { test1: 'val1', test2: 'val2' } }));
    assert.deepEqual(await both(), { env: 'testing1', test1: 'val1', test2: 'val2' });
    await logs.send(new TagLogGroupCommand({ logGroupName: 'tagged', tags: { test3: 'val3' } }));
    assert.deepEqual(await both(), { env: 'testing1', test1: 'val1', test2: 'val2', test3: 'val3' });
    await logs.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: ['env', 'test1'] }));
    await logs.send(new UntagLogGroupCommand({ logGroupName: 'tagged', tags: ['test3'] }));
    assert.deepEqual(await both(), { test2: 'val2' });
    assert.equal(
      (await awsError(logs.send(new ListTagsForResourceCommand({ resourceArn: `${ARN_PREFIX}nope` })))).name,
      'ResourceNotFoundException',
    );
    const many = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, 'v']));
    assert.equal(
      (await awsError(logs.send(new TagResourceCommand({ resourceArn: arn, tags: many })))).name,
      'TooManyTagsException',
    );
  });
});
