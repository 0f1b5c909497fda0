/**
 * Where an asynchronous invocation's outcome goes: the OnSuccess/OnFailure destinations of
 * its event invoke config and its function's dead-letter queue.
 *
 * This module builds what AWS sends — the invocation record (test_lambda_destinations
 * recordings: version, timestamp, requestContext, requestPayload, responseContext,
 * responsePayload) and the dead-letter message (body = the event, attributes RequestID,
 * ErrorCode, ErrorMessage) — and hands it to a delivery target chosen by the ARN's service.
 * Only the Lambda target exists today; SQS, SNS, EventBridge and S3 targets plug in through
 * `DestinationTarget` when those services exist. A delivery to a service Lambent does not
 * have is logged once per event and counted.
 */
import type { Logger } from '../shared/logger.js';

/** Why an event left the queue (AWS's `requestContext.condition`). */
export type Condition = 'Success' | 'RetriesExhausted' | 'EventAgeExceeded' | 'ZeroReservedConcurrency';

/** What one attempt's run answered. */
export interface AttemptResponse {
  statusCode: number;
  executedVersion: string;
  /** `Unhandled` for a function error (also a timeout or a crash). */
  functionError?: string;
  payload: Buffer;
}

export interface RecordInput {
  requestId: string;
  /** The invoked ARN, qualified (`:$LATEST` when the invocation named none). */
  functionArn: string;
  condition: Condition;
  approximateInvokeCount: number;
  requestPayload: Buffer;
  /** The last attempt's answer; absent when the function never ran (e.g. ZeroReservedConcurrency). */
  response?: AttemptResponse;
  timestamp?: Date;
}

/** A payload as AWS shows it in a record: parsed JSON, else the text. */
function jsonOrText(payload: Buffer): unknown {
  const text = payload.toString('utf8');
  if (text === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** AWS's invocation record (the body an OnSuccess/OnFailure destination receives). */
export function invocationRecord(input: RecordInput): Record<string, unknown> {
  const r = input.response;
  return {
    version: '1.0',
    timestamp: (input.timestamp ?? new Date()).toISOString(),
    requestContext: {
      requestId: input.requestId,
      functionArn: input.functionArn,
      condition: input.condition,
      approximateInvokeCount: input.approximateInvokeCount,
    },
    requestPayload: jsonOrText(input.requestPayload),
    ...(r
      ? {
          responseContext: {
            statusCode: r.statusCode,
            executedVersion: r.executedVersion,
            ...(r.functionError ? { functionError: r.functionError } : {}),
          },
          responsePayload: jsonOrText(r.payload),
        }
      : {}),
  };
}

export interface MessageAttribute {
  DataType: 'String' | 'Number';
  StringValue: string;
}

/** AWS's dead-letter message: the event as the body, the failure in attributes (recorded). */
export function deadLetterMessage(input: {
  requestId: string;
  requestPayload: Buffer;
  response?: AttemptResponse;
}): { body: string; attributes: Record<string, MessageAttribute> } {
  const parsed = input.response ? jsonOrText(input.response.payload) : undefined;
  const errorMessage =
    parsed && typeof parsed === 'object' && 'errorMessage' in parsed
      ? String((parsed as { errorMessage: unknown }).errorMessage)
      : typeof parsed === 'string'
        ? parsed
        : '';
  return {
    body: input.requestPayload.toString('utf8'),
    attributes: {
      RequestID: { DataType: 'String', StringValue: input.requestId },
      ErrorCode: { DataType: 'Number', StringValue: String(input.response?.statusCode ?? 200) },
      ErrorMessage: { DataType: 'String', StringValue: errorMessage },
    },
  };
}

/** One message for a destination. */
export type DestinationMessage =
  | { kind: 'record'; record: Record<string, unknown>; condition: Condition }
  | { kind: 'dead-letter'; body: string; attributes: Record<string, MessageAttribute> };

/**
 * Delivers to one service's resources (the Lambda target; later SQS, SNS, EventBridge, S3).
 * What each sends, as recorded: SQS the record (or dead-letter body and attributes) as the
 * message; EventBridge the record as `detail` with `detail-type` "Lambda Function Invocation
 * Result - Success" / "- Failure", `source` "lambda" and `resources` [bus ARN, function ARN].
 */
export interface DestinationTarget {
  /** Resolves once the message is durably handed over; throws when it cannot be. */
  deliver(arn: string, message: DestinationMessage): Promise<void>;
}

export type DestinationService = 'lambda' | 'sqs' | 'sns' | 'events' | 's3';

export interface Destinations {
  /** True when delivered; false (logged, counted) when the target is missing or failed. */
  deliver(arn: string, message: DestinationMessage, about: { requestId: string }): Promise<boolean>;
  /** Adds a service's target (when that service comes to exist). */
  register(service: DestinationService, target: DestinationTarget): void;
  /** Deliveries given up on: no such service in Lambent, or the target failed. */
  failures(): { missingService: number; failed: number };
}

export function createDestinations(opts: {
  logger: Logger;
  targets?: Partial<Record<DestinationService, DestinationTarget>>;
}): Destinations {
  const targets = new Map(Object.entries(opts.targets ?? {})) as Map<string, DestinationTarget>;
  let missingService = 0;
  let failed = 0;
  return {
    async deliver(arn, message, about) {
      const service = arn.split(':')[2] ?? '';
      const target = targets.get(service);
      if (!target) {
        missingService++;
        opts.logger.warn(
          `async invocation ${about.requestId}: ${message.kind === 'dead-letter' ? 'dead-letter queue' : 'destination'} ${arn} not delivered: Lambent has no ${service || 'such'} service yet`,
        );
        return false;
      }
      try {
        await target.deliver(arn, message);
        return true;
      } catch (err) {
        failed++;
        opts.logger.warn(
          `async invocation ${about.requestId}: delivery to ${arn} failed: ${err instanceof Error ? err.message : String(err)}`,
        );
        return false;
      }
    },
    register(service, target) {
      targets.set(service, target);
    },
    failures: () => ({ missingService, failed }),
  };
}
