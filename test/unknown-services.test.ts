/**
 * A request for a service Lambent does not serve gets an error in the protocol it spoke, so the
 * client's own parser reads it: Route 53 and CloudFront (rest-xml, as S3's errors), SNS/SQS (awsQuery XML), DynamoDB and newer SQS
 * clients (awsJson), API Gateway (rest-json). Checked with raw signed requests and, where it
 * is installed, the AWS CLI as a user runs it.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { XMLParser } from 'fast-xml-parser';
import { awsCliFailure, awsCliTool } from './support/aws-cli.js';
import { removeDataDir, startServer, type TestServer } from './support/server.js';
import { signedFetch } from './support/sign.js';

const xml = new XMLParser();

describe('services Lambent does not serve', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    await server.stop();
    removeDataDir(server.dataDir);
  });

  test('rest-xml (Route 53): an <Error> document with S3-style headers', async () => {
    const res = await signedFetch(server.url, '/2013-04-01/hostedzone', { service: 'route53' });
    assert.equal(res.status, 501);
    assert.match(res.headers.get('content-type') ?? '', /xml/);
    const doc = xml.parse(await res.text());
    assert.equal(doc.Error.Code, 'NotImplemented');
    assert.match(doc.Error.Message, /route53/);
    assert.equal(doc.Error.RequestId, res.headers.get('x-amz-request-id'));
  });

  test('SNS and SQS over awsQuery: an ErrorResponse document', async () => {
    for (const service of ['sns', 'sqs']) {
      const res = await signedFetch(server.url, '/', {
        method: 'POST',
        service,
        headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
        body: 'Action=CreateTopic&Name=t&Version=2010-03-31',
      });
      assert.equal(res.status, 501);
      const doc = xml.parse(await res.text());
      assert.equal(doc.ErrorResponse.Error.Code, 'NotImplemented', service);
      assert.equal(doc.ErrorResponse.Error.Type, 'Receiver');
      assert.match(doc.ErrorResponse.Error.Message, new RegExp(service));
    }
  });

  test('awsJson (X-Amz-Target): a JSON body with __type', async () => {
    const res = await signedFetch(server.url, '/', {
      method: 'POST',
      service: 'dynamodb',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'DynamoDB_20120810.ListTables',
      },
      body: '{}',
    });
    assert.equal(res.status, 501);
    assert.equal(res.headers.get('content-type'), 'application/x-amz-json-1.0');
    const doc = (await res.json()) as { __type: string; message: string };
    assert.equal(doc.__type, 'NotImplemented');
    assert.match(doc.message, /dynamodb/);
  });

  test('rest-json (AppSync): JSON with x-amzn-ErrorType', async () => {
    const res = await signedFetch(server.url, '/v1/apis', { service: 'appsync' });
    assert.equal(res.status, 501);
    assert.equal(res.headers.get('x-amzn-errortype'), 'NotImplemented');
    assert.match(((await res.json()) as { message: string }).message, /appsync/);
  });

  test('API Gateway v1 (REST APIs), which signs as apigateway like v2: served, and what is not yet is NotImplemented', async () => {
    const served = await signedFetch(server.url, '/restapis', { service: 'apigateway' });
    assert.equal(served.status, 200);
    const res = await signedFetch(server.url, '/usageplans', { service: 'apigateway' });
    assert.equal(res.status, 501);
    assert.equal(res.headers.get('x-amzn-errortype'), 'NotImplemented');
    assert.match(((await res.json()) as { message: string }).message, /API Gateway \(REST APIs\)/);
  });

  test('the AWS CLI prints the error, not a parse failure', { skip: awsCliTool().skip }, async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'lambent-cli-home-'));
    try {
      const fail = awsCliFailure(awsCliTool().path as string, server.url, home);
      for (const args of [
        ['route53', 'list-hosted-zones'],
        ['cloudfront', 'list-distributions'],
        ['sns', 'create-topic', '--name', 't'],
        ['sqs', 'create-queue', '--queue-name', 'q'],
        ['dynamodb', 'list-tables'],
      ]) {
        const stderr = await fail(...args);
        assert.match(stderr, /NotImplemented/, `${args.join(' ')}: ${stderr}`);
        assert.doesNotMatch(stderr, /Unable to parse|invalid XML/i, args.join(' '));
      }
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});
