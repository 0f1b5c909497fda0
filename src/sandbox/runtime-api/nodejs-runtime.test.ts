/**
 * The built-in Node runtime (src/runtimes/nodejs) run for real as a child process against a
 * RuntimeEndpoint, checked against the shapes AWS's Node runtime produces (and the recordings in
 * test/conformance where they cover it).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { eventually, type Fixture, recorded, startFixture } from './runtime-fixture.js';

const COMMON = 'test_lambda_common.snapshot.json';
const COMMON_ID = 'tests/aws/services/lambda_/test_lambda_common.py::TestLambdaRuntimesCommon::';

async function withNode(
  files: Record<string, string>,
  handler: string,
  fn: (f: Fixture) => Promise<void>,
  options: { runtime?: string; env?: Record<string, string>; maxResponseBytes?: number } = {},
): Promise<void> {
  const f = await startFixture({ runtime: options.runtime ?? 'nodejs20.x', handler, files, ...options });
  try {
    await fn(f);
  } finally {
    await f.close();
  }
}

const ISO = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z';

describe('Node runtime: handlers', () => {
  it('runs an async CommonJS handler and gives it the full context', async () => {
    const files = {
      'index.js': `exports.handler = async (event, context) => ({
        event,
        context: JSON.parse(JSON.stringify(context)),
        keys: Object.keys(context),
        remaining: context.getRemainingTimeInMillis(),
        identity: context.identity,
        trace: process.env._X_AMZN_TRACE_ID,
      });`,
    };
    await withNode(files, 'index.handler', async (f) => {
      const deadlineMs = Date.now() + 5000;
      const r = await f.invokeJson(
        { hello: 'world' },
        {
          requestId: 'c0ffee00-0000-4000-8000-000000000001',
          deadlineMs,
          traceId: 'Root=1-abc;Parent=def;Sampled=0',
          clientContext: JSON.stringify({
            custom: { foo: 'bar' },
            client: { snap: ['crackle', 'pop'] },
            env: { fizz: 'buzz' },
          }),
          cognitoIdentity: '{"cognitoIdentityId":"id-1","cognitoIdentityPoolId":"pool-1"}',
        },
      );
      assert.equal(r.kind, 'response');
      assert.deepEqual(r.body.event, { hello: 'world' });
      // Same members, same order as recorded from AWS (TestLambdaFeatures::test_lambda_with_context).
      assert.deepEqual(r.body.context, {
        callbackWaitsForEmptyEventLoop: true,
        functionVersion: '$LATEST',
        functionName: 'test-function',
        memoryLimitInMB: '128',
        logGroupName: '/aws/lambda/test-function',
        logStreamName: '2024/01/01/[$LATEST]0123456789abcdef0123456789abcdef',
        clientContext: {
          custom: { foo: 'bar' },
          client: { snap: ['crackle', 'pop'] },
          env: { fizz: 'buzz' },
        },
        identity: { cognitoIdentityId: 'id-1', cognitoIdentityPoolId: 'pool-1' },
        invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:test-function',
        awsRequestId: 'c0ffee00-0000-4000-8000-000000000001',
      });
      const rec = recorded(
        'test_lambda.snapshot.json',
        'tests/aws/services/lambda_/test_lambda.py::TestLambdaFeatures::test_lambda_with_context',
      );
      if (rec) {
        const { identity: _i, ...withoutIdentity } = r.body.context;
        assert.deepEqual(Object.keys(withoutIdentity), Object.keys(rec.invocation.Payload.context));
      }
      for (const k of ['succeed', 'fail', 'done', 'getRemainingTimeInMillis'])
        assert.ok(r.body.keys.includes(k), k);
      assert.ok(r.body.remaining > 3000 && r.body.remaining <= 5000, String(r.body.remaining));
      assert.equal(r.body.trace, 'Root=1-abc;Parent=def;Sampled=0');
    });
  });

  it('loads .mjs, "type": "module" .js, .cjs and nested paths', async () => {
    const files = {
      'esm.mjs': 'export const handler = async () => "mjs";',
      'mod/package.json': '{"type":"module"}',
      'mod/index.js': 'export async function handler() { return "type-module"; }',
      'cjs.cjs': 'module.exports.handler = async () => "cjs";',
      'deep/er/file.js': 'exports.nested = { fn: async () => "nested" };',
      noext: 'exports.handler = async () => "extensionless";',
    };
    for (const [handler, expected] of [
      ['esm.handler', 'mjs'],
      ['mod/index.handler', 'type-module'],
      ['cjs.handler', 'cjs'],
      ['deep/er/file.nested.fn', 'nested'],
      ['noext.handler', 'extensionless'],
    ] as const) {
      await withNode(files, handler, async (f) => {
        assert.deepEqual(await f.invokeJson({}), { kind: 'response', errorType: undefined, body: expected });
      });
    }
  });

  it('runs module code once per environment', async () => {
    const files = {
      'index.js':
        'let n = 0; const loadedAt = Date.now(); exports.handler = async () => ({ n: ++n, loadedAt });',
    };
    await withNode(files, 'index.handler', async (f) => {
      const a = await f.invokeJson({});
      const b = await f.invokeJson({});
      assert.equal(a.body.n, 1);
      assert.equal(b.body.n, 2);
      assert.equal(a.body.loadedAt, b.body.loadedAt);
    });
  });

  it('answers null for a sync handler that neither returns a promise nor calls back', async () => {
    await withNode({ 'index.js': 'exports.handler = (event) => 42;' }, 'index.handler', async (f) => {
      assert.deepEqual(await f.invokeJson({}), { kind: 'response', errorType: undefined, body: null });
    });
  });

  it('callback waits for the event loop to drain unless callbackWaitsForEmptyEventLoop is false', async () => {
    const files = {
      'index.js': `
        let timerFired = false;
        exports.wait = (event, context, callback) => {
          timerFired = false;
          setTimeout(() => { timerFired = true; }, 150);
          callback(null, { early: true });
        };
        exports.noWait = (event, context, callback) => {
          context.callbackWaitsForEmptyEventLoop = false;
          setTimeout(() => {}, 1500);
          callback(null, { early: true });
        };
        exports.check = (event, context, callback) => callback(null, { timerFired });`,
    };
    await withNode(files, 'index.wait', async (f) => {
      const start = Date.now();
      assert.deepEqual((await f.invokeJson({})).body, { early: true });
      assert.ok(Date.now() - start >= 140, 'the response waited for the pending timer');
    });
    await withNode(files, 'index.noWait', async (f) => {
      const start = Date.now();
      assert.deepEqual((await f.invokeJson({})).body, { early: true });
      assert.ok(Date.now() - start < 1000, 'the response did not wait for the timer');
    });
  });

  it('supports context.succeed / fail / done and callback errors of any type', async () => {
    const files = {
      'index.js': `
        exports.succeed = (e, ctx) => ctx.succeed({ via: 'succeed' });
        exports.done = (e, ctx) => ctx.done(null, { via: 'done' });
        exports.fail = (e, ctx) => ctx.fail(new TypeError('nope'));
        exports.failEmpty = (e, ctx) => ctx.fail();
        exports.cbString = (e, ctx, cb) => cb('plain string');
        exports.twice = (e, ctx, cb) => { cb(null, 'first'); cb(null, 'second'); };`,
    };
    const expectations: Record<string, unknown> = {
      succeed: { kind: 'response', body: { via: 'succeed' } },
      done: { kind: 'response', body: { via: 'done' } },
      failEmpty: { kind: 'error', body: { errorType: 'string', errorMessage: 'handled', trace: [] } },
      cbString: { kind: 'error', body: { errorType: 'string', errorMessage: 'plain string', trace: [] } },
      twice: { kind: 'response', body: 'first' },
    };
    for (const [name, expected] of Object.entries(expectations)) {
      await withNode(files, `index.${name}`, async (f) => {
        const r = await f.invokeJson({});
        assert.deepEqual({ kind: r.kind, body: r.body }, expected, name);
      });
    }
    await withNode(files, 'index.fail', async (f) => {
      const r = await f.invokeJson({});
      assert.equal(r.kind, 'error');
      assert.equal(r.body.errorType, 'TypeError');
      assert.equal(r.body.errorMessage, 'nope');
      assert.equal(r.body.trace[0], 'TypeError: nope');
    });
  });

  it('gives a handler the deadline it was invoked with', async () => {
    const files = { 'index.mjs': 'export const handler = async (e, ctx) => ctx.getRemainingTimeInMillis();' };
    await withNode(files, 'index.handler', async (f) => {
      const r = await f.invokeJson({}, { deadlineMs: Date.now() + 1234 });
      assert.ok(r.body > 500 && r.body <= 1234, String(r.body));
      const past = await f.invokeJson({}, { deadlineMs: Date.now() - 50 });
      assert.ok(past.body < 0, 'can go negative, as on AWS');
    });
  });

  it('streams a response through awslambda.streamifyResponse', async () => {
    const files = {
      'index.mjs': `export const handler = awslambda.streamifyResponse(async (event, responseStream, context) => {
        responseStream.setContentType('text/plain');
        responseStream.write('hello ');
        responseStream.write(context.awsRequestId.slice(0, 4));
        responseStream.end();
      });`,
    };
    await withNode(files, 'index.handler', async (f) => {
      const r = await f.invoke({}, { requestId: 'abcd-1' });
      assert.equal(r.kind, 'response');
      assert.equal(r.payload.toString(), 'hello abcd');
      assert.equal(r.kind === 'response' && r.contentType, 'text/plain');
    });
  });
});

describe('Node runtime: errors', () => {
  it('shapes an uncaught exception as recorded from AWS', async () => {
    const files = {
      'index.js': 'exports.handler = async (event) => { throw new Error("Error: " + event.error_msg); };',
    };
    await withNode(files, 'index.handler', async (f) => {
      const r = await f.invokeJson({ error_msg: 'some_error_msg' });
      assert.equal(r.kind, 'error');
      assert.equal(r.errorType, 'Error');
      assert.deepEqual(Object.keys(r.body), ['errorType', 'errorMessage', 'trace']);
      assert.equal(r.body.errorType, 'Error');
      assert.equal(r.body.errorMessage, 'Error: some_error_msg');
      assert.equal(r.body.trace[0], 'Error: Error: some_error_msg');
      assert.match(r.body.trace[1], /^ {4}at .*index\.js:1:/);
      for (const runtime of ['nodejs18.x', 'nodejs20.x', 'nodejs22.x', 'nodejs24.x']) {
        const rec = recorded(COMMON, `${COMMON_ID}test_uncaught_exception_invoke[${runtime}]`);
        if (!rec) continue;
        const { trace: _t, ...rest } = rec.error_result.Payload;
        const { trace: _u, ...mine } = r.body;
        assert.deepEqual(mine, rest, runtime);
        assert.deepEqual(Object.keys(r.body), Object.keys(rec.error_result.Payload), runtime);
      }
      // The error is logged as AWS's runtime logs it.
      await eventually(() => f.stdoutLines().some((l) => l.includes('Invoke Error')));
      const line = f.stdoutLines().find((l) => l.includes('Invoke Error')) ?? '';
      assert.match(
        line,
        new RegExp(
          `^${ISO}\\treq-\\d+-\\d+\\tERROR\\tInvoke Error \\t\\{"errorType":"Error","errorMessage":"Error: some_error_msg","stack":\\["Error: Error: some_error_msg",`,
        ),
      );
    });
  });

  it('keeps a custom error class name and thrown non-errors', async () => {
    const files = {
      'index.js': `class ValidationError extends Error { constructor(m) { super(m); this.name = 'ValidationError'; } }
        exports.custom = async () => { throw new ValidationError('bad input'); };
        exports.str = async () => { throw 'just a string'; };
        exports.circular = async () => { const o = {}; o.self = o; return o; };`,
    };
    await withNode(files, 'index.custom', async (f) => {
      const r = await f.invokeJson({});
      assert.equal(r.body.errorType, 'ValidationError');
      assert.equal(r.body.errorMessage, 'bad input');
    });
    await withNode(files, 'index.str', async (f) => {
      assert.deepEqual((await f.invokeJson({})).body, {
        errorType: 'string',
        errorMessage: 'just a string',
        trace: [],
      });
    });
    await withNode(files, 'index.circular', async (f) => {
      const r = await f.invokeJson({});
      assert.equal(r.kind, 'error');
      assert.equal(r.body.errorMessage, 'Unable to stringify response body');
    });
  });

  it('posts init errors for a missing module, a missing handler, a syntax error and bad handler names', async () => {
    const cases: [Record<string, string>, string, string, RegExp][] = [
      [
        {},
        'missing.handler',
        'Runtime.ImportModuleError',
        /^Error: Cannot find module 'missing'\nRequire stack:\n- .*index\.mjs$/,
      ],
      [
        { 'index.js': 'exports.other = 1;' },
        'index.handler',
        'Runtime.HandlerNotFound',
        /^index\.handler is undefined or not exported$/,
      ],
      [
        { 'index.js': 'exports.handler = 1;' },
        'index.handler',
        'Runtime.HandlerNotFound',
        /^index\.handler is not a function$/,
      ],
      [
        { 'index.js': 'exports.handler = async () => {;' },
        'index.handler',
        'Runtime.UserCodeSyntaxError',
        /^SyntaxError: /,
      ],
      [
        { 'index.mjs': 'export const handler = ;' },
        'index.handler',
        'Runtime.UserCodeSyntaxError',
        /^SyntaxError: /,
      ],
      [{ 'index.js': '' }, 'index', 'Runtime.MalformedHandlerName', /^Bad handler$/],
      [{ 'index.js': '' }, '../index.handler', 'Runtime.MalformedHandlerName', /is not a valid handler name/],
      [{ 'index.js': 'throw new RangeError("at load");' }, 'index.handler', 'RangeError', /^at load$/],
    ];
    for (const [files, handler, errorType, message] of cases) {
      await withNode(files, handler, async (f) => {
        const init = await f.endpoint.initialized;
        assert.equal(init.kind, 'init-error', handler);
        assert.equal(init.kind === 'init-error' && init.errorType, errorType);
        const body = JSON.parse(init.kind === 'init-error' ? init.payload.toString() : '{}');
        assert.deepEqual(Object.keys(body), ['errorType', 'errorMessage', 'trace']);
        assert.equal(body.errorType, errorType);
        assert.match(body.errorMessage, message);
        assert.ok(Array.isArray(body.trace));
        // Invoke answers with the init error; the runtime has exited as AWS's does (129).
        const r = await f.invokeJson({});
        assert.deepEqual(r.body, body);
        assert.equal((await f.runtime.exited).code, 129);
        assert.match(
          f.stdoutLines()[0] ?? '',
          new RegExp(
            `^${ISO}\\tundefined\\tERROR\\tUncaught Exception \\t\\{"errorType":"${errorType.replace('.', '\\.')}"`,
          ),
        );
      });
    }
  });

  it('fails the invocation and ends the environment on an uncaught exception or unhandled rejection', async () => {
    const files = {
      'index.js': `exports.throwLater = (e, ctx, cb) => { setTimeout(() => { throw new Error('from a timer'); }, 5); };
        exports.rejectLater = async () => { Promise.reject(new Error('nobody catches')); await new Promise(r => setTimeout(r, 50)); return 'unreached'; };`,
    };
    await withNode(files, 'index.throwLater', async (f) => {
      const r = await f.invokeJson({});
      assert.deepEqual([r.kind, r.body.errorType, r.body.errorMessage], ['error', 'Error', 'from a timer']);
      assert.equal((await f.runtime.exited).code, 129);
    });
    await withNode(files, 'index.rejectLater', async (f) => {
      const r = await f.invokeJson({});
      assert.deepEqual(
        [r.kind, r.body.errorType, r.body.errorMessage],
        ['error', 'Runtime.UnhandledPromiseRejection', 'Error: nobody catches'],
      );
      assert.equal((await f.runtime.exited).code, 128);
    });
  });

  it('reports an async handler whose promise never settles as Runtime.NodeJsExit', async () => {
    const files = { 'index.mjs': 'export const handler = async () => new Promise(() => {});' };
    await withNode(files, 'index.handler', async (f) => {
      const r = await f.invokeJson({});
      assert.equal(r.body.errorType, 'Runtime.NodeJsExit');
      assert.match(r.body.errorMessage, /Promise that was never settled/);
      // ...and keeps serving.
      assert.equal((await f.invokeJson({})).body.errorType, 'Runtime.NodeJsExit');
    });
  });

  it('fails a response over the payload limit with Function.ResponseSizeTooLarge', async () => {
    const files = { 'index.js': 'exports.handler = async (e) => "x".repeat(e.size);' };
    await withNode(files, 'index.handler', async (f) => {
      const r = await f.invokeJson({ size: 6_291_556 });
      assert.deepEqual(r, {
        kind: 'error',
        errorType: 'Function.ResponseSizeTooLarge',
        body: {
          errorMessage: 'Response payload size exceeded maximum allowed payload size (6291556 bytes).',
          errorType: 'Function.ResponseSizeTooLarge',
        },
      });
      const rec = recorded(
        'test_lambda.snapshot.json',
        'tests/aws/services/lambda_/test_lambda.py::TestLambdaBaseFeatures::test_lambda_too_large_response',
      );
      if (rec) assert.deepEqual(r.body, rec.invoke_result.Payload);
      // The environment goes on serving.
      assert.equal((await f.invokeJson({ size: 3 })).body, 'xxx');
    });
  });

  it('lets the platform abort a slow invocation (timeout path)', async () => {
    const files = {
      'index.js':
        'exports.handler = async () => { await new Promise(r => setTimeout(r, 10000)); return "late"; };',
    };
    await withNode(files, 'index.handler', async (f) => {
      const pending = f.invoke({});
      await new Promise((r) => setTimeout(r, 100));
      const reason = new Error('Task timed out after 0.10 seconds');
      f.endpoint.abort(reason);
      await assert.rejects(pending, (e) => e === reason);
    });
  });
});

describe('Node runtime: logs', () => {
  it('writes console.* as one line per record in Lambda text format', async () => {
    const files = {
      'index.js': `console.log('at init');
        exports.handler = async () => {
          console.log('multi\\nline', { a: 1 });
          console.info('info');
          console.warn('warn %s', 'formatted');
          console.error(new Error('logged'));
          console.debug('debug');
          console.trace('trace');
          process.stdout.write('raw stdout\\n');
          return 1;
        };`,
    };
    await withNode(files, 'index.handler', async (f) => {
      await f.invoke({}, { requestId: 'log-req-1' });
      await eventually(() => f.stdoutLines().includes('raw stdout'));
      const lines = f.stdoutLines();
      assert.match(lines[0] ?? '', new RegExp(`^${ISO}\\tundefined\\tINFO\\tat init$`));
      const of = (level: string, text: string) => new RegExp(`^${ISO}\\tlog-req-1\\t${level}\\t${text}$`);
      assert.match(lines[1] ?? '', of('INFO', 'multi\\rline \\{ a: 1 \\}'));
      assert.match(lines[2] ?? '', of('INFO', 'info'));
      assert.match(lines[3] ?? '', of('WARN', 'warn formatted'));
      assert.match(lines[4] ?? '', of('ERROR', 'Error: logged\\r {4}at [^\\n]*'));
      assert.match(lines[5] ?? '', of('DEBUG', 'debug'));
      assert.match(lines[6] ?? '', of('TRACE', 'trace'));
      assert.equal(lines[7], 'raw stdout');
    });
  });

  it('writes JSON records with AWS_LAMBDA_LOG_FORMAT=JSON and filters by AWS_LAMBDA_LOG_LEVEL', async () => {
    const files = {
      'index.js': `exports.handler = async () => {
          console.debug('hidden');
          console.info('shown', 42);
          console.info({ structured: true });
          console.error('failed', new Error('boom'));
          return 1;
        };`,
    };
    const env = { AWS_LAMBDA_LOG_FORMAT: 'JSON', AWS_LAMBDA_LOG_LEVEL: 'INFO' };
    await withNode(
      files,
      'index.handler',
      async (f) => {
        await f.invoke({}, { requestId: 'json-1' });
        await eventually(() => f.stdoutLines().length >= 3);
        const records = f.stdoutLines().map((l) => JSON.parse(l));
        assert.equal(records.length, 3);
        assert.match(records[0].timestamp, new RegExp(`^${ISO}$`));
        assert.deepEqual(
          { ...records[0], timestamp: 'T' },
          { timestamp: 'T', level: 'INFO', requestId: 'json-1', message: 'shown 42' },
        );
        assert.deepEqual(records[1].message, { structured: true });
        assert.equal(records[2].level, 'ERROR');
        assert.equal(records[2].errorType, 'Error');
        assert.equal(records[2].errorMessage, 'boom');
        assert.ok(Array.isArray(records[2].stackTrace));
      },
      { env },
    );
  });

  it('sets NODE_PATH as Lambda does when the platform did not', async () => {
    const files = { 'index.js': 'exports.handler = async () => process.env.NODE_PATH;' };
    await withNode(files, 'index.handler', async (f) => {
      const r = await f.invokeJson({});
      const parts = (r.body as string).split(':');
      assert.equal(parts[0], '/opt/nodejs/node20/node_modules');
      assert.equal(parts[1], '/opt/nodejs/node_modules');
      assert.equal(parts[4], f.taskRoot);
    });
  });
});

describe('Node runtime: nodejs24.x', () => {
  it('refuses callback handlers at init, as Lambda does from Node.js 24 on', async () => {
    await withNode(
      { 'index.js': 'exports.handler = (event, context, callback) => callback(null, 1);' },
      'index.handler',
      async (f) => {
        const init = await f.endpoint.initialized;
        assert.equal(init.kind === 'init-error' && init.errorType, 'Runtime.CallbackHandlerDeprecated');
        const body = JSON.parse(init.kind === 'init-error' ? init.payload.toString() : '{}');
        assert.match(
          body.errorMessage,
          /removed support for callback-based function handlers starting with Node\.js 24/,
        );
      },
      { runtime: 'nodejs24.x' },
    );
  });

  it('awaits the handler, finds it on a default export and has no callback members in context', async () => {
    await withNode(
      {
        'index.mjs':
          'export default { handler: async (event, context) => ({ keys: Object.keys(context), sync: false }) };',
      },
      'index.handler',
      async (f) => {
        const r = await f.invokeJson({});
        assert.equal(r.kind, 'response');
        assert.ok(!r.body.keys.includes('callbackWaitsForEmptyEventLoop'));
        assert.ok(!r.body.keys.includes('succeed'));
        assert.ok(r.body.keys.includes('getRemainingTimeInMillis'));
        assert.ok(r.body.keys.includes('awsRequestId'));
      },
      { runtime: 'nodejs24.x' },
    );
  });
});
