/**
 * Aliases the way a user drives them: the real SDK against a real server with real sandboxes.
 * The control plane (create, read, update with RevisionId, list with filter and paging,
 * delete), persistence across a restart, invoking through an alias (synchronous and
 * asynchronous) with `X-Amz-Executed-Version`, weighted routing within statistical tolerance,
 * reads and resource policies through an alias, and DeleteFunction's rules around aliases.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  AddPermissionCommand,
  CreateAliasCommand,
  CreateFunctionCommand,
  DeleteAliasCommand,
  DeleteFunctionCommand,
  GetAliasCommand,
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  GetPolicyCommand,
  InvokeCommand,
  type InvokeCommandOutput,
  type LambdaClient,
  ListAliasesCommand,
  PublishVersionCommand,
  RemovePermissionCommand,
  UpdateAliasCommand,
  UpdateFunctionCodeCommand,
} from '@aws-sdk/client-lambda';
import { pickVersion } from '../src/services/lambda/operations/aliases.js';
import { removeDataDir, startServer, type TestServer } from './support/server.js';
import { active, updated } from './support/wait.js';
import { zipOf } from './support/zips.js';

const ROLE = 'arn:aws:iam::000000000000:role/r';
const ARN_PREFIX = 'arn:aws:lambda:us-east-1:000000000000:function:';

/** A Node function that says which code ran, which version the runtime was told, and the ARN it was invoked by. */
const handlerZip = (mark: string) =>
  zipOf({
    'index.js': [
      'exports.handler = async (event, context) => {',
      `  console.log('ran ${mark} as version ' + context.functionVersion);`,
      `  return { mark: '${mark}', version: context.functionVersion, arn: context.invokedFunctionArn };`,
      '};',
      '',
    ].join('\n'),
  });

type Ran = { mark: string; version: string; arn: string };
const payload = (out: InvokeCommandOutput): Ran =>
  JSON.parse(Buffer.from(out.Payload ?? new Uint8Array()).toString('utf8'));

/** The error an SDK call throws (name, message, status), or fails if it succeeds. */
async function failure(
  promise: Promise<unknown>,
): Promise<{ name: string; message: string; status?: number }> {
  try {
    await promise;
  } catch (err) {
    const e = err as Error & { $metadata?: { httpStatusCode?: number } };
    return { name: e.name, message: e.message, status: e.$metadata?.httpStatusCode };
  }
  assert.fail('expected the call to fail');
}

