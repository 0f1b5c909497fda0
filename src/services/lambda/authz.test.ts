import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RequestContext } from '../../protocols/types.js';
import { lambdaContext, lambdaResources, statementPrincipals } from './authz.js';

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

test('the condition keys each Lambda request fills (service authorization reference)', () => {
  const layer = 'arn:aws:lambda:eu-west-1:123456789012:layer:deps:2';
  assert.deepEqual(
    lambdaContext('AddPermission', { Principal: 's3.amazonaws.com', FunctionUrlAuthType: 'NONE' }, ctx),
    { 'lambda:Principal': 's3.amazonaws.com', 'lambda:FunctionUrlAuthType': 'NONE' },
  );
  assert.deepEqual(
    lambdaContext(
      'CreateFunction',
      {
        Layers: [layer],
        VpcConfig: { SubnetIds: ['subnet-1'], SecurityGroupIds: ['sg-1', 'sg-2'] },
        Tags: { team: 'a' },
      },
      ctx,
    ),
    {
      'lambda:Layer': [layer],
      'lambda:SubnetIds': ['subnet-1'],
      'lambda:SecurityGroupIds': ['sg-1', 'sg-2'],
      'aws:RequestTag/team': 'a',
      'aws:TagKeys': ['team'],
    },
  );
  // Layers: [] removes the layers: an empty list, which ForAllValues conditions allow.
  assert.deepEqual(lambdaContext('UpdateFunctionConfiguration', { Layers: [] }, ctx), { 'lambda:Layer': [] });
  assert.deepEqual(lambdaContext('UntagResource', { TagKeys: ['a', 'b'] }, ctx), {
    'aws:TagKeys': ['a', 'b'],
  });
  assert.deepEqual(
    lambdaContext(
      'RemovePermission',
      { FunctionName: 'f', StatementId: 's1' },
      ctx,
      () => 'sns.amazonaws.com',
    ),
    { 'lambda:Principal': 'sns.amazonaws.com' },
  );
  assert.deepEqual(lambdaContext('GetFunction', { FunctionName: 'f' }, ctx), {});
  assert.deepEqual(
    lambdaContext('CreateFunctionUrlConfig', { FunctionName: 'f', Qualifier: 'live', AuthType: 'NONE' }, ctx),
    { 'lambda:FunctionUrlAuthType': 'NONE', 'lambda:FunctionArn': `${fn}:f` },
  );
  assert.deepEqual(lambdaContext('GetFunctionUrlConfig', { FunctionName: `${fn}:f:live` }, ctx), {
    'lambda:FunctionArn': `${fn}:f`,
  });
});

test("RemovePermission's lambda:Principal is read from the statement it removes", () => {
  const statements = [
    { Sid: 's3', Principal: { Service: 's3.amazonaws.com' } },
    { Sid: 'acct', Principal: { AWS: 'arn:aws:iam::210987654321:root' } },
    { Sid: 'any', Principal: '*' },
  ];
  const lookup = statementPrincipals({ getPolicy: () => ({ statements, revisionId: 'r' }) as never });
  assert.equal(lookup({ FunctionName: 'f', StatementId: 's3' }, ctx), 's3.amazonaws.com');
  assert.equal(lookup({ FunctionName: 'f', StatementId: 'acct' }, ctx), 'arn:aws:iam::210987654321:root');
  assert.equal(lookup({ FunctionName: 'f', StatementId: 'any' }, ctx), '*');
  assert.equal(lookup({ FunctionName: 'f', StatementId: 'none' }, ctx), undefined);
});
