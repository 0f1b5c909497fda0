/**
 * Lambda's side of the async queue's decisions: an event's retry settings (its event invoke
 * config), where its outcome goes (OnSuccess/OnFailure destinations, the function's
 * dead-letter queue), and the Lambda destination target (another function, invoked
 * asynchronously with the invocation record as its event).
 */
import { randomUUID } from 'node:crypto';
import {
  type AsyncEvent,
  DEFAULT_MAXIMUM_EVENT_AGE_SECONDS,
  DEFAULT_MAXIMUM_RETRY_ATTEMPTS,
  type RetryPolicy,
  type StoredEvent,
} from '../../invoke/async/queue.js';
import {
  type AttemptResponse,
  type Condition,
  type Destinations,
  type DestinationTarget,
  deadLetterMessage,
  invocationRecord,
} from '../../invoke/destinations.js';
import type { LambdaDeps } from './deps.js';
import type { EventInvokeConfigStore } from './event-invoke-config-store.js';
import { functionArn } from './identifiers.js';
import { resolveQualifier } from './operations/aliases.js';

export function asyncOutcomes(deps: LambdaDeps, configs: EventInvokeConfigStore, destinations: Destinations) {
  const configOf = (e: StoredEvent) =>
    configs.get({ accountId: e.accountId, region: e.region }, e.functionName, e.qualifier ?? '$LATEST');

  return {
    policy(e: StoredEvent): RetryPolicy {
      const c = configOf(e);
      return {
        maximumRetryAttempts: c?.maximumRetryAttempts ?? DEFAULT_MAXIMUM_RETRY_ATTEMPTS,
        maximumEventAgeSeconds: c?.maximumEventAgeInSeconds ?? DEFAULT_MAXIMUM_EVENT_AGE_SECONDS,
      };
    },

    async onFinal(
      e: AsyncEvent,
      condition: Condition,
      response: AttemptResponse | undefined,
    ): Promise<string[]> {
      const scope = { accountId: e.accountId, region: e.region };
      const failed: string[] = [];
      const c = configOf(e);
      const destination = condition === 'Success' ? c?.onSuccess : c?.onFailure;
      if (destination) {
        const record = invocationRecord({
          requestId: e.requestId,
          functionArn: functionArn(scope, e.functionName, e.qualifier ?? '$LATEST'),
          condition,
          approximateInvokeCount: e.attempts,
          requestPayload: e.payload,
          ...(response ? { response } : {}),
        });
        const ok = await destinations.deliver(destination, { kind: 'record', record, condition }, e);
        if (!ok) failed.push(destination);
      }
      if (condition !== 'Success') {
        // The dead-letter queue of the version that ran (or would have run).
        const version =
          response?.executedVersion ??
          resolveQualifier(deps.store, scope, e.functionName, e.qualifier)?.version ??
          '$LATEST';
        const dlq = deps.store.getVersion(scope, e.functionName, version)?.config.DeadLetterConfig?.TargetArn;
        if (dlq) {
          const message = deadLetterMessage({
            requestId: e.requestId,
            requestPayload: e.payload,
            ...(response ? { response } : {}),
          });
          const ok = await destinations.deliver(dlq, { kind: 'dead-letter', ...message }, e);
          if (!ok) failed.push(dlq);
        }
      }
      return failed;
    },
  };
}

/** Delivers to a Lambda function: an asynchronous invocation whose event is the record. */
export function lambdaDestinationTarget(deps: LambdaDeps): DestinationTarget {
  return {
    async deliver(arn, message) {
      // arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]
      const [, , , region = '', accountId = '', , name = '', qualifier] = arn.split(':');
      const scope = { accountId, region };
      if (!deps.store.functionExists(scope, name)) throw new Error(`function ${arn} does not exist`);
      const body = message.kind === 'record' ? JSON.stringify(message.record) : message.body;
      await deps.asyncQueue.enqueue({
        requestId: randomUUID(),
        accountId,
        region,
        functionName: name,
        qualifier,
        payload: Buffer.from(body),
      });
    },
  };
}
