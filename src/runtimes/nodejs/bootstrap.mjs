// Lambent's Node.js runtime for nodejs18.x / 20.x / 22.x / 24.x: run as `node bootstrap.mjs` inside an
// execution environment with the Lambda environment variables set (see README.md). It loads _HANDLER from
// LAMBDA_TASK_ROOT once, then loops on the Runtime API at AWS_LAMBDA_RUNTIME_API: next -> handler ->
// response | error, with the programming model of AWS's Node runtime (async and callback handlers,
// callbackWaitsForEmptyEventLoop, context, console format, error shapes, init errors). From nodejs24.x on,
// as on Lambda, callback handlers are refused and the context has no callback members.
//
// Plain modern JavaScript, no dependencies, nothing imported from the server.

import { Module } from './builtins.mjs';
import {
  CallbackHandlerDeprecated,
  JSONStringifyError,
  NodeJsExit,
  toRapidResponse,
  UnhandledPromiseRejection,
} from './errors.mjs';
import { patchConsole, setCurrentRequestId, structuredConsole } from './log-patch.mjs';
import { RapidClient } from './rapid-client.mjs';
import { HttpResponseStream, newResponseStream } from './streaming.mjs';
import {
  HANDLER_HIGHWATERMARK,
  HANDLER_STREAMING,
  handlerMetadata,
  load,
  STREAM_RESPONSE,
} from './user-function.mjs';

const env = process.env;
const nodeMajor = Number(/^AWS_Lambda_nodejs(\d+)/.exec(env.AWS_EXECUTION_ENV ?? '')?.[1] ?? 0);
/** nodejs24.x and later run AWS's v4 programming model: promises only. */
const promisesOnly = nodeMajor >= 24;

// Read once: process.env lookups cost a call into C++ each, and these do not change in an environment.
const environmental = Object.freeze({
  functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION,
  functionName: env.AWS_LAMBDA_FUNCTION_NAME,
  memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
  logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME,
  logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME,
});
let traceIdSet = env._X_AMZN_TRACE_ID !== undefined;

const CALLBACK_ERROR_NODEJS24_ABOVE =
  'ERROR: AWS Lambda has removed support for callback-based function handlers starting with Node.js 24. You need to modify this function to use a supported handler signature to use Node.js 24 or later. For more information see https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html.';

// Lambda's NODE_PATH; a platform should set it, but a runtime started without it still finds layers.
if (!env.NODE_PATH) {
  const major = nodeMajor || Number(process.versions.node.split('.')[0]);
  const runtimeDir = env.LAMBDA_RUNTIME_DIR || '/var/runtime';
  env.NODE_PATH = [
    `/opt/nodejs/node${major}/node_modules`,
    '/opt/nodejs/node_modules',
    `${runtimeDir}/node_modules`,
    runtimeDir,
    env.LAMBDA_TASK_ROOT || '/var/task',
  ].join(':');
  Module._initPaths?.();
}

patchConsole();
const client = new RapidClient(env.AWS_LAMBDA_RUNTIME_API);

// --- process-level errors -------------------------------------------------------------------------------

let exiting = false;
function postThenExit(post, code) {
  if (exiting) return;
  exiting = true;
  post().then(
    () => process.exit(code),
    () => process.exit(code),
  );
}

/** Before the first invocation they are init errors; during one, that invocation's errors. */
const errorCallbacks = {
  uncaughtException: (error) => postThenExit(() => postInitError(error), 129),
  unhandledRejection: (error) => postThenExit(() => postInitError(error), 128),
};

process.on('uncaughtException', (error) => {
  structuredConsole.logError('Uncaught Exception', error);
  errorCallbacks.uncaughtException(error);
});
process.on('unhandledRejection', (reason, promise) => {
  const error = new UnhandledPromiseRejection(reason, promise);
  structuredConsole.logError('Unhandled Promise Rejection', error);
  errorCallbacks.unhandledRejection(error);
});

// One 'beforeExit' listener whose action each invocation replaces: the event loop draining is what
// completes a callback handler that waits for an empty loop (and a handler that never answers).
const NO_OP = () => {};
let beforeExit = NO_OP;
process.on('beforeExit', () => beforeExit());

function postInitError(error) {
  const body = toRapidResponse(error);
  return client.postInitError(JSON.stringify(body), body.errorType);
}

function postInvocationError(error, requestId) {
  const body = toRapidResponse(error);
  let text;
  try {
    text = JSON.stringify(body);
  } catch {
    text = JSON.stringify({ errorType: body.errorType, errorMessage: String(body.errorMessage), trace: [] });
  }
  return client.postError(requestId, text, body.errorType).catch(NO_OP);
}

function serializeResponse(result) {
  try {
    return JSON.stringify(result === undefined ? null : result);
  } catch {
    throw promisesOnly
      ? new JSONStringifyError('Unable to stringify response body')
      : new Error('Unable to stringify response body');
  }
}

// --- init -----------------------------------------------------------------------------------------------