describe('aliases', () => {
  let server: TestServer;
  let lambda: LambdaClient;

  before(async () => {
    server = await startServer();
    lambda = server.lambda();
  });
  after(async () => {
    lambda.destroy();
    await server.stop();
    removeDataDir(server.dataDir);
  });

  /** A function with versions 1 (code "v1") and 2 (code "v2"); $LATEST runs "v2". */
  async function twoVersions(name: string): Promise<void> {
    await lambda.send(
      new CreateFunctionCommand({
        FunctionName: name,
        Runtime: 'nodejs20.x',
        Handler: 'index.handler',
        Role: ROLE,
        Code: { ZipFile: await handlerZip('v1') },
        Publish: true,
      }),
    );
    await active(lambda, name);
    await lambda.send(new UpdateFunctionCodeCommand({ FunctionName: name, ZipFile: await handlerZip('v2') }));
    await updated(lambda, name);
    const v2 = await lambda.send(new PublishVersionCommand({ FunctionName: name }));
    assert.equal(v2.Version, '2');
  }

  const invoke = (FunctionName: string, Qualifier?: string) =>
    lambda.send(new InvokeCommand({ FunctionName, Qualifier, Payload: Buffer.from('{}') }));

  test('create, get, update with RevisionId, list with filter and paging, delete', async () => {
    const name = 'alias-crud';
    await twoVersions(name);
    const live = await lambda.send(
      new CreateAliasCommand({ FunctionName: name, Name: 'live', FunctionVersion: '1', Description: 'prod' }),
    );
    assert.equal(live.AliasArn, `${ARN_PREFIX}${name}:live`);
    assert.equal(live.FunctionVersion, '1');
    assert.equal(live.Description, 'prod');
    assert.equal(live.RoutingConfig, undefined);
    assert.match(String(live.RevisionId), /^[0-9a-f-]{36}$/);

    const conflict = await failure(
      lambda.send(new CreateAliasCommand({ FunctionName: name, Name: 'live', FunctionVersion: '2' })),
    );
    assert.deepEqual(conflict, {
      name: 'ResourceConflictException',
      message: `Alias already exists: ${ARN_PREFIX}${name}:live`,
      status: 409,
    });
    const numeric = await failure(
      lambda.send(new CreateAliasCommand({ FunctionName: name, Name: '42', FunctionVersion: '1' })),
    );
    assert.equal(numeric.name, 'ValidationException');
    const missingVersion = await failure(
      lambda.send(new CreateAliasCommand({ FunctionName: name, Name: 'later', FunctionVersion: '9' })),
    );
    assert.equal(missingVersion.message, `Function not found: ${ARN_PREFIX}${name}:9`);

    await lambda.send(new CreateAliasCommand({ FunctionName: name, Name: 'beta', FunctionVersion: '2' }));
    await lambda.send(new CreateAliasCommand({ FunctionName: name, Name: 'canary', FunctionVersion: '1' }));
    await lambda.send(
      new CreateAliasCommand({ FunctionName: name, Name: 'edge', FunctionVersion: '$LATEST' }),
    );

    const got = await lambda.send(new GetAliasCommand({ FunctionName: name, Name: 'live' }));
    assert.equal(got.RevisionId, live.RevisionId);
    const byArn = await lambda.send(
      new GetAliasCommand({ FunctionName: `${ARN_PREFIX}${name}`, Name: 'live' }),
    );
    assert.equal(byArn.AliasArn, live.AliasArn);

    // RevisionId guards an update; every update gives a new one.
    const stale = await failure(
      lambda.send(new UpdateAliasCommand({ FunctionName: name, Name: 'live', RevisionId: 'not-it' })),
    );
    assert.equal(stale.name, 'PreconditionFailedException');
    assert.equal(stale.status, 412);
    const moved = await lambda.send(
      new UpdateAliasCommand({
        FunctionName: name,
        Name: 'live',
        FunctionVersion: '2',
        RevisionId: live.RevisionId,
      }),
    );
    assert.equal(moved.FunctionVersion, '2');
    assert.equal(moved.Description, 'prod', 'an update keeps what it does not name');
    assert.notEqual(moved.RevisionId, live.RevisionId);
    const shifted = await lambda.send(
      new UpdateAliasCommand({
        FunctionName: name,
        Name: 'canary',
        RoutingConfig: { AdditionalVersionWeights: { '2': 0.25 } },
      }),
    );
    assert.deepEqual(shifted.RoutingConfig, { AdditionalVersionWeights: { '2': 0.25 } });
    const latestShift = await failure(
      lambda.send(
        new UpdateAliasCommand({
          FunctionName: name,
          Name: 'edge',
          RoutingConfig: { AdditionalVersionWeights: { '1': 0.5 } },
        }),
      ),
    );
    assert.equal(
      latestShift.message,
      '$LATEST is not supported for an alias pointing to more than 1 version',
    );
    const absent = await failure(lambda.send(new UpdateAliasCommand({ FunctionName: name, Name: 'nope' })));
    assert.equal(absent.message, `Alias not found: ${ARN_PREFIX}${name}:nope`);

    const all = await lambda.send(new ListAliasesCommand({ FunctionName: name }));
    assert.deepEqual(
      all.Aliases?.map((a) => a.Name),
      ['beta', 'canary', 'edge', 'live'],
    );
    const onTwo = await lambda.send(new ListAliasesCommand({ FunctionName: name, FunctionVersion: '2' }));
    assert.deepEqual(
      onTwo.Aliases?.map((a) => a.Name),
      ['beta', 'live'],
    );
    const pages: string[][] = [];
    let marker: string | undefined;
    do {
      const page = await lambda.send(
        new ListAliasesCommand({ FunctionName: name, MaxItems: 3, Marker: marker }),
      );
      pages.push((page.Aliases ?? []).map((a) => String(a.Name)));
      marker = page.NextMarker;
    } while (marker);
    assert.deepEqual(pages, [['beta', 'canary', 'edge'], ['live']]);

    await lambda.send(new DeleteAliasCommand({ FunctionName: name, Name: 'beta' }));
    await lambda.send(new DeleteAliasCommand({ FunctionName: name, Name: 'beta' })); // absent: still 204
    const gone = await failure(lambda.send(new GetAliasCommand({ FunctionName: name, Name: 'beta' })));
    assert.deepEqual(gone, {
      name: 'ResourceNotFoundException',
      message: `Cannot find alias arn: ${ARN_PREFIX}${name}:beta`,
      status: 404,
    });
    const noFunction = await failure(lambda.send(new ListAliasesCommand({ FunctionName: 'no-such-fn' })));
    assert.equal(noFunction.message, `Function not found: ${ARN_PREFIX}no-such-fn`);
  });

  test('invoke through an alias runs its version and says so in X-Amz-Executed-Version', async () => {
    const name = 'alias-invoke';
    await twoVersions(name);
    await lambda.send(new CreateAliasCommand({ FunctionName: name, Name: 'live', FunctionVersion: '1' }));

    for (const [fn, qualifier] of [
      [name, 'live'],
      [`${name}:live`, undefined],
      [`${ARN_PREFIX}${name}:live`, undefined],
    ] as const) {
      const out = await invoke(fn, qualifier);
      assert.equal(out.ExecutedVersion, '1');
      assert.deepEqual(payload(out), { mark: 'v1', version: '1', arn: `${ARN_PREFIX}${name}:live` });
    }
    // $LATEST moves on without the alias.
    const latest = await invoke(name);
    assert.equal(latest.ExecutedVersion, '$LATEST');
    assert.equal(payload(latest).mark, 'v2');

    await lambda.send(new UpdateAliasCommand({ FunctionName: name, Name: 'live', FunctionVersion: '2' }));
    const moved = await invoke(name, 'live');
    assert.equal(moved.ExecutedVersion, '2');
    assert.equal(payload(moved).mark, 'v2');

    const missing = await failure(invoke(name, 'nope'));
    assert.deepEqual(missing, {
      name: 'ResourceNotFoundException',
      message: `Function not found: ${ARN_PREFIX}${name}:nope`,
      status: 404,
    });
  });

  test('weighted routing: 1000 invocations at weight 0.3 run the additional version 20–40 % of the time', async () => {
    const name = 'alias-weights';
    await twoVersions(name);
    await lambda.send(
      new CreateAliasCommand({
        FunctionName: name,
        Name: 'shift',
        FunctionVersion: '1',
        RoutingConfig: { AdditionalVersionWeights: { '2': 0.3 } },
      }),
    );
    // Version 2 runs Binomial(1000, 0.3) times: mean 300, sd 14.5. Outside [200, 400] is
    // 6.9 sd away: the exact binomial tail is 7.3e-12, so a correct router practically never
    // fails this, while a router that ignores the weight (0 or 1000) or inverts it (~700) always does.
    const N = 1000;
    const counts: Record<string, number> = {};
    let next = 0;
    const worker = async () => {
      while (next < N) {
        next++;
        const out = await invoke(name, 'shift');
        const ran = payload(out);
        // The header names the version that ran: its code and what its runtime was told agree.
        assert.equal(ran.version, out.ExecutedVersion);
        assert.equal(ran.mark, out.ExecutedVersion === '2' ? 'v2' : 'v1');
        counts[String(out.ExecutedVersion)] = (counts[String(out.ExecutedVersion)] ?? 0) + 1;
      }
    };
    await Promise.all(Array.from({ length: 4 }, worker));
    assert.equal((counts['1'] ?? 0) + (counts['2'] ?? 0), N, JSON.stringify(counts));
    const share = (counts['2'] ?? 0) / N;
    assert.ok(
      share >= 0.2 && share <= 0.4,
      `version 2 ran ${share * 100} % of the time (${JSON.stringify(counts)})`,
    );

    // The draw itself: below the weight picks the additional version, from it on the alias's own.
    const alias = {
      alias: 'a',
      functionVersion: '1',
      description: '',
      weights: { '2': 0.3 },
      revisionId: 'r',
    };
    assert.equal(
      pickVersion(alias, () => 0.29),
      '2',
    );
    assert.equal(
      pickVersion(alias, () => 0.3),
      '1',
    );
    assert.equal(
      pickVersion({ ...alias, weights: { '2': 0 } }, () => 0),
      '1',
    );
  });

  test('asynchronous invocations through an alias run the alias version', async () => {
    const name = 'alias-async';
    await twoVersions(name);
    await lambda.send(new CreateAliasCommand({ FunctionName: name, Name: 'live', FunctionVersion: '1' }));
    // Named by Qualifier and by `name:alias`.
    for (const [FunctionName, Qualifier] of [
      [name, 'live'],
      [`${name}:live`, undefined],
    ]) {
      const accepted = await lambda.send(
        new InvokeCommand({ FunctionName, Qualifier, InvocationType: 'Event', Payload: Buffer.from('{}') }),
      );
      assert.equal(accepted.StatusCode, 202);
    }
    const logs = server.logs();
    try {
      const deadline = Date.now() + 15_000;
      let lines: string[] = [];
      while (Date.now() < deadline) {
        // The log group appears with the environment's first output.
        const found = await logs
          .send(
            new FilterLogEventsCommand({
              logGroupName: `/aws/lambda/${name}`,
              filterPattern: '"ran v1 as version 1"',
            }),
          )
          .catch(() => ({ events: [] }));
        lines = (found.events ?? []).map((e) => String(e.message));
        if (lines.length >= 2) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(lines.length, 2, 'each event ran once, as version 1');
    } finally {
      logs.destroy();
    }
  });

  test('GetFunction and GetFunctionConfiguration through an alias show the version it points to', async () => {
    const name = 'alias-read';
    await twoVersions(name);
    await lambda.send(new CreateAliasCommand({ FunctionName: name, Name: 'live', FunctionVersion: '1' }));
    const v1 = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name, Qualifier: '1' }));
    const byQualifier = await lambda.send(new GetFunctionCommand({ FunctionName: name, Qualifier: 'live' }));
    const byArn = await lambda.send(
      new GetFunctionConfigurationCommand({ FunctionName: `${ARN_PREFIX}${name}:live` }),
    );
    for (const c of [byQualifier.Configuration, byArn]) {
      assert.equal(c?.FunctionArn, `${ARN_PREFIX}${name}:live`);
      assert.equal(c?.Version, '1');
      assert.equal(c?.CodeSha256, v1.CodeSha256);
      assert.equal(c?.RevisionId, v1.RevisionId);
    }
    const missing = await failure(
      lambda.send(new GetFunctionCommand({ FunctionName: name, Qualifier: 'nope' })),
    );
    assert.equal(missing.message, `Function not found: ${ARN_PREFIX}${name}:nope`);
  });

  test('resource policies belong to one alias', async () => {
    const name = 'alias-policy';
    await twoVersions(name);
    const alias = await lambda.send(
      new CreateAliasCommand({ FunctionName: name, Name: 'live', FunctionVersion: '1' }),
    );
    const statement = {
      StatementId: 'sns',
      Action: 'lambda:InvokeFunction',
      Principal: 'sns.amazonaws.com',
    };
    const added = await lambda.send(
      new AddPermissionCommand({
        ...statement,
        FunctionName: name,
        Qualifier: 'live',
        RevisionId: alias.RevisionId,
      }),
    );
    assert.equal(JSON.parse(String(added.Statement)).Resource, `${ARN_PREFIX}${name}:live`);
    const policy = await lambda.send(new GetPolicyCommand({ FunctionName: `${name}:live` }));
    assert.equal(JSON.parse(String(policy.Policy)).Statement.length, 1);
    // The policy's RevisionId is now the alias's too.
    const after = await lambda.send(new GetAliasCommand({ FunctionName: name, Name: 'live' }));
    assert.equal(after.RevisionId, policy.RevisionId);
    assert.notEqual(after.RevisionId, alias.RevisionId);
    // Neither the version it points to nor $LATEST has it.
    for (const qualifier of ['1', undefined]) {
      const none = await failure(
        lambda.send(new GetPolicyCommand({ FunctionName: name, Qualifier: qualifier })),
      );
      assert.equal(none.message, 'The resource you requested does not exist.');
    }
    const noAlias = await failure(
      lambda.send(new AddPermissionCommand({ ...statement, FunctionName: name, Qualifier: 'nope' })),
    );
    assert.equal(noAlias.message, `Cannot find alias arn: ${ARN_PREFIX}${name}:nope`);

    await lambda.send(
      new RemovePermissionCommand({
        FunctionName: name,
        Qualifier: 'live',
        StatementId: 'sns',
        RevisionId: policy.RevisionId,
      }),
    );
    await failure(lambda.send(new GetPolicyCommand({ FunctionName: name, Qualifier: 'live' })));

    // Deleting an alias deletes its policy: an alias of the same name starts without one.
    await lambda.send(new AddPermissionCommand({ ...statement, FunctionName: name, Qualifier: 'live' }));
    await lambda.send(new DeleteAliasCommand({ FunctionName: name, Name: 'live' }));
    await lambda.send(new CreateAliasCommand({ FunctionName: name, Name: 'live', FunctionVersion: '2' }));
    const fresh = await failure(lambda.send(new GetPolicyCommand({ FunctionName: name, Qualifier: 'live' })));
    assert.equal(fresh.status, 404);
  });

  test('DeleteFunction: not for aliases, not for versions an alias uses; the function takes its aliases', async () => {
    const name = 'alias-delete';
    await twoVersions(name);
    await lambda.send(new CreateAliasCommand({ FunctionName: name, Name: 'live', FunctionVersion: '1' }));
    await lambda.send(
      new CreateAliasCommand({
        FunctionName: name,
        Name: 'canary',
        FunctionVersion: '1',
        RoutingConfig: { AdditionalVersionWeights: { '2': 0.1 } },
      }),
    );
    const ofAlias = await failure(
      lambda.send(new DeleteFunctionCommand({ FunctionName: name, Qualifier: 'live' })),
    );
    assert.deepEqual(ofAlias, {
      name: 'InvalidParameterValueException',
      message: 'Deletion of aliases is not currently supported.',
      status: 400,
    });
    const inUse = await failure(
      lambda.send(new DeleteFunctionCommand({ FunctionName: name, Qualifier: '1' })),
    );
    assert.deepEqual(inUse, {
      name: 'ResourceConflictException',
      message: 'Unable to delete version because the following aliases reference it: [canary, live]',
      status: 409,
    });
    // Version 2 only receives canary's shifted traffic, which is a use too.
    const shifted = await failure(
      lambda.send(new DeleteFunctionCommand({ FunctionName: name, Qualifier: '2' })),
    );
    assert.equal(
      shifted.message,
      'Unable to delete version because the following aliases reference it: [canary]',
    );
    assert.equal((await invoke(name, 'live')).ExecutedVersion, '1', 'the refused delete left version 1');

    await lambda.send(new UpdateAliasCommand({ FunctionName: name, Name: 'canary', RoutingConfig: {} }));
    await lambda.send(new DeleteFunctionCommand({ FunctionName: name, Qualifier: '2' }));

    await lambda.send(new DeleteFunctionCommand({ FunctionName: name }));
    await twoVersions(name);
    const aliases = await lambda.send(new ListAliasesCommand({ FunctionName: name }));
    assert.deepEqual(aliases.Aliases, [], 'a function of the same name starts without the old aliases');
  });

  // Runs last: it restarts the server the other tests share.
  test('aliases survive a restart', async () => {
    const name = 'alias-durable';
    await twoVersions(name);
    const created = await lambda.send(
      new CreateAliasCommand({
        FunctionName: name,
        Name: 'live',
        FunctionVersion: '1',
        Description: 'kept',
        RoutingConfig: { AdditionalVersionWeights: { '2': 0.5 } },
      }),
    );
    lambda.destroy();
    server = await server.restart();
    lambda = server.lambda();
    const got = await lambda.send(new GetAliasCommand({ FunctionName: name, Name: 'live' }));
    assert.deepEqual(
      { ...got, $metadata: undefined },
      { ...created, $metadata: undefined },
      'the alias reads back exactly as created',
    );
    const out = await invoke(name, 'live');
    assert.ok(out.ExecutedVersion === '1' || out.ExecutedVersion === '2');
  });

  test('a warm environment reports the ARN it was invoked by', async () => {
    const name = 'alias-warm-arn';
    await twoVersions(name);
    await lambda.send(new CreateAliasCommand({ FunctionName: name, Name: 'live', FunctionVersion: '1' }));
    assert.equal(payload(await invoke(name, '1')).arn, `${ARN_PREFIX}${name}:1`);
    assert.equal(payload(await invoke(name, 'live')).arn, `${ARN_PREFIX}${name}:live`);
  });
});
