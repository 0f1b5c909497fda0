/**
 * CloudWatch Logs retention (with an injected clock and sweep interval), durability across
 * restarts, and the platform's internal LogsApi, against a real listening gateway.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  DescribeLogGroupsCommand,
  DescribeLogStreamsCommand,
  FilterLogEventsCommand,
  GetLogEventsCommand,
  PutLogEventsCommand,
  PutRetentionPolicyCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { createGateway } from '../src/gateway/server.js';
import { createAuthorizer } from '../src/iam/authorizer.js';
import { createLogsService, type LogsService, type LogsServiceOptions } from '../src/services/logs/index.js';
import { parseConfig } from '../src/shared/config.js';
import { silentLogger } from '../src/shared/logger.js';
import { type Db, openDatabase } from '../src/storage/db.js';
import { removeDataDir, startServer } from './support/server.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const ACCOUNT = '000000000000';
const REGION = 'us-east-1';

interface LogsServer {
  url: string;
  client: CloudWatchLogsClient;
  logs: LogsService;
  stop(): Promise<void>;
}

/** A gateway serving only CloudWatch Logs, built with the test's clock and sweep interval. */
async function startLogsServer(dataDir: string, options: LogsServiceOptions = {}): Promise<LogsServer> {
  const config = parseConfig({ port: 0, dataDir });
  const db: Db = openDatabase(path.join(dataDir, 'lambent.db'));
  const logs = createLogsService({ db, logger: silentLogger }, options);
  const gateway = createGateway({
    config,
    services: [logs.service],
    logger: silentLogger,
    health: () => ({}),
    authorizer: createAuthorizer({
      enforced: true,
      logger: silentLogger,
      identityPolicies: { policiesOf: () => [] },
    }),
  });
  const address = await gateway.listen();
  const url = `http://127.0.0.1:${address.port}`;
  const client = new CloudWatchLogsClient({
    endpoint: url,
    region: REGION,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
  return {
    url,
    client,
    logs,
    async stop() {
      await gateway.close();
      await logs.service.close();
      db.close();
    },
  };
}

const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'lambent-logs-'));

async function until(check: () => Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('retention is enforced', () => {
  test('events past the retention are never returned, and the sweep deletes them', async () => {
    const dir = tempDir();
    let now = Date.now();
    const server = await startLogsServer(dir, { clock: () => now, retentionSweepMs: 60 * 60_000 });
    const logs = server.client;
    try {
      const t = now;
      await logs.send(new CreateLogGroupCommand({ logGroupName: 'kept' }));
      await logs.send(new CreateLogStreamCommand({ logGroupName: 'kept', logStreamName: 's' }));
      await logs.send(
        new PutLogEventsCommand({
          logGroupName: 'kept',
          logStreamName: 's',
          logEvents: [
            { timestamp: t - 2 * HOUR, message: 'old' },
            { timestamp: t, message: 'older' },
            { timestamp: t + HOUR, message: 'recent' },
          ],
        }),
      );
      await logs.send(new PutRetentionPolicyCommand({ logGroupName: 'kept', retentionInDays: 1 }));
      const storedBytes = async () =>
        (await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: 'kept' }))).logGroups?.[0]
          ?.storedBytes;
      assert.equal(await storedBytes(), 'old'.length + 'older'.length + 'recent'.length);

      now = t + DAY + 30 * 60_000; // a day and a half hour later: the first two are past retention
      const get = await logs.send(
        new GetLogEventsCommand({ logGroupName: 'kept', logStreamName: 's', startFromHead: true }),
      );
      assert.deepEqual(
        get.events?.map((e) => e.message),
        ['recent'],
      );
      const filtered = await logs.send(new FilterLogEventsCommand({ logGroupName: 'kept', startTime: 0 }));
      assert.deepEqual(
        filtered.events?.map((e) => e.message),
        ['recent'],
      );
      // Hidden, not yet deleted: the sweep has not run.
      assert.equal(await storedBytes(), 14);

      assert.equal(server.logs.sweepRetention(), 2);
      assert.equal(await storedBytes(), 'recent'.length);
      assert.equal(server.logs.sweepRetention(), 0);
      // PutLogEvents now reports events older than the retention as expired.
      const put = await logs.send(
        new PutLogEventsCommand({
          logGroupName: 'kept',
          logStreamName: 's',
          logEvents: [{ timestamp: t, message: 'late' }],
        }),
      );
      assert.deepEqual(put.rejectedLogEventsInfo, { expiredLogEventEndIndex: 0 });
    } finally {
      await server.stop();
      removeDataDir(dir);
    }
  });

  test('the periodic sweep runs on its own, only on groups with a retention', async () => {
    const dir = tempDir();
    let now = Date.now();
    const server = await startLogsServer(dir, { clock: () => now, retentionSweepMs: 20 });
    const { client: logs } = server;
    try {
      const t = now;
      for (const g of ['swept', 'forever']) {
        await logs.send(new CreateLogGroupCommand({ logGroupName: g }));
        await logs.send(new CreateLogStreamCommand({ logGroupName: g, logStreamName: 's' }));
        await logs.send(
          new PutLogEventsCommand({
            logGroupName: g,
            logStreamName: 's',
            logEvents: [{ timestamp: t, message: 'x' }],
          }),
        );
      }
      await logs.send(new PutRetentionPolicyCommand({ logGroupName: 'swept', retentionInDays: 3 }));
      now = t + 4 * DAY;
      await until(async () => {
        const groups = (await logs.send(new DescribeLogGroupsCommand({}))).logGroups ?? [];
        return groups.find((g) => g.logGroupName === 'swept')?.storedBytes === 0;
      });
      const forever = await logs.send(new FilterLogEventsCommand({ logGroupName: 'forever' }));
      assert.deepEqual(
        forever.events?.map((e) => e.message),
        ['x'],
      );
    } finally {
      await server.stop();
      removeDataDir(dir);
    }
  });
});

