/**
 * What IAM checks for each CloudWatch Logs operation: `logs:<Operation>` on the log group the
 * request names — as `arn:aws:logs:<region>:<account>:log-group:<name>:*`, the form Logs itself
 * reports and policies such as AWSLambdaBasicExecutionRole grant (`log-group:/aws/lambda/f:*`) —
 * or on the stream for reading and writing events (`...:log-group:<name>:log-stream:<stream>`);
 * operations over all groups are checked against `*`.
 */
import type { Operation, RequestContext } from '../../protocols/types.js';

const STREAM_EVENTS = new Set(['PutLogEvents', 'GetLogEvents']);

export function logsResources(op: string, input: Record<string, unknown>, ctx: RequestContext): string[] {
  const name = input.logGroupName ?? input.logGroupIdentifier;
  if (typeof name !== 'string' || name === '') return ['*'];
  const group = name.startsWith('arn:')
    ? name.replace(/:\*$/, '')
    : `arn:aws:logs:${ctx.region}:${ctx.accountId}:log-group:${name}`;
  const stream = input.logStreamName;
  if (STREAM_EVENTS.has(op) && typeof stream === 'string') return [`${group}:log-stream:${stream}`];
  return [`${group}:*`];
}

export function withLogsAuthz(ops: readonly Operation[]): Operation[] {
  return ops.map((op) => ({
    ...op,
    authz: op.authz ?? {
      action: `logs:${op.name}`,
      resources: (input, ctx) => logsResources(op.name, input, ctx),
    },
  }));
}