if (!/^(1|true)$/.test(env.AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA ?? '')) {
  globalThis.awslambda = {
    ...globalThis.awslambda,
    streamifyResponse(handler, options) {
      handler[HANDLER_STREAMING] = STREAM_RESPONSE;
      if (typeof options?.highWaterMark === 'number') handler[HANDLER_HIGHWATERMARK] = options.highWaterMark;
      return handler;
    },
    HttpResponseStream,
  };
}

let handler;
let metadata;
try {
  handler = await load(env.LAMBDA_TASK_ROOT || process.cwd(), env._HANDLER ?? '', {
    defaultExportFallback: promisesOnly,
  });
  metadata = handlerMetadata(handler);
  if (promisesOnly && metadata.argsNum >= 3 && !metadata.streaming) {
    throw new CallbackHandlerDeprecated(CALLBACK_ERROR_NODEJS24_ABOVE);
  }
} catch (error) {
  structuredConsole.logError(promisesOnly ? 'Init Error' : 'Uncaught Exception', error);
  postThenExit(() => postInitError(error), 129);
  await new Promise(NO_OP); // never resolves: the exit above ends the process
}

scheduleIteration();

// --- the invoke loop ------------------------------------------------------------------------------------

/**
 * Asks for the next invocation right away (AWS's runtime waits a setImmediate first; asking at once lets
 * the GET leave in the same packet as the response it follows). The event is handled when it arrives.
 */
function scheduleIteration() {
  client.next().then(handleInvocation, (err) => {
    console.log(`Unexpected Top Level Error: ${err?.toString()}`);
    errorCallbacks.uncaughtException(err);
  });
}

/** Posts a response and asks for the next invocation in one write. */
function respondAndContinue(requestId, text) {
  client.cork();
  client.postResponse(requestId, text).catch(NO_OP);
  scheduleIteration();
  client.uncork();
}

function respondErrorAndContinue(error, requestId) {
  client.cork();
  postInvocationError(error, requestId);
  scheduleIteration();
  client.uncork();
}

function handleInvocation({ headers, body }) {
  const requestId = headers['lambda-runtime-aws-request-id'];
  setCurrentRequestId(requestId);
  errorCallbacks.uncaughtException = (error) =>
    postThenExit(() => postInvocationError(error, requestId), 129);
  errorCallbacks.unhandledRejection = (error) =>
    postThenExit(() => postInvocationError(error, requestId), 128);
  if (metadata.streaming) return invokeStreaming(requestId, headers, body);
  if (promisesOnly) return invokePromise(requestId, headers, body);
  return invokeClassic(requestId, headers, body);
}

/** nodejs18.x-22.x: async, promise-returning and callback handlers, as AWS's runtime client v3. */
function invokeClassic(requestId, headers, body) {
  const [callback, context, markCompleted] = buildCallbackContext(requestId);
  beforeExit = () => {
    // The loop drained and nobody answered: an async handler's promise never settled; a sync handler
    // without a callback call means "null".
    markCompleted();
    if (metadata.isAsync) {
      const error = new NodeJsExit();
      structuredConsole.logError('Invoke Error', error);
      respondErrorAndContinue(error, requestId);
    } else {
      respondAndContinue(requestId, 'null');
    }
  };
  try {
    const result = handler(
      JSON.parse(body.toString('utf8')),
      attachEnvironmentData(context, headers),
      callback,
    );
    if (result && typeof result.then === 'function') {
      result.then(context.succeed, context.fail).catch(context.fail);
    }
  } catch (err) {
    callback(err);
  }
}

function buildCallbackContext(requestId) {
  const postError = (err) => {
    structuredConsole.logError('Invoke Error', err);
    respondErrorAndContinue(err, requestId);
  };

  let completed = false;
  const complete = (result) => {
    if (completed) {
      console.error(
        'Invocation has already been reported as done. Cannot call complete more than once per invocation.',
      );
      return;
    }
    completed = true;
    respondAndContinue(requestId, serializeResponse(result)); // serializing throws before anything is sent
  };

  let waitForEmptyEventLoop = true;

  const callback = (err, result) => {
    beforeExit = NO_OP;
    if (err !== undefined && err !== null) {
      postError(err);
    } else if (!waitForEmptyEventLoop) {
      complete(result);
    } else {
      beforeExit = () => setImmediate(() => complete(result));
    }
  };
  const done = (err, result) => {
    beforeExit = NO_OP;
    if (err !== undefined && err !== null) postError(err);
    else complete(result);
  };

  // Only the first of callback/done/succeed/fail counts.
  let finished = false;
  const once =
    (fn) =>
    (...args) => {
      if (finished) return;
      fn(...args);
      finished = true;
    };

  const context = {
    get callbackWaitsForEmptyEventLoop() {
      return waitForEmptyEventLoop;
    },
    set callbackWaitsForEmptyEventLoop(value) {
      waitForEmptyEventLoop = value;
    },
    succeed: once((result) => done(null, result)),
    fail: once((err) => (err === undefined || err === null ? done('handled') : done(err, null))),
    done: once(done),
  };
  return [once(callback), context, () => (completed = true)];
}

