/** CloudWatch Logs events (PutLogEvents, GetLogEvents, FilterLogEvents) and the JSON protocol's errors. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  type CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  type FilteredLogEvent,
  FilterLogEventsCommand,
  GetLogEventsCommand,
  PutLogEventsCommand,
  PutRetentionPolicyCommand,
  paginateFilterLogEvents,
} from '@aws-sdk/client-cloudwatch-logs';
import { awsError } from './support/errors.js';
import { removeDataDir, startServer, type TestServer } from './support/server.js';
import { signedFetch } from './support/sign.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe('CloudWatch Logs events', () => {
  let server: TestServer;
  let logs: CloudWatchLogsClient;
  let n = 0;

  /** A fresh group with one stream per name. */
  async function group(...streams: string[]): Promise<string> {
    const name = `events-${++n}`;
    await logs.send(new CreateLogGroupCommand({ logGroupName: name }));
    for (const s of streams)
      await logs.send(new CreateLogStreamCommand({ logGroupName: name, logStreamName: s }));
    return name;
  }

  async function put(
    groupName: string,
    stream: string,
    events: Array<{ timestamp: number; message: string }>,
  ) {
    return logs.send(
      new PutLogEventsCommand({ logGroupName: groupName, logStreamName: stream, logEvents: events }),
    );
  }

  before(async () => {
    server = await startServer();
    logs = server.logs();
  });
  after(async () => {
    await server.stop();
    removeDataDir(server.dataDir);
  });

  describe('PutLogEvents', () => {
    test('accepts a batch, returns a sequence token, ignores the one sent', async () => {
      const g = await group('s');
      const now = Date.now();
      const out = await logs.send(
        new PutLogEventsCommand({
          logGroupName: g,
          logStreamName: 's',
          sequenceToken: 'whatever-you-had',
          logEvents: [
            { timestamp: now, message: 'hello 🙀 参よ' },
            { timestamp: now, message: 'world' },
          ],
        }),
      );
      assert.match(out.nextSequenceToken ?? '', /^\d{56}$/);
      assert.equal(out.rejectedLogEventsInfo, undefined);
      const got = await logs.send(new GetLogEventsCommand({ logGroupName: g, logStreamName: 's' }));
      assert.deepEqual(
        got.events?.map((e) => e.message),
        ['hello 🙀 参よ', 'world'],
      );
      assert.ok((got.events?.[0]?.ingestionTime ?? 0) >= now - 1000);
    });

    test('AWS errors: missing group or stream, order, size, span, count, empty message', async () => {
      const g = await group('s');
      const now = Date.now();
      assert.deepEqual(await awsError(put('nope', 's', [{ timestamp: now, message: 'x' }])), {
        name: 'ResourceNotFoundException',
        message: 'The specified log group does not exist.',
        status: 400,
      });
      assert.deepEqual(await awsError(put(g, 'invalid-stream', [{ timestamp: now, message: 'x' }])), {
        name: 'ResourceNotFoundException',
        message: 'The specified log stream does not exist.',
        status: 400,
      });
      assert.deepEqual(
        await awsError(
          put(g, 's', [
            { timestamp: now, message: 'Message 0' },
            { timestamp: now - 2 * DAY, message: 'Message 1' },
          ]),
        ),
        {
          name: 'InvalidParameterException',
          message: 'Log events in a single PutLogEvents request must be in chronological order.',
          status: 400,
        },
      );
      assert.deepEqual(
        await awsError(
          put(g, 's', [
            { timestamp: now - 2 * DAY, message: 'a' },
            { timestamp: now, message: 'b' },
          ]),
        ),
        {
          name: 'InvalidParameterException',
          message: 'The batch of log events in a single PutLogEvents request cannot span more than 24 hours.',
          status: 400,
        },
      );
      // 1,048,576 bytes counting 26 per event: 4 events of 262,118 bytes fit exactly, one more byte does not.
      const fits = Array.from({ length: 4 }, () => ({ timestamp: now, message: 'x'.repeat(262_118) }));
      await put(g, 's', fits);
      const over = [...fits.slice(0, 3), { timestamp: now, message: 'x'.repeat(262_119) }];
      assert.deepEqual(await awsError(put(g, 's', over)), {
        name: 'InvalidParameterException',
        message: 'Upload too large: 1048577 bytes exceeds limit of 1048576',
        status: 400,
      });
      assert.deepEqual(await awsError(put(g, 's', [{ timestamp: now, message: 'x'.repeat(1_048_551) }])), {
        name: 'InvalidParameterException',
        message: 'Log event too large: 1048577 bytes exceeds limit of 1048576',
        status: 400,
      });
      const tooMany = Array.from({ length: 10_001 }, () => ({ timestamp: now, message: 'm' }));
      const count = await awsError(put(g, 's', tooMany));
      assert.equal(count.name, 'InvalidParameterException');
      assert.match(
        count.message,
        /at 'logEvents' failed to satisfy constraint: Member must have length less than or equal to 10000$/,
      );
      assert.deepEqual(await awsError(put(g, 's', [{ timestamp: now, message: '' }])), {
        name: 'InvalidParameterException',
        message:
          "1 validation error detected: Value '' at 'logEvents.1.member.message' failed to satisfy constraint: Member must have length greater than or equal to 1",
        status: 400,
      });
      await put(
        g,
        's',
        Array.from({ length: 10_000 }, () => ({ timestamp: now, message: 'm' })),
      );
    });

    test('too old, too new and expired events are rejected by index, the rest stored', async () => {
      const g = await group('s');
      const now = Date.now();
      const out = await put(g, 's', [
        { timestamp: now - 20 * DAY, message: 'too old 1' },
        { timestamp: now - 15 * DAY, message: 'too old 2' },
        { timestamp: now - HOUR, message: 'ok 1' },
        { timestamp: now, message: 'ok 2' },
        { timestamp: now + 3 * HOUR, message: 'too new 1' },
        { timestamp: now + DAY, message: 'too new 2' },
      ]);
      assert.deepEqual(out.rejectedLogEventsInfo, { tooOldLogEventEndIndex: 1, tooNewLogEventStartIndex: 4 });
      const got = await logs.send(new GetLogEventsCommand({ logGroupName: g, logStreamName: 's' }));
      assert.deepEqual(
        got.events?.map((e) => e.message),
        ['ok 1', 'ok 2'],
      );

      await logs.send(new PutRetentionPolicyCommand({ logGroupName: g, retentionInDays: 1 }));
      const expired = await put(g, 's', [
        { timestamp: now - 2 * DAY, message: 'expired' },
        { timestamp: now, message: 'ok 3' },
      ]);
      assert.deepEqual(expired.rejectedLogEventsInfo, { expiredLogEventEndIndex: 0 });
    });
  });

  describe('GetLogEvents', () => {
    let g: string;
    let t0: number;
    const messages = Array.from({ length: 25 }, (_, i) => `message ${i}`);

    before(async () => {
      g = await group('s', 'empty');
      t0 = Date.now() - HOUR;
      await put(
        g,
        's',
        messages.map((message, i) => ({ timestamp: t0 + i * 100, message })),
      );
    });

    test('by default the newest page; startFromHead the oldest', async () => {
      const tail = await logs.send(
        new GetLogEventsCommand({ logGroupName: g, logStreamName: 's', limit: 10 }),
      );
      assert.deepEqual(
        tail.events?.map((e) => e.message),
        messages.slice(15),
      );
      const head = await logs.send(
        new GetLogEventsCommand({ logGroupName: g, logStreamName: 's', limit: 10, startFromHead: true }),
      );
      assert.deepEqual(
        head.events?.map((e) => e.message),
        messages.slice(0, 10),
      );
      assert.match(head.nextForwardToken ?? '', /^f\/\d{56}\/s$/);
      assert.match(head.nextBackwardToken ?? '', /^b\/\d{56}\/s$/);
    });

    test('forward paging ends when the same token comes back', async () => {
      const seen: string[] = [];
      let token: string | undefined;
      let calls = 0;
      for (;;) {
        const page = await logs.send(
          new GetLogEventsCommand({
            logGroupName: g,
            logStreamName: 's',
            limit: 10,
            startFromHead: true,
            nextToken: token,
          }),
        );
        calls++;
        seen.push(...(page.events ?? []).map((e) => e.message as string));
        if (page.nextForwardToken === token) {
          assert.deepEqual(page.events, []);
          break;
        }
        token = page.nextForwardToken;
        assert.ok(calls < 10);
      }
      assert.deepEqual(seen, messages);
      assert.equal(calls, 4);

      // New events after the end are picked up by the last forward token.
      await put(g, 's', [{ timestamp: t0 + 10_000, message: 'late' }]);
      const more = await logs.send(
        new GetLogEventsCommand({ logGroupName: g, logStreamName: 's', nextToken: token }),
      );
      assert.deepEqual(
        more.events?.map((e) => e.message),
        ['late'],
      );
      messages.push('late');
    });

    test('backward paging from the newest page reaches the start, then repeats its token', async () => {
      let page = await logs.send(new GetLogEventsCommand({ logGroupName: g, logStreamName: 's', limit: 10 }));
      const pages = [page.events?.map((e) => e.message)];
      for (let i = 0; i < 10; i++) {
        const token = page.nextBackwardToken;
        page = await logs.send(
          new GetLogEventsCommand({ logGroupName: g, logStreamName: 's', limit: 10, nextToken: token }),
        );
        if (page.nextBackwardToken === token) {
          assert.deepEqual(page.events, []);
          break;
        }
        pages.unshift(page.events?.map((e) => e.message));
      }
      assert.deepEqual(pages.flat(), messages);
    });

    test('startTime and endTime bound the events (inclusive)', async () => {
      const got = await logs.send(
        new GetLogEventsCommand({
          logGroupName: g,
          logStreamName: 's',
          startTime: t0 + 300,
          endTime: t0 + 500,
          startFromHead: true,
        }),
      );
      assert.deepEqual(
        got.events?.map((e) => e.message),
        ['message 3', 'message 4', 'message 5'],
      );
    });

    test('an empty stream answers tokens; errors as AWS sends them', async () => {
      const empty = await logs.send(new GetLogEventsCommand({ logGroupName: g, logStreamName: 'empty' }));
      assert.deepEqual(empty.events, []);
      assert.ok(empty.nextForwardToken && empty.nextBackwardToken);
      assert.deepEqual(
        await awsError(
          logs.send(
            new GetLogEventsCommand({ logGroupName: g, logStreamName: 's', nextToken: 'invalid-token' }),
          ),
        ),
        {
          name: 'InvalidParameterException',
          message: 'The specified nextToken is invalid.',
          status: 400,
        },
      );
      assert.deepEqual(
        await awsError(
          logs.send(new GetLogEventsCommand({ logGroupName: g, logStreamName: 's', limit: 10001 })),
        ),
        {
          name: 'InvalidParameterException',
          message:
            "1 validation error detected: Value '10001' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 10000",
          status: 400,
        },
      );
      assert.deepEqual(
        await awsError(
          logs.send(new GetLogEventsCommand({ logGroupName: 'missing-group', logStreamName: 's' })),
        ),
        {
          name: 'ResourceNotFoundException',
          message: 'The specified log group does not exist.',
          status: 400,
        },
      );
      assert.deepEqual(
        await awsError(logs.send(new GetLogEventsCommand({ logGroupName: g, logStreamName: 'missing' }))),
        {
          name: 'ResourceNotFoundException',
          message: 'The specified log stream does not exist.',
          status: 400,
        },
      );
      const byArn = await logs.send(
        new GetLogEventsCommand({
          logGroupIdentifier: `arn:aws:logs:us-east-1:000000000000:log-group:${g}`,
          logStreamName: 's',
          limit: 1,
        }),
      );
      assert.equal(byArn.events?.length, 1);
    });
  });

  describe('FilterLogEvents', () => {
    let g: string;
    let t0: number;

    before(async () => {
      g = await group('app/1', 'app/2', 'web/1');
      t0 = Date.now() - HOUR;
      await put(g, 'app/1', [
        { timestamp: t0 + 1, message: '[ERROR 400] BAD REQUEST' },
        { timestamp: t0 + 4, message: JSON.stringify({ level: 'error', latency: 120, user: { id: 7 } }) },
        { timestamp: t0 + 6, message: '[INFO] fine' },
      ]);
      await put(g, 'app/2', [
        { timestamp: t0 + 2, message: '[ERROR 500] INTERNAL SERVER ERROR' },
        { timestamp: t0 + 4, message: JSON.stringify({ level: 'info', latency: 20, user: { id: 8 } }) },
      ]);
      await put(g, 'web/1', [
        { timestamp: t0 + 3, message: '[WARN] slow' },
        {
          timestamp: t0 + 5,
          message: '127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /index.html HTTP/1.0" 404 310',
        },
      ]);
    });

    const messagesOf = (events: FilteredLogEvent[] | undefined) => (events ?? []).map((e) => e.message);

    test('interleaves all streams by timestamp, with stream names, ingestion times and unique 56-digit eventIds', async () => {
      const out = await logs.send(new FilterLogEventsCommand({ logGroupName: g, interleaved: true }));
      assert.equal(out.events?.length, 7);
      assert.deepEqual(
        out.events?.map((e) => e.timestamp),
        [1, 2, 3, 4, 4, 5, 6].map((d) => t0 + d),
      );
      assert.deepEqual(
        out.events?.map((e) => e.logStreamName),
        ['app/1', 'app/2', 'web/1', 'app/1', 'app/2', 'web/1', 'app/1'],
      );
      const ids = out.events?.map((e) => e.eventId) ?? [];
      assert.ok(ids.every((id) => /^\d{56}$/.test(id ?? '')));
      assert.equal(new Set(ids).size, 7);
      assert.equal(out.nextToken, undefined);
      assert.equal(out.searchedLogStreams, undefined);
      const again = await logs.send(new FilterLogEventsCommand({ logGroupName: g }));
      assert.deepEqual(
        again.events?.map((e) => e.eventId),
        ids,
      );
    });

    test('filter patterns: terms, phrases, OR, exclusions, JSON, space-delimited', async () => {
      const filter = async (filterPattern: string) =>
        messagesOf((await logs.send(new FilterLogEventsCommand({ logGroupName: g, filterPattern }))).events);
      assert.deepEqual(await filter('ERROR'), [
        '[ERROR 400] BAD REQUEST',
        '[ERROR 500] INTERNAL SERVER ERROR',
      ]);
      assert.deepEqual(await filter('"INTERNAL SERVER ERROR"'), ['[ERROR 500] INTERNAL SERVER ERROR']);
      assert.deepEqual(await filter('?WARN ?INFO'), ['[WARN] slow', '[INFO] fine']);
      assert.deepEqual(await filter('ERROR -500'), ['[ERROR 400] BAD REQUEST']);
      assert.deepEqual(await filter('{ $.latency > 100 }'), [
        JSON.stringify({ level: 'error', latency: 120, user: { id: 7 } }),
      ]);
      assert.deepEqual(await filter('{ $.level = "inf*" && $.user.id = 8 }'), [
        JSON.stringify({ level: 'info', latency: 20, user: { id: 8 } }),
      ]);
      assert.deepEqual(await filter('[ip, id, user, ts, request, status = 4*, bytes]'), [
        '127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /index.html HTTP/1.0" 404 310',
      ]);
      const bad = await awsError(
        logs.send(new FilterLogEventsCommand({ logGroupName: g, filterPattern: '{ $.a = ' })),
      );
      assert.equal(bad.name, 'InvalidParameterException');
    });

    test('stream names, stream prefix, time range, and descending order', async () => {
      const byNames = await logs.send(
        new FilterLogEventsCommand({ logGroupName: g, logStreamNames: ['app/2', 'web/1'] }),
      );
      assert.deepEqual(
        byNames.events?.map((e) => e.logStreamName),
        ['app/2', 'web/1', 'app/2', 'web/1'],
      );
      const byPrefix = await logs.send(
        new FilterLogEventsCommand({ logGroupName: g, logStreamNamePrefix: 'app/' }),
      );
      assert.deepEqual(
        byPrefix.events?.map((e) => e.logStreamName),
        ['app/1', 'app/2', 'app/1', 'app/2', 'app/1'],
      );
      const range = await logs.send(
        new FilterLogEventsCommand({ logGroupName: g, startTime: t0 + 2, endTime: t0 + 4 }),
      );
      assert.deepEqual(
        range.events?.map((e) => e.timestamp),
        [t0 + 2, t0 + 3, t0 + 4, t0 + 4],
      );
      const newestFirst = await logs.send(
        new FilterLogEventsCommand({ logGroupName: g, startFromHead: false, limit: 3 }),
      );
      assert.deepEqual(
        newestFirst.events?.map((e) => e.timestamp),
        [t0 + 6, t0 + 5, t0 + 4],
      );
      const rest = await logs.send(
        new FilterLogEventsCommand({ logGroupName: g, nextToken: newestFirst.nextToken }),
      );
      assert.deepEqual(
        rest.events?.map((e) => e.timestamp),
        [t0 + 4, t0 + 3, t0 + 2, t0 + 1],
      );
      assert.deepEqual(
        await awsError(
          logs.send(
            new FilterLogEventsCommand({ logGroupName: g, logStreamNames: ['a'], logStreamNamePrefix: 'a' }),
          ),
        ),
        {
          name: 'InvalidParameterException',
          message: 'logStreamNames and logStreamNamePrefix are mutually exclusive parameters.',
          status: 400,
        },
      );
      assert.deepEqual(
        (await logs.send(new FilterLogEventsCommand({ logGroupName: g, logStreamNames: ['nope'] }))).events,
        [],
      );
    });

    test('pagination with nextToken visits every event once; errors', async () => {
      const seen: string[] = [];
      for await (const page of paginateFilterLogEvents({ client: logs, pageSize: 2 }, { logGroupName: g })) {
        assert.ok((page.events?.length ?? 0) <= 2);
        seen.push(...(page.events ?? []).map((e) => e.eventId as string));
      }
      assert.equal(seen.length, 7);
      assert.equal(new Set(seen).size, 7);
      assert.deepEqual(
        await awsError(logs.send(new FilterLogEventsCommand({ logGroupName: g, nextToken: 'unknown' }))),
        {
          name: 'InvalidParameterException',
          message: 'The specified nextToken is invalid.',
          status: 400,
        },
      );
      assert.deepEqual(
        await awsError(logs.send(new FilterLogEventsCommand({ logGroupName: g, limit: 10001 }))),
        {
          name: 'InvalidParameterException',
          message:
            "1 validation error detected: Value '10001' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 10000",
          status: 400,
        },
      );
      assert.equal(
        (await awsError(logs.send(new FilterLogEventsCommand({ logGroupName: 'nope' })))).name,
        'ResourceNotFoundException',
      );
    });

    test('the call pattern of `aws logs tail --follow`: startTime polls, nextToken, dedupe by eventId', async () => {
      const tg = await group('s');
      const start = Date.now() - 10 * 60_000;
      const shown = new Map<string, string>();
      let since = start;
      const poll = async () => {
        let nextToken: string | undefined;
        do {
          const page = await logs.send(
            new FilterLogEventsCommand({ logGroupName: tg, startTime: since, interleaved: true, nextToken }),
          );
          for (const e of page.events ?? []) {
            if (!shown.has(e.eventId as string)) shown.set(e.eventId as string, e.message as string);
            since = Math.max(since, e.timestamp as number);
          }
          nextToken = page.nextToken;
        } while (nextToken);
      };
      const now = Date.now();
      await put(tg, 's', [
        { timestamp: now, message: 'one' },
        { timestamp: now, message: 'two' },
      ]);
      await poll();
      await put(tg, 's', [
        { timestamp: now, message: 'three (same millisecond)' },
        { timestamp: now + 1, message: 'four' },
      ]);
      await poll();
      await poll();
      assert.deepEqual([...shown.values()], ['one', 'two', 'three (same millisecond)', 'four']);
    });
  });

  describe('the JSON protocol', () => {
    const target = (op: string) => ({
      'x-amz-target': `Logs_20140328.${op}`,
      'content-type': 'application/x-amz-json-1.1',
    });

    test('a successful answer is application/x-amz-json-1.1 with a request id', async () => {
      const res = await signedFetch(server.url, '/', {
        method: 'POST',
        service: 'logs',
        headers: target('DescribeLogGroups'),
        body: '{}',
      });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'application/x-amz-json-1.1');
      assert.match(res.headers.get('x-amzn-requestid') ?? '', /^[0-9a-f-]{36}$/);
      assert.ok(Array.isArray(((await res.json()) as { logGroups: unknown[] }).logGroups));
    });

    test('errors are {"__type", "message"} with their status', async () => {
      const res = await signedFetch(server.url, '/', {
        method: 'POST',
        service: 'logs',
        headers: target('DeleteLogGroup'),
        body: JSON.stringify({ logGroupName: 'no-such-group' }),
      });
      assert.equal(res.status, 400);
      assert.deepEqual(await res.json(), {
        __type: 'ResourceNotFoundException',
        message: 'The specified log group does not exist.',
      });
    });

    test('unknown or missing targets: Coral UnknownOperationException', async () => {
      for (const headers of [
        target('NoSuchOperation'),
        { 'x-amz-target': 'Logs_20140328', 'content-type': 'application/x-amz-json-1.1' },
      ]) {
        const res = await signedFetch(server.url, '/', {
          method: 'POST',
          service: 'logs',
          headers,
          body: '{}',
        });
        assert.equal(res.status, 400);
        assert.deepEqual(await res.json(), { __type: 'com.amazon.coral.service#UnknownOperationException' });
      }
      const missing = await signedFetch(server.url, '/', {
        method: 'POST',
        service: 'logs',
        headers: { 'content-type': 'application/x-amz-json-1.1' },
        body: '{}',
      });
      assert.equal(missing.status, 400);
      assert.deepEqual(await missing.json(), {
        __type: 'com.amazon.coral.service#UnknownOperationException',
      });
    });

    test('a body that is not a JSON object: Coral SerializationException', async () => {
      for (const body of ['{not json', '[1]', '']) {
        const res = await signedFetch(server.url, '/', {
          method: 'POST',
          service: 'logs',
          headers: target('DescribeLogGroups'),
          body,
        });
        assert.equal(res.status, 400, body);
        assert.deepEqual(await res.json(), { __type: 'com.amazon.coral.service#SerializationException' });
      }
      const wrongType = await signedFetch(server.url, '/', {
        method: 'POST',
        service: 'logs',
        headers: target('DescribeLogGroups'),
        body: JSON.stringify({ limit: 'ten' }),
      });
      assert.equal(wrongType.status, 400);
      assert.equal(
        ((await wrongType.json()) as { __type: string }).__type,
        'com.amazon.coral.service#SerializationException',
      );
    });

    test('a bad signature is a 403 in the JSON error shape', async () => {
      const res = await signedFetch(server.url, '/', {
        method: 'POST',
        service: 'logs',
        headers: target('DescribeLogGroups'),
        body: '{}',
        credentials: { accessKeyId: 'test', secretAccessKey: 'wrong' },
      });
      assert.equal(res.status, 403);
      assert.equal(((await res.json()) as { __type: string }).__type, 'InvalidSignatureException');
    });
  });
});