describe('durability', () => {
  test('events acknowledged by PutLogEvents survive a restart of the platform', async () => {
    let server = await startServer();
    try {
      const logs = server.logs();
      const now = Date.now();
      await logs.send(new CreateLogGroupCommand({ logGroupName: '/aws/lambda/durable' }));
      await logs.send(
        new CreateLogStreamCommand({ logGroupName: '/aws/lambda/durable', logStreamName: 's' }),
      );
      await logs.send(
        new PutLogEventsCommand({
          logGroupName: '/aws/lambda/durable',
          logStreamName: 's',
          logEvents: Array.from({ length: 100 }, (_, i) => ({ timestamp: now + i, message: `line ${i}` })),
        }),
      );
      const before = await logs.send(new FilterLogEventsCommand({ logGroupName: '/aws/lambda/durable' }));
      server = await server.restart();
      const after = await server
        .logs()
        .send(new FilterLogEventsCommand({ logGroupName: '/aws/lambda/durable' }));
      assert.equal(after.events?.length, 100);
      assert.deepEqual(after.events, before.events);
      const streams = await server
        .logs()
        .send(new DescribeLogStreamsCommand({ logGroupName: '/aws/lambda/durable' }));
      assert.equal(streams.logStreams?.[0]?.lastEventTimestamp, now + 99);
    } finally {
      await server.stop();
      removeDataDir(server.dataDir);
    }
  });

  test('events the internal API acknowledged survive a restart; event ids keep increasing', async () => {
    const dir = tempDir();
    let server = await startLogsServer(dir);
    try {
      const now = Date.now();
      await server.logs.api.append(ACCOUNT, REGION, '/aws/lambda/internal', '2024/01/01/[$LATEST]0123', [
        { timestamp: now, message: 'START RequestId: 1 Version: $LATEST\n' },
        { timestamp: now + 1, message: 'END RequestId: 1\n' },
      ]);
      await server.stop();
      server = await startLogsServer(dir);
      const got = await server.client.send(
        new FilterLogEventsCommand({ logGroupName: '/aws/lambda/internal' }),
      );
      assert.deepEqual(
        got.events?.map((e) => e.message),
        ['START RequestId: 1 Version: $LATEST\n', 'END RequestId: 1\n'],
      );
      await server.logs.api.append(ACCOUNT, REGION, '/aws/lambda/internal', '2024/01/01/[$LATEST]0123', [
        { timestamp: now + 2, message: 'next' },
      ]);
      const all = await server.client.send(
        new FilterLogEventsCommand({ logGroupName: '/aws/lambda/internal' }),
      );
      const ids = all.events?.map((e) => e.eventId as string) ?? [];
      assert.deepEqual([...ids].sort(), ids);
      assert.equal(new Set(ids).size, 3);
    } finally {
      await server.stop();
      removeDataDir(dir);
    }
  });
});