/** nodejs24.x+: `await handler(event, context)`, then respond on the next turn of the loop. */
async function invokePromise(requestId, headers, body) {
  beforeExit = NO_OP;
  let text;
  try {
    const context = attachEnvironmentData({}, headers, true);
    const result = await handler(JSON.parse(body.toString('utf8')), context);
    text = serializeResponse(result);
  } catch (err) {
    await new Promise((r) => setImmediate(r));
    structuredConsole.logError('Invoke Error', err);
    respondErrorAndContinue(err, requestId);
    return;
  }
  await new Promise((r) => setImmediate(r));
  respondAndContinue(requestId, text);
}

/**
 * Handlers wrapped in awslambda.streamifyResponse(handler(event, responseStream, context)). What the handler
 * writes goes to the Runtime API as it is written (streaming.mjs). An error before anything was written is
 * an ordinary /error; after, it ends the stream with the error in its trailers.
 */
async function invokeStreaming(requestId, headers, body) {
  beforeExit = NO_OP;
  const stream = newResponseStream(client, requestId, metadata.highWaterMark);
  try {
    const context = attachEnvironmentData({}, headers, promisesOnly);
    const pending = handler(JSON.parse(body.toString('utf8')), stream, context);
    if (!pending || typeof pending.then !== 'function') {
      throw new Error('Streaming does not support non-async handlers.');
    }
    const result = await pending;
    if (result !== undefined) console.warn('Streaming handlers ignore return values.');
    if (!stream.writableFinished) {
      await new Promise((resolve, reject) => {
        if (!stream.writableEnded) reject(new Error('Response stream is not finished.'));
        else {
          stream.once('finish', resolve);
          stream.once('error', reject);
        }
      });
    }
  } catch (err) {
    structuredConsole.logError('Invoke Error', err);
    if (!stream.headSent) {
      respondErrorAndContinue(err, requestId);
      return;
    }
    const errorBody = toRapidResponse(err);
    client.cork();
    stream.fail(errorBody.errorType, trailerSized(errorBody));
    scheduleIteration();
    client.uncork();
    return;
  }
  scheduleIteration();
}

/** The error document for a trailer: Node's HTTP parser takes 16 KiB of head and trailers together. */
function trailerSized(body) {
  const text = JSON.stringify(body);
  if (Buffer.byteLength(text) <= 6000) return text;
  return JSON.stringify({
    errorType: body.errorType,
    errorMessage: String(body.errorMessage).slice(0, 1500),
    trace: [],
  });
}

// --- context --------------------------------------------------------------------------------------------

function parseJsonHeader(value, name) {
  if (value === undefined) return undefined;
  try {
    return JSON.parse(value);
  } catch (err) {
    throw new Error(`Cannot parse ${name} as json: ${err.toString()}`);
  }
}

function attachEnvironmentData(target, headers, promiseModel = false) {
  const traceId = headers['lambda-runtime-trace-id'];
  if (traceId) {
    env._X_AMZN_TRACE_ID = traceId;
    traceIdSet = true;
  } else if (traceIdSet) {
    delete env._X_AMZN_TRACE_ID;
    traceIdSet = false;
  }
  const deadline = Number.parseInt(headers['lambda-runtime-deadline-ms'], 10);
  const clientContext = parseJsonHeader(headers['lambda-runtime-client-context'], 'ClientContext');
  const identity = parseJsonHeader(headers['lambda-runtime-cognito-identity'], 'CognitoIdentity');
  const getRemainingTimeInMillis = () => deadline - Date.now();
  if (!promiseModel) {
    return Object.assign(target, environmental, {
      clientContext,
      identity,
      invokedFunctionArn: headers['lambda-runtime-invoked-function-arn'],
      awsRequestId: headers['lambda-runtime-aws-request-id'],
      tenantId: headers['lambda-runtime-aws-tenant-id'],
      getRemainingTimeInMillis,
    });
  }
  // v4 moves the W3C trace context out of clientContext into context.w3c().
  const w3c = {};
  if (clientContext && typeof clientContext === 'object' && 'w3c' in clientContext) {
    const raw = clientContext.w3c;
    delete clientContext.w3c;
    for (const key of ['traceparent', 'tracestate', 'baggage']) {
      if (raw && typeof raw === 'object' && typeof raw[key] === 'string') w3c[key] = raw[key];
    }
  }
  Object.freeze(w3c);
  return Object.assign(
    target,
    {
      clientContext,
      identity,
      invokedFunctionArn: headers['lambda-runtime-invoked-function-arn'],
      awsRequestId: headers['lambda-runtime-aws-request-id'],
      tenantId: headers['lambda-runtime-aws-tenant-id'],
      xRayTraceId: traceId,
      getRemainingTimeInMillis,
      w3c: () => w3c,
    },
    environmental,
  );
}
