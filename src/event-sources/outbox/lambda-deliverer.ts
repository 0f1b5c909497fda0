/**
 * Delivery of outbox entries to Lambda functions: an asynchronous invocation (durably queued
 * by Lambda, so its retries, maximum event age and destinations apply) by the AWS service that
 * caused the event (`s3.amazonaws.com`, `sns.amazonaws.com`, `events.amazonaws.com`) with its
 * source ARN and account, so the function's resource policy decides as on AWS.
 *
 * A function that does not exist or whose policy does not allow the service drops the event
 * (AWS's services do not keep such events either); anything else that fails is retried.
 */
import { servicePrincipal } from '../../iam/principal.js';
import { AwsError } from '../../shared/errors.js';
import type { FunctionInvoker } from '../function-invoker.js';
import type { Deliverer, OutboxEntry } from './outbox.js';

export const LAMBDA_KIND = 'lambda';

export interface LambdaTarget {
  accountId: string;
  region: string;
  /** The function's ARN, with a qualifier when the configuration named one. */
  functionArn: string;
  /** The calling service principal, e.g. `s3.amazonaws.com`. */
  service: string;
  sourceArn?: string;
  sourceAccount?: string;
}

/** An outbox entry that invokes `target` asynchronously with `event` (JSON). */
export function lambdaEntry(target: LambdaTarget, event: Buffer): OutboxEntry {
  return { kind: LAMBDA_KIND, target: { ...target }, payload: event };
}

/** Errors that say the event can never be delivered to this target. */
const FINAL = new Set([
  'ResourceNotFoundException',
  'AccessDeniedException',
  'InvalidParameterValueException',
  'RequestTooLargeException',
]);

export function createLambdaDeliverer(functions: FunctionInvoker): Deliverer {
  return async (entry) => {
    const t = entry.target as unknown as LambdaTarget;
    try {
      await functions.invokeAsync({
        accountId: t.accountId,
        region: t.region,
        functionName: t.functionArn,
        payload: entry.payload,
        caller: {
          principal: servicePrincipal(t.service),
          ...(t.sourceArn !== undefined ? { sourceArn: t.sourceArn } : {}),
          ...(t.sourceAccount !== undefined ? { sourceAccount: t.sourceAccount } : {}),
        },
      });
      return { kind: 'delivered' };
    } catch (err) {
      if (err instanceof AwsError && FINAL.has(err.code)) {
        return {
          kind: 'dropped',
          reason: `${t.service} cannot invoke ${t.functionArn}: ${err.code}: ${err.message}`,
        };
      }
      return { kind: 'retry', reason: err instanceof Error ? err.message : String(err) };
    }
  };
}
