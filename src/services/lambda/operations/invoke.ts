/**
 * Invoke (RequestResponse, Event, DryRun; LogType Tail) and the legacy InvokeAsync. The
 * function version is resolved here (an alias to its version, or to its additional version
 * by weight; `X-Amz-Executed-Version` says which ran); running it is the invoke layer's job
 * (src/invoke). Asynchronous events are stored durably before the 202.
 */

import type { AsyncEvent, AttemptResult } from '../../../invoke/async/queue.js';
import type { FunctionTarget } from '../../../invoke/launch.js';
import type { Operation, RequestContext } from '../../../protocols/types.js';
import { structure } from '../../../shared/shapes.js';
import { type LambdaDeps, scopeOf } from '../deps.js';
import {
  InvalidRequestContentException,
  InvalidRuntimeException,
  ResourceConflictException,
} from '../errors.js';
import { functionArn, functionNotFound, parseFunctionRef } from '../identifiers.js';
import { servingOf } from '../model.js';
import * as S from '../shapes.js';
import type { LambdaStore, Scope, StoredVersion } from '../store.js';
import { pickVersion, resolveQualifier } from './aliases.js';

/** Lambda's payload limits: 6 MB synchronous (request and response), 1 MB asynchronous. */
export const SYNC_PAYLOAD_LIMIT = 6_291_556;
export const ASYNC_PAYLOAD_LIMIT = 1_048_576;

const RUNNABLE = /^(nodejs|python|provided)/;

/** Tag a function with `lambent:outbound=false` to cut it off from networks beyond the platform. */
export const OUTBOUND_TAG = 'lambent:outbound';

export function invokeOperations(deps: LambdaDeps): Operation[] {
  const { store } = deps;

  const resolve = (ctx: RequestContext, functionName: string, qualifier: string | undefined) =>
    resolveRunnable(store, scopeOf(ctx), functionName, qualifier);

  const invoke: Operation = {
    name: 'Invoke',
    http: { method: 'POST', path: '/2015-03-31/functions/{FunctionName}/invocations', status: 200 },
    maxRequestBytes: SYNC_PAYLOAD_LIMIT,
    input: structure({
      FunctionName: S.functionNameLabel,
      InvocationType: {
        type: 'string',
        location: 'header',
        locationName: 'X-Amz-Invocation-Type',
        enum: ['Event', 'RequestResponse', 'DryRun'],
      },
      LogType: { type: 'string', location: 'header', locationName: 'X-Amz-Log-Type', enum: ['None', 'Tail'] },
      ClientContext: { type: 'string', location: 'header', locationName: 'X-Amz-Client-Context' },
      Qualifier: S.qualifierQuery,
      Payload: { type: 'blob' },
    }),
    inputPayload: 'Payload',
    output: {
      statusCode: 'StatusCode',
      payload: 'Payload',
      headers: {
        FunctionError: 'X-Amz-Function-Error',
        LogResult: 'X-Amz-Log-Result',
        ExecutedVersion: 'X-Amz-Executed-Version',
      },
    },
    async handler(input, ctx) {
      const payload = (input.Payload as Buffer | undefined) ?? Buffer.alloc(0);
      const { scope, version, qualifier, arn } = resolve(
        ctx,
        String(input.FunctionName),
        input.Qualifier as string | undefined,
      );
      const type = (input.InvocationType as string | undefined) ?? 'RequestResponse';
      if (type === 'DryRun') return { StatusCode: 204 };
      assertJson(payload);
      if (type === 'Event') {
        if (payload.length > ASYNC_PAYLOAD_LIMIT) throw deps.tooLarge(ASYNC_PAYLOAD_LIMIT);
        await deps.asyncQueue.enqueue({
          requestId: ctx.requestId,
          accountId: scope.accountId,
          region: scope.region,
          functionName: version.name,
          // Also a qualifier given in the name (`fn:live`); an alias is resolved when the event runs.
          qualifier,
          payload,
        });
        return { StatusCode: 202 };
      }
      const clientContext = input.ClientContext
        ? Buffer.from(String(input.ClientContext), 'base64').toString('utf8')
        : undefined;
      const outcome = await deps.invoker.invoke(target(deps, scope, version, arn), {
        requestId: ctx.requestId,
        payload: payload.length ? payload : Buffer.from('{}'),
        tail: input.LogType === 'Tail',
        ...(clientContext !== undefined ? { clientContext } : {}),
      });
      const result = outcome.result;
      return {
        StatusCode: 200,
        ExecutedVersion: version.version,
        ...(result.kind === 'error' ? { FunctionError: 'Unhandled' } : {}),
        ...(outcome.logTail !== undefined
          ? { LogResult: Buffer.from(outcome.logTail).toString('base64') }
          : {}),
        Payload: result.payload,
      };
    },
  };

  const invokeAsync: Operation = {
    name: 'InvokeAsync',
    http: { method: 'POST', path: '/2014-11-13/functions/{FunctionName}/invoke-async', status: 202 },
    maxRequestBytes: ASYNC_PAYLOAD_LIMIT,
    input: structure({ FunctionName: S.functionNameLabel, InvokeArgs: { type: 'blob', required: true } }),
    inputPayload: 'InvokeArgs',
    output: { statusCode: 'Status' },
    async handler(input, ctx) {
      const payload = input.InvokeArgs as Buffer;
      const { scope, version, qualifier } = resolve(ctx, String(input.FunctionName), undefined);
      assertJson(payload);
      await deps.asyncQueue.enqueue({
        requestId: ctx.requestId,
        accountId: scope.accountId,
        region: scope.region,
        functionName: version.name,
        qualifier,
        payload,
      });
      return { Status: 202 };
    },
  };

  return [invoke, invokeAsync];
}

