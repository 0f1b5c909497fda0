/**
 * The built-in Python runtime (src/runtimes/python/bootstrap.py) run for real against a RuntimeEndpoint,
 * checked against AWS's Python runtime shapes and the recordings in test/conformance.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { eventually, type Fixture, recorded, startFixture } from './runtime-fixture.js';

const COMMON_ID = 'tests/aws/services/lambda_/test_lambda_common.py::TestLambdaRuntimesCommon::';
const LAMBDA_ID = 'tests/aws/services/lambda_/test_lambda.py::';
const ISO = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z';

async function withPython(
  files: Record<string, string>,
  handler: string,
  fn: (f: Fixture) => Promise<void>,
  options: { runtime?: string; env?: Record<string, string> } = {},
): Promise<void> {
  const f = await startFixture({
    runtime: options.runtime ?? 'python3.12',
    handler,
    files,
    env: options.env,
  });
  try {
    await fn(f);
  } finally {
    await f.close();
  }
}

describe('Python runtime: handlers', () => {
  it('runs a handler with the LambdaContext AWS gives', async () => {
    const files = {
      'handler.py': `import os, sys
def handler(event, context):
    return {
        "event": event,
        "aws_request_id": context.aws_request_id,
        "function_name": context.function_name,
        "function_version": context.function_version,
        "invoked_function_arn": context.invoked_function_arn,
        "log_group_name": context.log_group_name,
        "log_stream_name": context.log_stream_name,
        "memory_limit_in_mb": context.memory_limit_in_mb,
        "remaining": context.get_remaining_time_in_millis(),
        "custom": context.client_context.custom,
        "env": context.client_context.env,
        "installation_id": context.client_context.client.installation_id,
        "identity_id": context.identity.cognito_identity_id,
        "pool_id": context.identity.cognito_identity_pool_id,
        "trace": os.environ.get("_X_AMZN_TRACE_ID"),
        "path": sys.path[:3],
    }
`,
    };
    await withPython(files, 'handler.handler', async (f) => {
      const r = await f.invokeJson(
        { hello: 'wörld' },
        {
          requestId: 'py-req-1',
          deadlineMs: Date.now() + 5000,
          traceId: 'Root=1-abc;Sampled=0',
          clientContext: '{"custom":{"foo":"bar"},"env":{"fizz":"buzz"},"client":{"installation_id":"inst"}}',
          cognitoIdentity: '{"cognitoIdentityId":"id-1","cognitoIdentityPoolId":"pool-1"}',
        },
      );
      assert.equal(r.kind, 'response');
      const { remaining, path, ...rest } = r.body;
      assert.deepEqual(rest, {
        event: { hello: 'wörld' },
        aws_request_id: 'py-req-1',
        function_name: 'test-function',
        function_version: '$LATEST',
        invoked_function_arn: 'arn:aws:lambda:us-east-1:000000000000:function:test-function',
        log_group_name: '/aws/lambda/test-function',
        log_stream_name: '2024/01/01/[$LATEST]0123456789abcdef0123456789abcdef',
        memory_limit_in_mb: '128',
        custom: { foo: 'bar' },
        env: { fizz: 'buzz' },
        installation_id: 'inst',
        identity_id: 'id-1',
        pool_id: 'pool-1',
        trace: 'Root=1-abc;Sampled=0',
      });
      assert.ok(remaining > 3000 && remaining <= 5000, String(remaining));
      assert.equal(path[0], f.taskRoot);
      assert.match(path[1], /^\/opt\/python\/lib\/python3\.\d+\/site-packages$/);
      assert.equal(path[2], '/opt/python');
    });
  });

  it('answers with json.dumps spacing, UTF-8 from python3.12 on, and bytes as they are', async () => {
    const files = {
      'handler.py': `import decimal
def obj(event, context):
    return {"a": 1, "b": [1, 2], "text": "wörld", "n": decimal.Decimal("10"), "f": decimal.Decimal("1.5")}
def raw(event, context):
    return b"\\x00raw"
def none(event, context):
    return None
def bad(event, context):
    return {1, 2}
`,
    };
    await withPython(files, 'handler.obj', async (f) => {
      const r = await f.invoke({});
      assert.equal(r.payload.toString('utf8'), '{"a": 1, "b": [1, 2], "text": "wörld", "n": 10, "f": 1.5}');
    });
    await withPython(
      files,
      'handler.obj',
      async (f) => {
        assert.match((await f.invoke({})).payload.toString('utf8'), /"text": "w\\u00f6rld"/);
      },
      { runtime: 'python3.11' },
    );
    await withPython(files, 'handler.raw', async (f) => {
      const r = await f.invoke({});
      assert.deepEqual(r.payload, Buffer.from([0, 0x72, 0x61, 0x77]));
      assert.equal(r.kind === 'response' && r.contentType, 'application/unknown');
    });
    await withPython(files, 'handler.none', async (f) => {
      assert.equal((await f.invoke({})).payload.toString(), 'null');
    });
    await withPython(files, 'handler.bad', async (f) => {
      const r = await f.invokeJson({});
      assert.equal(r.body.errorType, 'Runtime.MarshalError');
      assert.equal(
        r.body.errorMessage,
        'Unable to marshal response: Object of type set is not JSON serializable',
      );
    });
  });

  it('imports handlers from packages and nested paths, once per environment', async () => {
    const files = {
      'pkg/__init__.py': '',
      'pkg/mod.py': 'COUNT = [0]\ndef handler(event, context):\n    COUNT[0] += 1\n    return COUNT[0]\n',
    };
    for (const handler of ['pkg/mod.handler', 'pkg.mod.handler']) {
      await withPython(files, handler, async (f) => {
        assert.equal((await f.invokeJson({})).body, 1);
        assert.equal((await f.invokeJson({})).body, 2);
      });
    }
  });

  it('lets the platform abort a slow invocation', async () => {
    const files = { 'handler.py': 'import time\ndef handler(event, context):\n    time.sleep(10)\n' };
    await withPython(files, 'handler.handler', async (f) => {
      const pending = f.invoke({});
      await new Promise((r) => setTimeout(r, 100));
      const reason = new Error('Sandbox.Timedout');
      f.endpoint.abort(reason);
      await assert.rejects(pending, (e) => e === reason);
    });
  });

  it('fails a response over the payload limit with Function.ResponseSizeTooLarge', async () => {
    const files = { 'handler.py': 'def handler(event, context):\n    return "x" * event["size"]\n' };
    await withPython(files, 'handler.handler', async (f) => {
      const r = await f.invokeJson({ size: 6_300_000 });
      assert.equal(r.errorType, 'Function.ResponseSizeTooLarge');
      assert.equal((await f.invokeJson({ size: 2 })).body, 'xx');
    });
  });
});

describe('Python runtime: errors', () => {
  it('shapes an uncaught exception as recorded from AWS and logs it', async () => {
    const files = {
      'handler.py': 'def handler(event, context):\n    raise Exception("Failed: " + event["error_msg"])\n',
    };
    await withPython(files, 'handler.handler', async (f) => {
      const r = await f.invokeJson({ error_msg: 'some_error_msg' }, { requestId: 'py-err-1' });
      assert.equal(r.kind, 'error');
      assert.equal(r.errorType, 'Exception');
      assert.deepEqual(Object.keys(r.body), ['errorMessage', 'errorType', 'requestId', 'stackTrace']);
      assert.deepEqual(
        { ...r.body, stackTrace: null },
        {
          errorMessage: 'Failed: some_error_msg',
          errorType: 'Exception',
          requestId: 'py-err-1',
          stackTrace: null,
        },
      );
      assert.deepEqual(r.body.stackTrace, [
        `  File "${f.taskRoot}/handler.py", line 2, in handler\n    raise Exception("Failed: " + event["error_msg"])\n`,
      ]);
      for (const v of ['3.9', '3.10', '3.11', '3.12', '3.13', '3.14']) {
        const rec = recorded(
          'test_lambda_common.snapshot.json',
          `${COMMON_ID}test_uncaught_exception_invoke[python${v}]`,
        );
        if (!rec) continue;
        assert.deepEqual(Object.keys(r.body), Object.keys(rec.error_result.Payload));
        assert.equal(r.body.errorMessage, rec.error_result.Payload.errorMessage);
        assert.equal(r.body.errorType, rec.error_result.Payload.errorType);
      }
      const rec = recorded(
        'test_lambda.snapshot.json',
        `${LAMBDA_ID}TestLambdaErrors::test_lambda_handler_error`,
      );
      if (rec)
        assert.equal(rec.invocation_error.Payload.stackTrace.length, 1, 'only the user frame, as here');
      await eventually(() => f.stdoutLines().some((l) => l.startsWith('[ERROR]')));
      const line = f.stdoutLines().find((l) => l.startsWith('[ERROR]'));
      assert.equal(
        line,
        `[ERROR] Exception: Failed: some_error_msg\rTraceback (most recent call last):\r\u00a0\u00a0File "${f.taskRoot}/handler.py", line 2, in handler\r\u00a0\u00a0\u00a0\u00a0raise Exception("Failed: " + event["error_msg"])`,
      );
    });
  });

  it('leaves requestId out of error payloads on python3.8, as recorded', async () => {
    const files = { 'handler.py': 'def handler(event, context):\n    raise Exception("Failed: x")\n' };
    await withPython(
      files,
      'handler.handler',
      async (f) => {
        const r = await f.invokeJson({});
        assert.deepEqual(Object.keys(r.body), ['errorMessage', 'errorType', 'stackTrace']);
        const rec = recorded(
          'test_lambda_common.snapshot.json',
          `${COMMON_ID}test_uncaught_exception_invoke[python3.8]`,
        );
        if (rec) assert.deepEqual(Object.keys(r.body), Object.keys(rec.error_result.Payload));
      },
      { runtime: 'python3.8' },
    );
  });

  it('posts init errors as AWS does: module errors, missing modules and handlers, syntax, bad names', async () => {
    const cases: [Record<string, string>, string, string, RegExp][] = [
      [
        { 'boom.py': 'raise Exception("Runtime startup fails")\n' },
        'boom.handler',
        'Exception',
        /^Runtime startup fails$/,
      ],
      [
        {},
        'missing.handler',
        'Runtime.ImportModuleError',
        /^Unable to import module 'missing': No module named 'missing'$/,
      ],
      [
        { 'handler.py': 'x = 1\n' },
        'handler.nope',
        'Runtime.HandlerNotFound',
        /^Handler 'nope' missing on module 'handler'$/,
      ],
      [
        { 'handler.py': 'def handler(:\n' },
        'handler.handler',
        'Runtime.UserCodeSyntaxError',
        /^Syntax error in module 'handler': /,
      ],
      [{ 'handler.py': '' }, 'handler', 'Runtime.MalformedHandlerName', /^Bad handler 'handler': /],
      [
        {},
        'sys.handler',
        'Runtime.BuiltInModuleConflict',
        /^Cannot use built-in module sys as a handler module$/,
      ],
    ];
    for (const [files, handler, errorType, message] of cases) {
      await withPython(files, handler, async (f) => {
        const init = await f.endpoint.initialized;
        assert.equal(init.kind, 'init-error', handler);
        const body = JSON.parse(init.kind === 'init-error' ? init.payload.toString() : '{}');
        assert.deepEqual(
          Object.keys(body),
          ['errorMessage', 'errorType', 'requestId', 'stackTrace'],
          handler,
        );
        assert.equal(body.errorType, errorType);
        assert.match(body.errorMessage, message);
        assert.equal(body.requestId, '');
        assert.equal((await f.runtime.exited).code, 1);
        assert.match(
          f.stdoutLines()[0] ?? '',
          new RegExp(`^\\[WARNING\\]\\t${ISO}\\t\\tLAMBDA_WARNING: Unhandled exception\\.`),
        );
        assert.ok(f.stdoutLines().some((l) => l.startsWith(`[ERROR] ${errorType}: `)));
        if (handler === 'boom.handler') {
          // As recorded (TestLambdaErrors::test_lambda_runtime_error): importlib's frames, then the module's.
          assert.match(body.stackTrace[0], /importlib\/__init__\.py", line \d+, in import_module\n/);
          assert.equal(
            body.stackTrace.at(-1),
            `  File "${f.taskRoot}/boom.py", line 1, in <module>\n    raise Exception("Runtime startup fails")\n`,
          );
          const rec = recorded(
            'test_lambda.snapshot.json',
            `${LAMBDA_ID}TestLambdaErrors::test_lambda_runtime_error`,
          );
          if (rec) {
            const p = rec.invocation_error.Payload;
            assert.deepEqual(Object.keys(body), Object.keys(p));
            assert.equal(body.errorMessage, p.errorMessage);
            assert.equal(body.requestId, p.requestId);
          }
        }
      });
    }
  });
});

describe('Python runtime: logs', () => {
  it('prints plainly and formats the logging module as Lambda does', async () => {
    const files = {
      'handler.py': `import logging
logger = logging.getLogger()
logger.setLevel(logging.INFO)
print("at init")
def handler(event, context):
    print("multi\\nline\\nstring")
    print("another\\rline")
    logger.info("info %s", "formatted")
    logging.warning("warned")
    logging.getLogger("child").debug("hidden")
    return 1
`,
    };
    await withPython(files, 'handler.handler', async (f) => {
      await f.invoke({}, { requestId: 'py-log-1' });
      await eventually(() => f.stdoutLines().some((l) => l.includes('warned')));
      const lines = f.stdoutLines();
      assert.deepEqual(lines.slice(0, 5), ['at init', 'multi', 'line', 'string', 'another\rline']);
      assert.match(lines[5] ?? '', new RegExp(`^\\[INFO\\]\\t${ISO}\\tpy-log-1\\tinfo formatted$`));
      assert.match(lines[6] ?? '', new RegExp(`^\\[WARNING\\]\\t${ISO}\\tpy-log-1\\twarned$`));
      assert.equal(lines.length, 7);
    });
  });

  it('writes JSON records with AWS_LAMBDA_LOG_FORMAT=JSON', async () => {
    const files = {
      'handler.py': `import logging
def handler(event, context):
    logging.getLogger().info("shown")
    logging.getLogger("app").debug("hidden")
    try:
        1 / 0
    except ZeroDivisionError:
        logging.exception("failed")
    return 1
`,
    };
    await withPython(
      files,
      'handler.handler',
      async (f) => {
        await f.invoke({}, { requestId: 'py-json-1' });
        await eventually(() => f.stdoutLines().length >= 2);
        const [info, error] = f.stdoutLines().map((l) => JSON.parse(l));
        assert.match(info.timestamp, new RegExp(`^${ISO}$`));
        assert.deepEqual(
          { ...info, timestamp: 'T' },
          { timestamp: 'T', level: 'INFO', message: 'shown', logger: 'root', requestId: 'py-json-1' },
        );
        assert.equal(error.level, 'ERROR');
        assert.equal(error.errorType, 'ZeroDivisionError');
        assert.equal(error.errorMessage, 'division by zero');
        assert.ok(Array.isArray(error.stackTrace));
        assert.match(error.location, /handler\.py:handler:\d+$/);
      },
      { env: { AWS_LAMBDA_LOG_FORMAT: 'JSON', AWS_LAMBDA_LOG_LEVEL: 'INFO' } },
    );
  });
});
