/**
 * The outbox entries one S3 object event causes: one per matching configuration (each with its
 * own configurationId, as S3 sends them), plus one EventBridge event when that is on. The S3
 * service records them in the transaction that stores the object's metadata (outbox.record), so
 * an event a client was told about survives kill -9.
 *
 * Lambda entries use the Lambda deliverer: an asynchronous invoke as `s3.amazonaws.com`, with the
 * bucket's ARN as SourceArn and its owner as SourceAccount, which the function's policy is
 * checked against at delivery. Queue, topic and EventBridge entries are made only for the
 * services the deployment has (`deliverTo`): until SQS/SNS/EventBridge exist nothing could
 * deliver them, and S3 drops an event it cannot deliver rather than keeping it.
 */
import { lambdaEntry } from '../../outbox/lambda-deliverer.js';
import type { OutboxEntry } from '../../outbox/outbox.js';
import type { NotificationConfiguration } from './configuration.js';
import { buildEventBridgeEvent } from './eventbridge.js';
import { matchDestinations, sendsToEventBridge } from './match.js';
import { buildEventNotification, type S3ObjectEvent, SNS_SUBJECT } from './records.js';

export const S3_PRINCIPAL = 's3.amazonaws.com';
export const SQS_KIND = 'sqs';
export const SNS_KIND = 'sns';
export const EVENTBRIDGE_KIND = 'eventbridge';

/** Which destination services exist to deliver to (Lambda always does). */
export interface DeliverTo {
  queues?: boolean;
  topics?: boolean;
  eventBridge?: boolean;
}

function arnPart(arn: string, index: number): string {
  return arn.split(':')[index] ?? '';
}

export function notificationEntries(
  configuration: NotificationConfiguration,
  event: S3ObjectEvent,
  deliverTo: DeliverTo = {},
): OutboxEntry[] {
  const sourceArn = `arn:${event.partition ?? 'aws'}:s3:::${event.bucket.name}`;
  const source = { sourceArn, sourceAccount: event.bucket.ownerAccountId };
  const entries: OutboxEntry[] = [];
  for (const d of matchDestinations(configuration, event.eventName, event.object.key)) {
    const payload = Buffer.from(JSON.stringify(buildEventNotification(event, d.configurationId)));
    if (d.kind === 'lambda') {
      entries.push(
        lambdaEntry(
          {
            accountId: arnPart(d.arn, 4),
            region: arnPart(d.arn, 3),
            functionArn: d.arn,
            service: S3_PRINCIPAL,
            ...source,
          },
          payload,
        ),
      );
    } else if (d.kind === 'queue' && deliverTo.queues) {
      entries.push({
        kind: SQS_KIND,
        target: { queueArn: d.arn, service: S3_PRINCIPAL, ...source },
        payload,
      });
    } else if (d.kind === 'topic' && deliverTo.topics) {
      entries.push({
        kind: SNS_KIND,
        target: { topicArn: d.arn, subject: SNS_SUBJECT, service: S3_PRINCIPAL, ...source },
        payload,
      });
    }
  }
  if (deliverTo.eventBridge && sendsToEventBridge(configuration)) {
    const bridged = buildEventBridgeEvent(event);
    if (bridged) {
      entries.push({
        kind: EVENTBRIDGE_KIND,
        target: { accountId: event.bucket.ownerAccountId, region: event.region, eventBusName: 'default' },
        payload: Buffer.from(JSON.stringify(bridged)),
      });
    }
  }
  return entries;
}
