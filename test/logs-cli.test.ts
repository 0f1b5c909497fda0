/**
 * CloudWatch Logs with the real AWS CLI v2: `aws logs tail` (once, and `--follow`, which polls
 * FilterLogEvents every 5 s with startTime and dedupes by eventId) and the plain commands.
 * Skipped when no AWS CLI v2 is installed (.ci/run installs Debian's awscli).
 */
import assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type CloudWatchLogsClient, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { awsCli, awsCliTool, cliEnvironment, findAwsCli } from './support/aws-cli.js';
import { removeDataDir, startServer, type TestServer } from './support/server.js';

const cli = findAwsCli();

describe('CloudWatch Logs with the AWS CLI', { skip: awsCliTool().skip }, () => {
  let server: TestServer;
  let logs: CloudWatchLogsClient;
  let home: string;
  let aws: (...args: string[]) => Promise<unknown>;
  const group = '/aws/lambda/cli-fn';
  const stream = '2024/01/01/[$LATEST]0123456789abcdef0123456789abcdef';

  before(async () => {
    server = await startServer();
    logs = server.logs();
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'lambent-cli-home-'));
    aws = awsCli(cli as string, server.url, home);
    await aws('logs', 'create-log-group', '--log-group-name', group);
    await aws('logs', 'create-log-stream', '--log-group-name', group, '--log-stream-name', stream);
  });
  after(async () => {
    await server.stop();
    removeDataDir(server.dataDir);
    fs.rmSync(home, { recursive: true, force: true });
  });

  const put = (...messages: string[]) =>
    logs.send(
      new PutLogEventsCommand({
        logGroupName: group,
        logStreamName: stream,
        logEvents: messages.map((message) => ({ timestamp: Date.now(), message })),
      }),
    );

  test('describe, get and filter commands', async () => {
    await put('START RequestId: abc Version: $LATEST\n', 'hello from the CLI test\n');
    const groups = (await aws(
      'logs',
      'describe-log-groups',
      '--log-group-name-prefix',
      '/aws/lambda/cli',
    )) as {
      logGroups: Array<{ logGroupName: string }>;
    };
    assert.deepEqual(
      groups.logGroups.map((g) => g.logGroupName),
      [group],
    );
    const got = (await aws(
      'logs',
      'get-log-events',
      '--log-group-name',
      group,
      '--log-stream-name',
      stream,
    )) as {
      events: Array<{ message: string }>;
      nextForwardToken: string;
    };
    assert.deepEqual(
      got.events.map((e) => e.message),
      ['START RequestId: abc Version: $LATEST\n', 'hello from the CLI test\n'],
    );
    assert.match(got.nextForwardToken, /^f\//);
    const filtered = (await aws(
      'logs',
      'filter-log-events',
      '--log-group-name',
      group,
      '--filter-pattern',
      'hello',
    )) as {
      events: Array<{ message: string; eventId: string }>;
    };
    assert.deepEqual(
      filtered.events.map((e) => e.message),
      ['hello from the CLI test\n'],
    );
  });

  test('`aws logs tail --follow` shows lines as they are written, each once', async () => {
    await put('before the tail\n');
    const tail: ChildProcessWithoutNullStreams = spawn(
      cli as string,
      [
        '--endpoint-url',
        server.url,
        'logs',
        'tail',
        group,
        '--follow',
        '--format',
        'short',
        '--since',
        '10m',
      ],
      {
        // The CLI block-buffers a pipe otherwise.
        env: { ...cliEnvironment(home), PYTHONUNBUFFERED: '1' },
      },
    );
    let out = '';
    let err = '';
    tail.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    tail.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const waitFor = async (text: string) => {
      const deadline = Date.now() + 20_000;
      while (!out.includes(text)) {
        if (Date.now() > deadline || tail.exitCode !== null)
          throw new Error(`tail never printed ${text}: ${out}${err}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    try {
      await waitFor('before the tail');
      await put('live line 1\n', 'live line 2\n');
      await waitFor('live line 2');
      await put('live line 3\n');
      await waitFor('live line 3');
    } finally {
      tail.kill();
    }
    const lines = out.split('\n').filter((l) => l.trim() !== '');
    for (const text of [
      'before the tail',
      'live line 1',
      'live line 2',
      'live line 3',
      'hello from the CLI test',
    ]) {
      assert.equal(lines.filter((l) => l.endsWith(text)).length, 1, `${text} once in:\n${out}`);
    }
  });
});
