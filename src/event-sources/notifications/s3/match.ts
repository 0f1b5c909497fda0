/**
 * Which of a bucket's notification configurations an object event goes to.
 *
 * A configuration matches when one of its event types covers the event (`s3:ObjectCreated:*`
 * covers `s3:ObjectCreated:Put`, see events.ts) and the key passes its filter: it starts with the
 * Prefix value and ends with the Suffix value (an absent or empty value passes everything,
 * recorded: test_filter_rules_empty_value). The key compared is the URL-encoded key the record
 * carries (key-encoding.ts), case-sensitively, as AWS compares them.
 * EventBridge is not a matter of matching: with EventBridgeConfiguration, every event goes to
 * the default bus and EventBridge rules choose.
 */
import type {
  LambdaFunctionConfiguration,
  NotificationConfiguration,
  NotificationFilter,
  QueueConfiguration,
  TopicConfiguration,
} from './configuration.js';
import { matchesEventType } from './events.js';
import { encodeEventKey } from './key-encoding.js';

/** One destination an event goes to, with the configuration Id its record carries. */
export type MatchedDestination =
  | { kind: 'lambda'; arn: string; configurationId: string }
  | { kind: 'queue'; arn: string; configurationId: string }
  | { kind: 'topic'; arn: string; configurationId: string };

export function keyPassesFilter(filter: NotificationFilter | undefined, key: string): boolean {
  if (!filter) return true;
  const encoded = encodeEventKey(key);
  for (const rule of filter.Key.FilterRules) {
    if (rule.Name === 'Prefix' && !encoded.startsWith(rule.Value)) return false;
    if (rule.Name === 'Suffix' && !encoded.endsWith(rule.Value)) return false;
  }
  return true;
}

function matches(
  config: LambdaFunctionConfiguration | QueueConfiguration | TopicConfiguration,
  eventName: string,
  key: string,
): boolean {
  return config.Events.some((e) => matchesEventType(e, eventName)) && keyPassesFilter(config.Filter, key);
}

/**
 * The destinations of one event (`eventName` is the full type, e.g. `s3:ObjectCreated:Put`), one
 * per matching configuration, in the configuration's order: two configurations for one
 * destination give two records, each with its own configurationId, as S3 sends them.
 */
export function matchDestinations(
  configuration: NotificationConfiguration,
  eventName: string,
  key: string,
): MatchedDestination[] {
  const out: MatchedDestination[] = [];
  for (const c of configuration.TopicConfigurations ?? []) {
    if (matches(c, eventName, key)) out.push({ kind: 'topic', arn: c.TopicArn, configurationId: c.Id });
  }
  for (const c of configuration.QueueConfigurations ?? []) {
    if (matches(c, eventName, key)) out.push({ kind: 'queue', arn: c.QueueArn, configurationId: c.Id });
  }
  for (const c of configuration.LambdaFunctionConfigurations ?? []) {
    if (matches(c, eventName, key))
      out.push({ kind: 'lambda', arn: c.LambdaFunctionArn, configurationId: c.Id });
  }
  return out;
}

/** Whether the event also goes to EventBridge (every event does once it is enabled). */
export function sendsToEventBridge(configuration: NotificationConfiguration): boolean {
  return configuration.EventBridgeConfiguration !== undefined;
}
