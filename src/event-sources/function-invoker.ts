/**
 * The one narrow way every event source reaches functions (DESIGN.md, "Event sources"): a
 * function URL, an API Gateway route, a bucket notification, a queue poller or a schedule
 * invokes a function through this interface, never through Lambda's internals or the invoke
 * layer directly. The Lambda service implements it (services/lambda/function-invoker.ts),
 * since it owns the functions, their versions, aliases and resource policies.
 *
 * The caller is named, so that the function's resource policy is checked as AWS checks it:
 * a service principal (`apigateway.amazonaws.com` with its `SourceArn`), an anonymous caller
 * of a function URL with `AuthType: NONE`, or an authenticated IAM principal.
 */
import type { ContextValue } from '../iam/policy/index.js';
import type { Principal } from '../iam/principal.js';

export interface InvocationCaller {
  /** Who invokes: `servicePrincipal('apigateway.amazonaws.com')`, an IAM user or role session, or anonymous (`*`). */
  principal: Principal;
  /** The IAM action checked against the function's policy: `lambda:InvokeFunction` unless said otherwise. */
  action?: 'lambda:InvokeFunction' | 'lambda:InvokeFunctionUrl';
  /** `aws:SourceArn` (the API's execute-api ARN, the bucket's ARN, ...). */
  sourceArn?: string;
  /** `aws:SourceAccount`. */
  sourceAccount?: string;
  /** Further condition keys (`lambda:FunctionUrlAuthType`, `aws:SourceIp`, ...). */
  context?: Readonly<Record<string, ContextValue>>;
}

export interface FunctionInvocation {
  accountId: string;
  region: string;
  /** A function name, partial or full ARN, with or without a qualifier (as Invoke's FunctionName). */
  functionName: string;
  qualifier?: string;
  /** The event, JSON. */
  payload: Buffer;
  caller: InvocationCaller;
  /** The invocation's request id (a fresh one when absent). */
  requestId?: string;
}

export type SyncInvocationOutcome =
  /** The handler returned: its payload as the runtime sent it. */
  | { kind: 'response'; payload: Buffer; executedVersion: string; requestId: string }
  /** The handler (or its INIT, timeout, crash) failed: Lambda's error document. */
  | { kind: 'function-error'; payload: Buffer; executedVersion: string; requestId: string };

/** A function's error as a streamed invocation reports it (InvokeComplete's ErrorCode and ErrorDetails). */
export interface StreamedFunctionError {
  /** `Error`, `TypeError`, `Sandbox.Timedout`, `Function.ResponseSizeTooLarge`, ... */
  errorType: string;
  errorMessage: string;
  /** Lambda's error document, JSON. */
  payload: Buffer;
}

export interface StreamedInvocation {
  executedVersion: string;
  requestId: string;
  /**
   * The response's bytes as the handler writes them (`awslambda.streamifyResponse`); a function
   * that does not stream gives its whole response as one chunk. With
   * `awslambda.HttpResponseStream.from` the stream starts with the JSON prelude and 8 NUL bytes.
   * Leaving the loop early drops the rest (the function still runs to its end and is accounted).
   */
  chunks: AsyncIterable<Buffer>;
  /**
   * The Content-Type the function gave its stream (`application/vnd.awslambda.http-integration-response`
   * after HttpResponseStream.from); known once the first chunk arrived or the chunks ended.
   */
  contentType(): string | undefined;
  /** Resolves once the invocation ended (after the last chunk): its error, if it failed. */
  completion: Promise<{ error?: StreamedFunctionError }>;
}

export interface FunctionInvoker {
  /**
   * Runs the function and waits for its answer. Throws Lambda's typed errors: ResourceNotFound
   * (no such function or qualifier), AccessDenied (the caller is not allowed by the function's
   * policy — the message is AWS's), TooManyRequests (throttled), ResourceConflict (not Active).
   */
  invoke(request: FunctionInvocation): Promise<SyncInvocationOutcome>;
  /**
   * Runs the function with its response streamed (RESPONSE_STREAM function URLs). Resolves once the
   * function began answering (its first chunk, or its end), so that errors before it ran are thrown
   * as from `invoke`; an error after that (mid-stream, timeout, crash) comes in `completion`.
   */
  invokeStream(request: FunctionInvocation): Promise<StreamedInvocation>;
  /** Stores the event durably for asynchronous invocation (retries, destinations) and returns. */
  invokeAsync(request: FunctionInvocation): Promise<{ requestId: string }>;
  /** The function's ARN, qualified as asked, or undefined when it (or the qualifier) does not exist. */
  functionArn(
    accountId: string,
    region: string,
    functionName: string,
    qualifier?: string,
  ): string | undefined;
}
