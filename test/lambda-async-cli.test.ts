/**
 * Event invoke configs with the real AWS CLI: put, get, update, list, delete, and the
 * config ending with its function.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { awsCli, awsCliTool, createNodeFunctionArgs, findAwsCli } from './support/aws-cli.js';
import { removeDataDir, startServer } from './support/server.js';
import { NODE_HANDLER, zipOf } from './support/zips.js';

const cli = findAwsCli();

test('AWS CLI: event invoke configs', {
  skip: awsCliTool().skip,
  timeout: 120_000,
}, async () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'lambent-awscli-eic-'));
  const zipPath = path.join(home, 'code.zip');
  fs.writeFileSync(zipPath, await zipOf({ 'index.js': NODE_HANDLER }));
  const server = await startServer();
  try {
    const aws = awsCli(cli as string, server.url, home);
    for (const name of ['eic-fn', 'eic-dest']) {
      await aws(...createNodeFunctionArgs(name, zipPath));
    }
    const destArn = 'arn:aws:lambda:us-east-1:000000000000:function:eic-dest';
    const put = (await aws(
      'lambda',
      'put-function-event-invoke-config',
      '--function-name',
      'eic-fn',
      '--maximum-retry-attempts',
      '1',
      '--maximum-event-age-in-seconds',
      '300',
      '--destination-config',
      JSON.stringify({ OnFailure: { Destination: destArn } }),
    )) as Record<string, unknown>;
    assert.equal(put.FunctionArn, 'arn:aws:lambda:us-east-1:000000000000:function:eic-fn:$LATEST');
    assert.equal(put.MaximumRetryAttempts, 1);
    assert.equal(put.MaximumEventAgeInSeconds, 300);
    assert.deepEqual(put.DestinationConfig, { OnSuccess: {}, OnFailure: { Destination: destArn } });
    assert.equal(typeof put.LastModified, 'string', 'the CLI prints the timestamp');

    const updated = (await aws(
      'lambda',
      'update-function-event-invoke-config',
      '--function-name',
      'eic-fn',
      '--maximum-retry-attempts',
      '0',
    )) as Record<string, unknown>;
    assert.equal(updated.MaximumRetryAttempts, 0);
    assert.equal(updated.MaximumEventAgeInSeconds, 300, 'update keeps what it does not name');

    const got = (await aws(
      'lambda',
      'get-function-event-invoke-config',
      '--function-name',
      'eic-fn',
    )) as Record<string, unknown>;
    assert.deepEqual(got, updated);
    const listed = (await aws(
      'lambda',
      'list-function-event-invoke-configs',
      '--function-name',
      'eic-fn',
    )) as {
      FunctionEventInvokeConfigs: unknown[];
    };
    assert.equal(listed.FunctionEventInvokeConfigs.length, 1);

    // Out of range: AWS's ValidationException, which the CLI reports and exits non-zero on.
    await assert.rejects(
      aws(
        'lambda',
        'put-function-event-invoke-config',
        '--function-name',
        'eic-fn',
        '--maximum-retry-attempts',
        '3',
      ),
      /ValidationException.*maximumRetryAttempts.*less than or equal to 2/s,
    );

    await aws('lambda', 'delete-function-event-invoke-config', '--function-name', 'eic-fn');
    await assert.rejects(
      aws('lambda', 'get-function-event-invoke-config', '--function-name', 'eic-fn'),
      /ResourceNotFoundException.*doesn't have an EventInvokeConfig/s,
    );

    // A version's config ends with the version, an alias's with the alias.
    const published = (await aws('lambda', 'publish-version', '--function-name', 'eic-fn')) as {
      Version: string;
    };
    await aws(
      'lambda',
      'create-alias',
      '--function-name',
      'eic-fn',
      '--name',
      'live',
      '--function-version',
      published.Version,
    );
    for (const q of [published.Version, 'live']) {
      await aws(
        'lambda',
        'put-function-event-invoke-config',
        '--function-name',
        'eic-fn',
        '--qualifier',
        q,
        '--maximum-retry-attempts',
        '1',
      );
    }
    const arnsOf = async () =>
      (
        (await aws('lambda', 'list-function-event-invoke-configs', '--function-name', 'eic-fn')) as {
          FunctionEventInvokeConfigs: Array<{ FunctionArn: string }>;
        }
      ).FunctionEventInvokeConfigs.map((c) => c.FunctionArn.split(':').pop());
    assert.deepEqual(await arnsOf(), [published.Version, 'live']);
    await aws('lambda', 'delete-alias', '--function-name', 'eic-fn', '--name', 'live');
    await aws('lambda', 'delete-function', '--function-name', 'eic-fn', '--qualifier', published.Version);
    assert.deepEqual(await arnsOf(), []);

    // A config ends with its function: a new function of the same name starts without one.
    await aws(
      'lambda',
      'put-function-event-invoke-config',
      '--function-name',
      'eic-fn',
      '--maximum-retry-attempts',
      '2',
    );
    await aws('lambda', 'delete-function', '--function-name', 'eic-fn');
    await aws(...createNodeFunctionArgs('eic-fn', zipPath));
    const after = (await aws(
      'lambda',
      'list-function-event-invoke-configs',
      '--function-name',
      'eic-fn',
    )) as {
      FunctionEventInvokeConfigs: unknown[];
    };
    assert.deepEqual(after.FunctionEventInvokeConfigs, []);
  } finally {
    await server.stop();
    removeDataDir(server.dataDir);
    fs.rmSync(home, { recursive: true, force: true });
  }
});
