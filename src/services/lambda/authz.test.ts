import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RequestContext } from '../../protocols/types.js';
import { lambdaResources } from './authz.js';

const ctx = { accountId: '123456789012', region: 'eu-west-1' } as RequestContext;
const fn = 'arn:aws:lambda:eu-west-1:123456789012:function';

test('the resource IAM checks for each kind of Lambda request', () => {
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['GetFunction', { FunctionName: 'f' }, `${fn}:f`],
    ['GetFunction', { FunctionName: 'f', Qualifier: 'live' }, `${fn}:f:live`],
    ['Invoke', { FunctionName: 'f:3' }, `${fn}:f:3`],
    ['Invoke', { FunctionName: '123456789012:function:f' }, `${fn}:f`],
    [
      'DeleteFunction',
      { FunctionName: 'arn:aws:lambda:us-west-2:210987654321:function:g' },
      'arn:aws:lambda:us-west-2:210987654321:function:g',
    ],
    ['CreateAlias', { FunctionName: 'f', Name: 'live' }, `${fn}:f`],
    [
      'GetLayerVersion',
      { LayerName: 'deps', VersionNumber: 2 },
      'arn:aws:lambda:eu-west-1:123456789012:layer:deps:2',
    ],
    ['PublishLayerVersion', { LayerName: 'deps' }, 'arn:aws:lambda:eu-west-1:123456789012:layer:deps'],
    [
      'GetLayerVersionByArn',
      { Arn: 'arn:aws:lambda:eu-west-1:123456789012:layer:deps:1' },
      'arn:aws:lambda:eu-west-1:123456789012:layer:deps:1',
    ],
    ['TagResource', { Resource: `${fn}:f`, Tags: {} }, `${fn}:f`],
    ['ListFunctions', {}, '*'],
    ['GetAccountSettings', {}, '*'],
    ['GetFunction', { FunctionName: '' }, '*'],
  ];
  for (const [op, input, expected] of cases)
    assert.deepEqual(lambdaResources(op, input, ctx), [expected], `${op} ${JSON.stringify(input)}`);
});