describe('the internal LogsApi', () => {
  let dir: string;
  let server: LogsServer;
  before(async () => {
    dir = tempDir();
    server = await startLogsServer(dir);
  });
  after(async () => {
    await server.stop();
    removeDataDir(dir);
  });

  test('append creates the group and stream, as Lambda does, and groups appends into one commit', async () => {
    const { api } = server.logs;
    const now = Date.now();
    const appends = Array.from({ length: 50 }, (_, i) =>
      api.append(ACCOUNT, REGION, '/aws/lambda/auto', `stream-${i % 3}`, [
        { timestamp: now + i, message: `line ${i}` },
        { timestamp: now + i, message: '' },
      ]),
    );
    await Promise.all(appends);
    const groups = await server.client.send(
      new DescribeLogGroupsCommand({ logGroupNamePrefix: '/aws/lambda/auto' }),
    );
    assert.equal(groups.logGroups?.length, 1);
    const streams = await server.client.send(
      new DescribeLogStreamsCommand({ logGroupName: '/aws/lambda/auto' }),
    );
    assert.deepEqual(
      streams.logStreams?.map((s) => s.logStreamName),
      ['stream-0', 'stream-1', 'stream-2'],
    );
    const events = await server.client.send(new FilterLogEventsCommand({ logGroupName: '/aws/lambda/auto' }));
    // Empty messages are skipped.
    assert.equal(events.events?.length, 50);
  });

  test('waitForEvents and readNew: a live tail sees new events in ingestion order', async () => {
    const { api } = server.logs;
    const cursor = api.currentCursor();
    assert.equal(
      await api.waitForEvents(ACCOUNT, REGION, '/aws/lambda/tail', { cursor, timeoutMs: 20 }),
      false,
    );
    const aborted = new AbortController();
    const waitAborted = api.waitForEvents(ACCOUNT, REGION, '/aws/lambda/tail', {
      cursor,
      timeoutMs: 10_000,
      signal: aborted.signal,
    });
    aborted.abort();
    assert.equal(await waitAborted, false);

    const woken = api.waitForEvents(ACCOUNT, REGION, '/aws/lambda/tail', { cursor, timeoutMs: 10_000 });
    const now = Date.now();
    void api.append(ACCOUNT, REGION, '/aws/lambda/tail', 'a', [{ timestamp: now, message: 'first' }]);
    assert.equal(await woken, true);
    // PutLogEvents wakes tails too.
    const first = api.readNew(ACCOUNT, REGION, '/aws/lambda/tail', { cursor });
    assert.deepEqual(
      first.events.map((e) => e.message),
      ['first'],
    );
    const woken2 = api.waitForEvents(ACCOUNT, REGION, '/aws/lambda/tail', {
      cursor: first.cursor,
      timeoutMs: 10_000,
    });
    await server.client.send(
      new CreateLogStreamCommand({ logGroupName: '/aws/lambda/tail', logStreamName: 'b' }),
    );
    await server.client.send(
      new PutLogEventsCommand({
        logGroupName: '/aws/lambda/tail',
        logStreamName: 'b',
        logEvents: [
          { timestamp: now - 5000, message: 'older timestamp, ingested later ERROR' },
          { timestamp: now - 4000, message: 'second' },
        ],
      }),
    );
    assert.equal(await woken2, true);
    const second = api.readNew(ACCOUNT, REGION, '/aws/lambda/tail', { cursor: first.cursor });
    assert.deepEqual(
      second.events.map((e) => [e.logStreamName, e.message]),
      [
        ['b', 'older timestamp, ingested later ERROR'],
        ['b', 'second'],
      ],
    );
    const filtered = api.readNew(ACCOUNT, REGION, '/aws/lambda/tail', { cursor, filterPattern: 'ERROR' });
    assert.deepEqual(
      filtered.events.map((e) => e.message),
      ['older timestamp, ingested later ERROR'],
    );
    assert.equal(filtered.cursor, second.cursor);
    assert.equal(
      await api.waitForEvents(ACCOUNT, REGION, '/aws/lambda/tail', { cursor: second.cursor, timeoutMs: 20 }),
      false,
    );
  });

  test('a large group pages through FilterLogEvents completely', async () => {
    const { api } = server.logs;
    const now = Date.now() - HOUR;
    const total = 30_000;
    const writes: Array<Promise<void>> = [];
    for (let i = 0; i < total; i += 500) {
      writes.push(
        api.append(
          ACCOUNT,
          REGION,
          '/aws/lambda/big',
          `s${(i / 500) % 4}`,
          Array.from({ length: 500 }, (_, j) => ({
            timestamp: now + i + j,
            message: `item ${i + j}${(i + j) % 1000 === 0 ? ' ERROR' : ''}`,
          })),
        ),
      );
    }
    await Promise.all(writes);
    let count = 0;
    let pages = 0;
    let nextToken: string | undefined;
    do {
      const page = await server.client.send(
        new FilterLogEventsCommand({ logGroupName: '/aws/lambda/big', nextToken }),
      );
      count += page.events?.length ?? 0;
      nextToken = page.nextToken;
      pages++;
    } while (nextToken);
    assert.equal(count, total);
    assert.ok(pages >= 3);
    const errors = api.filterEvents(ACCOUNT, REGION, '/aws/lambda/big', { filterPattern: 'ERROR' });
    assert.equal(errors.events.length, 30);
  });
});
