/**
 * The outbox's Lambda deliverer against a real server: events recorded for a function are
 * invoked asynchronously as the service that caused them (here `s3.amazonaws.com` for a
 * bucket), so the function's resource policy decides — a permitted event runs (its record
 * appears in the function's log), one whose source the policy does not name and one for a
 * function that does not exist are dropped, never retried.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { AddPermissionCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import {
  createLambdaDeliverer,
  LAMBDA_KIND,
  lambdaEntry,
} from '../src/event-sources/outbox/lambda-deliverer.js';
import { createOutbox, type Deliverer, type Delivery } from '../src/event-sources/outbox/outbox.js';
import type { Logger } from '../src/shared/logger.js';
import { openDatabase } from '../src/storage/db.js';
import { deployNode } from './support/functions.js';
import { removeDataDir, startServer, type TestServer } from './support/server.js';

const ACCOUNT = '000000000000';
const REGION = 'us-east-1';
const fnArn = (name: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;

describe('outbox: delivery to Lambda functions', () => {
  let server: TestServer;
  let lambda: LambdaClient;
  let dir: string;

  before(async () => {
    server = await startServer();
    lambda = server.lambda();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lambent-outbox-it-'));
    await deployNode(
      lambda,
      'on-upload',
      "exports.handler = async (event) => { console.log('GOT ' + JSON.stringify(event)); };",
    );
    await lambda.send(
      new AddPermissionCommand({
        FunctionName: 'on-upload',
        StatementId: 's3',
        Action: 'lambda:InvokeFunction',
        Principal: 's3.amazonaws.com',
        SourceArn: 'arn:aws:s3:::uploads',
        SourceAccount: ACCOUNT,
      }),
    );
  });
  after(async () => {
    lambda?.destroy();
    await server?.stop();
    if (server) removeDataDir(server.dataDir);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a permitted event runs the function; a refused or unknown target is dropped once', {
    timeout: 60_000,
  }, async () => {
    const db = openDatabase(path.join(dir, 'outbox.db'));
    const warnings: string[] = [];
    const logger: Logger = { info() {}, warn: (m) => warnings.push(m), error() {} };
    const outcomes: Array<[string, Delivery['kind']]> = [];
    const lambdaDeliverer = createLambdaDeliverer(server.lambent.functions);
    const counted: Deliverer = async (entry) => {
      const outcome = await lambdaDeliverer(entry);
      outcomes.push([entry.payload.toString().match(/"key":"([^"]+)"/)?.[1] ?? '', outcome.kind]);
      return outcome;
    };
    const outbox = createOutbox({ db, logger });
    outbox.start({ [LAMBDA_KIND]: counted });
    const target = (functionArn: string, sourceArn: string) => ({
      accountId: ACCOUNT,
      region: REGION,
      functionArn,
      service: 's3.amazonaws.com',
      sourceArn,
      sourceAccount: ACCOUNT,
    });
    const event = (key: string) => Buffer.from(JSON.stringify({ Records: [{ s3: { object: { key } } }] }));
    db.transaction(() =>
      outbox.record([
        lambdaEntry(target(fnArn('on-upload'), 'arn:aws:s3:::uploads'), event('allowed.txt')),
        lambdaEntry(target(fnArn('on-upload'), 'arn:aws:s3:::elsewhere'), event('refused.txt')),
        lambdaEntry(target(fnArn('no-such-function'), 'arn:aws:s3:::uploads'), event('lost.txt')),
      ]),
    )();
    await outbox.drained();
    // Delivered concurrently: in any order, each once.
    assert.deepEqual(
      new Map(outcomes),
      new Map([
        ['allowed.txt', 'delivered'],
        ['refused.txt', 'dropped'],
        ['lost.txt', 'dropped'],
      ]),
    );
    assert.equal(outcomes.length, 3);
    assert.equal(outbox.pending(), 0);
    assert.equal(warnings.length, 2);
    assert.ok(
      warnings.some((w) => /s3\.amazonaws\.com cannot invoke .*on-upload: AccessDeniedException/.test(w)),
    );
    assert.ok(warnings.some((w) => /no-such-function: ResourceNotFoundException/.test(w)));

    // The permitted event ran asynchronously: its record is in the function's log.
    const logs = server.logs();
    const seen = async () => {
      try {
        const out = await logs.send(
          new FilterLogEventsCommand({ logGroupName: '/aws/lambda/on-upload', filterPattern: '"GOT"' }),
        );
        return (out.events ?? []).map((e) => e.message ?? '');
      } catch (err) {
        if ((err as Error).name === 'ResourceNotFoundException') return [];
        throw err;
      }
    };
    for (const deadline = Date.now() + 30_000; ; ) {
      const lines = await seen();
      if (lines.length > 0) {
        assert.equal(lines.length, 1);
        assert.match(lines[0] ?? '', /allowed\.txt/);
        break;
      }
      assert.ok(Date.now() < deadline, 'the event reached the function');
      await new Promise((r) => setTimeout(r, 50));
    }
    await outbox.close();
    db.close();
  });
});
