/**
 * S3 events into a real outbox (SQLite file): the entries commit with the write that caused them
 * and reach the Lambda deliverer's kind with S3's principal, SourceArn and SourceAccount.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { silentLogger } from '../../../shared/logger.js';
import { openDatabase } from '../../../storage/db.js';
import { LAMBDA_KIND } from '../../outbox/lambda-deliverer.js';
import { createOutbox, type StoredEntry } from '../../outbox/outbox.js';
import type { NotificationConfiguration } from './configuration.js';
import { EVENTBRIDGE_KIND, notificationEntries, SQS_KIND } from './outbox-entries.js';
import type { S3EventRecord, S3ObjectEvent } from './records.js';

const FUNCTION = 'arn:aws:lambda:eu-west-1:222222222222:function:thumbs:live';
const QUEUE = 'arn:aws:sqs:us-east-1:111111111111:q';

const config: NotificationConfiguration = {
  QueueConfigurations: [{ Id: 'q1', QueueArn: QUEUE, Events: ['s3:ObjectCreated:*'] }],
  LambdaFunctionConfigurations: [
    { Id: 'f1', LambdaFunctionArn: FUNCTION, Events: ['s3:ObjectCreated:*'] },
    {
      Id: 'f2',
      LambdaFunctionArn: FUNCTION,
      Events: ['s3:ObjectCreated:Put'],
      Filter: { Key: { FilterRules: [{ Name: 'Suffix', Value: '.jpg' }] } },
    },
  ],
  EventBridgeConfiguration: {},
};

function put(key: string): S3ObjectEvent {
  return {
    eventName: 's3:ObjectCreated:Put',
    time: new Date('2025-01-21T23:20:27.123Z'),
    region: 'us-east-1',
    bucket: { name: 'photos', ownerPrincipalId: 'OWNER', ownerAccountId: '111111111111' },
    object: { key, size: 3, eTag: 'e', sequencer: '000000000000000001' },
    requester: { principalId: 'AWS:AIDAEXAMPLE', accountId: '111111111111' },
    sourceIp: '127.0.0.1',
    requestId: 'R',
    hostId: 'H',
  };
}

test('one entry per matching configuration; queues and EventBridge only where they exist', () => {
  const lambdaOnly = notificationEntries(config, put('a.jpg'));
  assert.deepEqual(
    lambdaOnly.map((e) => [
      e.kind,
      (JSON.parse(e.payload.toString()) as { Records: S3EventRecord[] }).Records[0]?.s3.configurationId,
    ]),
    [
      [LAMBDA_KIND, 'f1'],
      [LAMBDA_KIND, 'f2'],
    ],
  );
  assert.deepEqual(lambdaOnly[0]?.target, {
    accountId: '222222222222',
    region: 'eu-west-1',
    functionArn: FUNCTION,
    service: 's3.amazonaws.com',
    sourceArn: 'arn:aws:s3:::photos',
    sourceAccount: '111111111111',
  });
  const all = notificationEntries(config, put('a.png'), { queues: true, topics: true, eventBridge: true });
  assert.deepEqual(
    all.map((e) => e.kind),
    [SQS_KIND, LAMBDA_KIND, EVENTBRIDGE_KIND],
  );
  assert.equal(JSON.parse(all[2]?.payload.toString() ?? '{}')['detail-type'], 'Object Created');
});

test('recorded in the write’s transaction: a rolled-back write leaves no event; a committed one is delivered', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lambent-s3notify-'));
  const db = openDatabase(path.join(dir, 'state.db'));
  try {
    db.exec('CREATE TABLE objects (key TEXT PRIMARY KEY)');
    const outbox = createOutbox({ db, logger: silentLogger });
    const delivered: StoredEntry[] = [];
    outbox.start({
      [LAMBDA_KIND]: async (e) => {
        delivered.push(e);
        return { kind: 'delivered' };
      },
    });
    const insert = db.prepare('INSERT INTO objects (key) VALUES (?)');
    const putObject = db.transaction((key: string) => {
      insert.run(key);
      outbox.record(notificationEntries(config, put(key)));
    });
    putObject('a.jpg');
    assert.throws(() => putObject('a.jpg'), /UNIQUE/);
    putObject('b.txt');
    await outbox.drained();
    assert.deepEqual(
      delivered.map((e) => {
        const r = (JSON.parse(e.payload.toString()) as { Records: S3EventRecord[] }).Records[0];
        return [r?.s3.object.key, r?.s3.configurationId];
      }),
      [
        ['a.jpg', 'f1'],
        ['a.jpg', 'f2'],
        ['b.txt', 'f1'],
      ],
    );
    await outbox.close();
  } finally {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
