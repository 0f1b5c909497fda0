/**
 * Lambda's side of the event sources' one way in (event-sources/function-invoker.ts): resolves
 * the function, version or alias as Invoke does, checks the caller against the function's
 * resource policy (and, for IAM principals, their identity policies) as AWS does for service
 * principals and function URLs, then runs it through the same invoke layer as Invoke.
 */
import { randomUUID } from 'node:crypto';
import type {
  FunctionInvocation,
  FunctionInvoker,
  StreamedInvocation,
  SyncInvocationOutcome,
} from '../../event-sources/function-invoker.js';
import type { Authorizer } from '../../iam/authorizer.js';
import type { CompiledPolicy, ContextValue } from '../../iam/policy/index.js';
import { invokeStreaming } from '../../invoke/response-stream.js';
import type { LambdaDeps } from './deps.js';
import { AccessDeniedException } from './errors.js';
import { functionArn, parseFunctionRef } from './identifiers.js';
import { resolveQualifier } from './operations/aliases.js';
import { ASYNC_PAYLOAD_LIMIT, resolveRunnable, SYNC_PAYLOAD_LIMIT, target } from './operations/invoke.js';
import { streamFunctionError } from './operations/invoke-stream.js';

export function createFunctionInvoker(
  deps: LambdaDeps,
  access: { authorizer: Authorizer | undefined; policyOf: (arn: string) => CompiledPolicy | undefined },
): FunctionInvoker {
  /**
   * Throws AccessDeniedException with AWS's message when the caller may not invoke `arn`. A
   * function URL's caller needs lambda:InvokeFunctionUrl and, as AWS requires of URLs created
   * since October 2025, lambda:InvokeFunction too (with `lambda:InvokedViaFunctionUrl` true,
   * which AddPermission's InvokedViaFunctionUrl grants).
   */
  function checkCaller(request: FunctionInvocation, arn: string): void {
    const { authorizer } = access;
    if (!authorizer) return;
    const { caller } = request;
    const action = caller.action ?? 'lambda:InvokeFunction';
    const context: Record<string, ContextValue> = {
      ...(caller.sourceArn ? { 'aws:SourceArn': caller.sourceArn } : {}),
      ...(caller.sourceAccount ? { 'aws:SourceAccount': caller.sourceAccount } : {}),
      ...caller.context,
    };
    const policy = access.policyOf(arn);
    const decide = (a: string, ctx: typeof context) =>
      authorizer.decide({ principal: caller.principal, action: a, resource: arn, context: ctx }, policy);
    let denied = decide(action, context);
    if (!denied && action === 'lambda:InvokeFunctionUrl') {
      denied = decide('lambda:InvokeFunction', { ...context, 'lambda:InvokedViaFunctionUrl': 'true' });
    }
    if (denied) throw new AccessDeniedException(denied);
  }

  return {
    async invoke(request): Promise<SyncInvocationOutcome> {
      const scope = { accountId: request.accountId, region: request.region };
      const { version, arn } = resolveRunnable(deps.store, scope, request.functionName, request.qualifier);
      checkCaller(request, arn);
      if (request.payload.length > SYNC_PAYLOAD_LIMIT) throw deps.tooLarge(SYNC_PAYLOAD_LIMIT);
      const requestId = request.requestId ?? randomUUID();
      const outcome = await deps.invoker.invoke(target(deps, scope, version, arn), {
        requestId,
        payload: request.payload,
        tail: false,
      });
      const { result } = outcome;
      return {
        kind: result.kind === 'error' ? 'function-error' : 'response',
        payload: result.payload,
        executedVersion: version.version,
        requestId,
      };
    },

    async invokeStream(request): Promise<StreamedInvocation> {
      const scope = { accountId: request.accountId, region: request.region };
      const { version, arn } = resolveRunnable(deps.store, scope, request.functionName, request.qualifier);
      checkCaller(request, arn);
      if (request.payload.length > SYNC_PAYLOAD_LIMIT) throw deps.tooLarge(SYNC_PAYLOAD_LIMIT);
      const requestId = request.requestId ?? randomUUID();
      const run = invokeStreaming(deps.invoker, target(deps, scope, version, arn), {
        requestId,
        payload: request.payload,
        tail: false,
      });
      await run.ready;
      const completion = run.outcome.then(({ result }) => {
        const error = streamFunctionError(result);
        return error ? { error } : {};
      });
      completion.catch(() => undefined);
      return {
        executedVersion: version.version,
        requestId,
        chunks: run.chunks,
        contentType: () => run.chunks.contentType,
        completion,
      };
    },

    async invokeAsync(request) {
      const scope = { accountId: request.accountId, region: request.region };
      const { version, qualifier, arn } = resolveRunnable(
        deps.store,
        scope,
        request.functionName,
        request.qualifier,
      );
      checkCaller(request, arn);
      if (request.payload.length > ASYNC_PAYLOAD_LIMIT) throw deps.tooLarge(ASYNC_PAYLOAD_LIMIT);
      const requestId = request.requestId ?? randomUUID();
      await deps.asyncQueue.enqueue({
        requestId,
        accountId: scope.accountId,
        region: scope.region,
        functionName: version.name,
        qualifier,
        payload: request.payload,
      });
      return { requestId };
    },

    functionArn(accountId, region, functionName, qualifier) {
      const scope = { accountId, region };
      try {
        const ref = parseFunctionRef(functionName, qualifier, scope, 'invoke');
        if (!resolveQualifier(deps.store, scope, ref.name, ref.qualifier)) return undefined;
        return functionArn(scope, ref.name, ref.qualifier);
      } catch {
        return undefined;
      }
    },
  };
}