/**
 * The version an invocation runs, checked to be runnable now. An alias runs the version it
 * points to, or its additional version with that version's weight (drawn per invocation).
 */
export function resolveRunnable(
  store: LambdaStore,
  scope: Scope,
  functionName: string,
  qualifier: string | undefined,
): { scope: Scope; version: StoredVersion; qualifier: string | undefined; arn: string } {
  const ref = parseFunctionRef(functionName, qualifier, scope, 'invoke');
  const version = runVersion(store, scope, ref.name, ref.qualifier);
  if (!version) throw functionNotFound(scope, ref, 'invoke');
  if (version.config.State !== 'Active') {
    throw new ResourceConflictException(
      `The operation cannot be performed at this time. The function is currently in the following state: ${version.config.State}`,
    );
  }
  if (!RUNNABLE.test(version.config.Runtime ?? '')) {
    throw new InvalidRuntimeException(
      `The runtime ${version.config.Runtime} is not available in Lambent yet.`,
    );
  }
  return { scope, version, qualifier: ref.qualifier, arn: functionArn(scope, ref.name, ref.qualifier) };
}

/** What the invoke layer needs about a stored version (also provisioned concurrency's). */
export function target(deps: LambdaDeps, scope: Scope, v: StoredVersion, arn: string): FunctionTarget {
  // During an update (or after a failed one) the previous configuration and code keep serving.
  const { config: c, codeKey } = servingOf(v);
  const layersDir = deps.activator.layersDir(c);
  return {
    accountId: scope.accountId,
    region: scope.region,
    name: v.name,
    version: v.version,
    arn,
    runtime: c.Runtime ?? '',
    handler: c.Handler ?? '',
    memoryMb: c.MemorySize,
    timeoutSeconds: c.Timeout,
    ephemeralMb: c.EphemeralStorage.Size,
    environment: c.Environment?.Variables ?? {},
    logGroup: c.LoggingConfig.LogGroup,
    logFormat: c.LoggingConfig.LogFormat === 'JSON' ? 'JSON' : 'Text',
    ...(c.LoggingConfig.ApplicationLogLevel
      ? { applicationLogLevel: c.LoggingConfig.ApplicationLogLevel }
      : {}),
    ...(c.LoggingConfig.SystemLogLevel ? { systemLogLevel: c.LoggingConfig.SystemLogLevel } : {}),
    codeDir: deps.activator.codeDir(codeKey),
    ...(layersDir ? { layersDir } : {}),
    role: c.Role,
    // Lambent's per-function switch (a tag, since Lambda has no such setting).
    outbound: deps.store.getTags(scope, v.name)?.[OUTBOUND_TAG] !== 'false',
  };
}

/** Runs one attempt of a stored asynchronous event (the durable queue calls this). */
export function asyncEventRunner(deps: LambdaDeps): (event: AsyncEvent) => Promise<AttemptResult> {
  return async (event) => {
    const scope = { accountId: event.accountId, region: event.region };
    // An alias is resolved (and its routing drawn) when the event runs.
    const version = runVersion(deps.store, scope, event.functionName, event.qualifier);
    // The function (or alias) was deleted after the event was accepted: nothing left to run.
    if (!version) return { kind: 'gone' };
    const arn = functionArn(scope, event.functionName, event.qualifier);
    const outcome = await deps.invoker.invoke(target(deps, scope, version, arn), {
      requestId: event.requestId,
      payload: event.payload,
      tail: false,
    });
    const result = outcome.result;
    if (result.kind === 'error') {
      const detail = result.payload.toString('utf8').slice(0, 300);
      deps.logger.warn(
        `async invocation ${event.requestId} of ${event.functionName} failed (attempt ${event.attempts}): ${detail}`,
      );
      return {
        kind: 'function-error',
        response: {
          statusCode: 200,
          executedVersion: version.version,
          functionError: 'Unhandled',
          payload: result.payload,
        },
      };
    }
    return {
      kind: 'success',
      response: { statusCode: 200, executedVersion: version.version, payload: result.payload },
    };
  };
}

/** The stored version an invocation of NAME[:QUALIFIER] runs (an alias's weighted choice). */
function runVersion(
  store: LambdaStore,
  scope: Scope,
  name: string,
  qualifier: string | undefined,
): StoredVersion | undefined {
  const target = resolveQualifier(store, scope, name, qualifier);
  if (!target) return undefined;
  return store.getVersion(scope, name, target.alias ? pickVersion(target.alias) : target.version);
}

/** Lambda refuses a payload that is not JSON before running anything. */
export function assertJson(payload: Buffer): void {
  if (payload.length === 0) return;
  try {
    JSON.parse(payload.toString('utf8'));
  } catch {
    throw new InvalidRequestContentException(
      'Could not parse request body into json: Could not parse payload into json',
    );
  }
}
