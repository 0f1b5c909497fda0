/**
 * InvokeWithResponseStream (API 2021-11-15): runs the function as Invoke does (same version
 * resolution, limits, leases, logs and metrics) with its response streamed: each chunk the
 * handler writes becomes a `PayloadChunk` event as it arrives, and an `InvokeComplete` event ends
 * the stream, with the function's error (`ErrorCode`, `ErrorDetails`) and the log tail
 * (`LogResult`). A function that does not stream answers with one chunk. Errors before anything
 * ran (unknown function, throttle, bad payload) are ordinary HTTP errors; once the function runs
 * the status is 200 and a failure is reported in `InvokeComplete`, as on Lambda.
 */
import { invokeStreaming } from '../../../invoke/response-stream.js';
import type { Operation, StreamEvent } from '../../../protocols/types.js';
import type { InvocationResult } from '../../../sandbox/runtime-api/types.js';
import { structure } from '../../../shared/shapes.js';
import { type LambdaDeps, scopeOf } from '../deps.js';
import * as S from '../shapes.js';
import { assertJson, resolveRunnable, SYNC_PAYLOAD_LIMIT, target } from './invoke.js';

/** A function error as InvokeComplete carries it. */
export interface StreamFunctionError {
  /** The error's type: the runtime's `Lambda-Runtime-Function-Error-Type`, else the document's `errorType`. */
  errorType: string;
  /** The document's `errorMessage` (the whole document when it has none). */
  errorMessage: string;
  /** Lambda's error document as the runtime (or the platform) wrote it. */
  payload: Buffer;
}

export function streamFunctionError(result: InvocationResult): StreamFunctionError | undefined {
  if (result.kind !== 'error') return undefined;
  const text = result.payload.toString('utf8');
  let doc: { errorType?: unknown; errorMessage?: unknown } = {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object') doc = parsed as typeof doc;
  } catch {
    // Not JSON: the text itself is the detail.
  }
  const errorType =
    result.errorType ?? (typeof doc.errorType === 'string' ? doc.errorType : undefined) ?? 'Unhandled';
  const errorMessage = typeof doc.errorMessage === 'string' ? doc.errorMessage : text;
  return { errorType, errorMessage, payload: result.payload };
}

export function invokeStreamOperations(deps: LambdaDeps): Operation[] {
  const invokeWithResponseStream: Operation = {
    name: 'InvokeWithResponseStream',
    http: {
      method: 'POST',
      path: '/2021-11-15/functions/{FunctionName}/response-streaming-invocations',
      status: 200,
    },
    maxRequestBytes: SYNC_PAYLOAD_LIMIT,
    input: structure({
      FunctionName: S.functionNameLabel,
      InvocationType: {
        type: 'string',
        location: 'header',
        locationName: 'X-Amz-Invocation-Type',
        enum: ['RequestResponse', 'DryRun'],
      },
      LogType: { type: 'string', location: 'header', locationName: 'X-Amz-Log-Type', enum: ['None', 'Tail'] },
      ClientContext: { type: 'string', location: 'header', locationName: 'X-Amz-Client-Context' },
      Qualifier: S.qualifierQuery,
      Payload: { type: 'blob' },
    }),
    inputPayload: 'Payload',
    output: {
      statusCode: 'StatusCode',
      headers: { ExecutedVersion: 'X-Amz-Executed-Version' },
      eventStream: 'EventStream',
    },
    async handler(input, ctx) {
      const payload = (input.Payload as Buffer | undefined) ?? Buffer.alloc(0);
      const scope = scopeOf(ctx);
      const { version, arn } = resolveRunnable(
        deps.store,
        scope,
        String(input.FunctionName),
        input.Qualifier as string | undefined,
      );
      if (input.InvocationType === 'DryRun') return { StatusCode: 204 };
      assertJson(payload);
      const clientContext = input.ClientContext
        ? Buffer.from(String(input.ClientContext), 'base64').toString('utf8')
        : undefined;
      const run = invokeStreaming(deps.invoker, target(deps, scope, version, arn), {
        requestId: ctx.requestId,
        payload: payload.length ? payload : Buffer.from('{}'),
        tail: input.LogType === 'Tail',
        ...(clientContext !== undefined ? { clientContext } : {}),
      });
      // A throttle (or anything else before the function ran) is still an HTTP error.
      await run.ready;
      async function* events(): AsyncGenerator<StreamEvent, void, undefined> {
        for await (const chunk of run.chunks) yield { type: 'PayloadChunk', payload: chunk };
        const outcome = await run.outcome;
        const error = streamFunctionError(outcome.result);
        yield {
          type: 'InvokeComplete',
          members: {
            ...(error ? { ErrorCode: error.errorType, ErrorDetails: error.errorMessage } : {}),
            ...(outcome.logTail !== undefined
              ? { LogResult: Buffer.from(outcome.logTail).toString('base64') }
              : {}),
          },
        };
      }
      return { StatusCode: 200, ExecutedVersion: version.version, EventStream: events() };
    },
  };
  return [invokeWithResponseStream];
}
