/**
 * A bucket's NotificationConfiguration as S3's API carries it, and its validation as
 * PutBucketNotificationConfiguration performs it.
 *
 * Order of checks, as recorded (test_multiple_invalid_sqs_arns: an unparseable ARN is reported
 * even when another destination does not exist; test_invalid_*_arn: also with
 * SkipDestinationValidation): first everything S3 can check from the request alone (shape, ARNs,
 * event names, filter rules, overlaps), reporting the first failure as `ArgumentName`/
 * `ArgumentValue`; then, unless SkipDestinationValidation, every destination, all failures in one
 * error as `ArgumentName1..N`/`ArgumentValue1..N`.
 *
 * What validation must ask outside (does a function exist and allow S3 to invoke it, does a
 * queue or topic exist and accept S3's messages) is the `DestinationChecks` the caller passes.
 */
import { randomUUID } from 'node:crypto';
import {
  AMBIGUOUS_FILTERS,
  ARN_NOT_PARSED,
  CONFIGURATIONS_OVERLAP,
  type DestinationFailure,
  EVENT_NOT_SUPPORTED,
  FILTER_RULE_NAME,
  FILTER_VALUE_TOO_LONG,
  InvalidArgument,
  MalformedXML,
  MORE_THAN_ONE_PREFIX,
  MORE_THAN_ONE_SUFFIX,
  unableToValidate,
} from './errors.js';
import { expandEventTypes, isSupportedEventType } from './events.js';

export interface FilterRule {
  /** Normalised to S3's spelling whatever case the request used (recorded). */
  Name: 'Prefix' | 'Suffix';
  Value: string;
}

export interface NotificationFilter {
  Key: { FilterRules: FilterRule[] };
}

interface CommonConfiguration {
  Id: string;
  Events: string[];
  Filter?: NotificationFilter;
}

export interface LambdaFunctionConfiguration extends CommonConfiguration {
  LambdaFunctionArn: string;
}
export interface QueueConfiguration extends CommonConfiguration {
  QueueArn: string;
}
export interface TopicConfiguration extends CommonConfiguration {
  TopicArn: string;
}

/** The normalised configuration: what is stored and what GetBucketNotificationConfiguration returns. */
export interface NotificationConfiguration {
  TopicConfigurations?: TopicConfiguration[];
  QueueConfigurations?: QueueConfiguration[];
  LambdaFunctionConfigurations?: LambdaFunctionConfiguration[];
  /** Present (and empty) when the bucket sends every event to EventBridge's default bus. */
  EventBridgeConfiguration?: Record<string, never>;
}

/** The bucket whose configuration is being validated. */
export interface BucketRef {
  name: string;
  /** `arn:aws:s3:::name`. */
  arn: string;
  /** The bucket owner's account: S3's SourceAccount when it calls a destination. */
  accountId: string;
  region: string;
}

/** What a destination check found; `ok` lets the configuration be saved. */
export type DestinationStatus = 'ok' | 'missing' | 'denied';

/**
 * What validation asks outside S3. A missing `queue`/`topic` means that service does not exist
 * in this deployment: every such destination is then answered as AWS answers a queue or topic
 * that does not exist.
 */
export interface DestinationChecks {
  /**
   * Whether the function exists and its resource policy allows `s3.amazonaws.com` to invoke it
   * with this bucket as SourceArn and its owner as SourceAccount. AWS answers both failures alike.
   */
  lambdaInvokeAllowed(functionArn: string, bucket: BucketRef): boolean | Promise<boolean>;
  /** Whether the queue exists and its policy lets S3 send from this bucket (S3 sends a TestEvent). */
  queue?(queueArn: string, bucket: BucketRef): DestinationStatus | Promise<DestinationStatus>;
  topic?(topicArn: string, bucket: BucketRef): DestinationStatus | Promise<DestinationStatus>;
}

export interface ValidateOptions {
  bucket: BucketRef;
  checks: DestinationChecks;
  /** PutBucketNotificationConfiguration's `x-amz-skip-destination-validation`. */
  skipDestinationValidation?: boolean;
  /** Id generator for configurations without one (tests pass a fixed one). */
  newId?: () => string;
}

/**
 * AWS's generated ids are the base64 of a random UUID's text (e.g. `ZmE1ZDI2Mzgt...`), as
 * GetBucketNotificationConfiguration shows for configurations saved without an Id.
 */
export function generateConfigurationId(): string {
  return Buffer.from(randomUUID()).toString('base64');
}

type Kind = 'lambda' | 'queue' | 'topic';

/** Per destination kind: the list's name, the ARN member, S3's argument name, the ARN's service. */
const KINDS: readonly {
  kind: Kind;
  list: 'LambdaFunctionConfigurations' | 'QueueConfigurations' | 'TopicConfigurations';
  arnMember: 'LambdaFunctionArn' | 'QueueArn' | 'TopicArn';
  argumentName: string;
  arnPattern: RegExp;
}[] = [
  // S3's own order when it reports: topics, queues, then functions (its XML schema's order).
  {
    kind: 'topic',
    list: 'TopicConfigurations',
    arnMember: 'TopicArn',
    argumentName: 'Topic',
    arnPattern: /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/,
  },
  {
    kind: 'queue',
    list: 'QueueConfigurations',
    arnMember: 'QueueArn',
    argumentName: 'Queue',
    arnPattern: /^arn:aws[a-z-]*:sqs:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,80}(\.fifo)?$/,
  },
  {
    kind: 'lambda',
    list: 'LambdaFunctionConfigurations',
    arnMember: 'LambdaFunctionArn',
    argumentName: 'CloudFunction',
    arnPattern:
      /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64}(:(\$LATEST|[A-Za-z0-9_-]{1,128}))?$/,
  },
];

export interface Entry {
  kind: Kind;
  arn: string;
  config: CommonConfiguration;
}

/** Reads one list member of the request: a single object where the parser did not make a list. */
function asList(value: unknown): unknown[] {
  if (value === undefined || value === null || value === '') return [];
  return Array.isArray(value) ? value : [value];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function normaliseFilter(raw: unknown): NotificationFilter | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  if (!isRecord(raw)) throw new MalformedXML();
  const key = raw.Key;
  if (key === undefined || key === null || key === '') return undefined;
  if (!isRecord(key)) throw new MalformedXML();
  const rules: FilterRule[] = [];
  let prefixes = 0;
  let suffixes = 0;
  for (const rawRule of asList(key.FilterRules)) {
    // A rule without Name or Value does not match S3's schema (recorded: MalformedXML).
    if (!isRecord(rawRule) || typeof rawRule.Name !== 'string' || typeof rawRule.Value !== 'string') {
      throw new MalformedXML();
    }
    const lower = rawRule.Name.toLowerCase();
    if (lower !== 'prefix' && lower !== 'suffix') {
      throw new InvalidArgument(FILTER_RULE_NAME, {
        ArgumentName: 'FilterRule.Name',
        ArgumentValue: rawRule.Name,
      });
    }
    if (lower === 'prefix' && ++prefixes > 1) {
      throw new InvalidArgument(MORE_THAN_ONE_PREFIX, {
        ArgumentName: 'FilterRule.Name',
        ArgumentValue: rawRule.Name,
      });
    }
    if (lower === 'suffix' && ++suffixes > 1) {
      throw new InvalidArgument(MORE_THAN_ONE_SUFFIX, {
        ArgumentName: 'FilterRule.Name',
        ArgumentValue: rawRule.Name,
      });
    }
    if (Buffer.byteLength(rawRule.Value, 'utf8') > 1024) {
      throw new InvalidArgument(FILTER_VALUE_TOO_LONG, {
        ArgumentName: 'FilterRule.Value',
        ArgumentValue: rawRule.Value,
      });
    }
    // An empty value is accepted and stored (recorded: test_filter_rules_empty_value).
    rules.push({ Name: lower === 'prefix' ? 'Prefix' : 'Suffix', Value: rawRule.Value });
  }
  return rules.length === 0 ? undefined : { Key: { FilterRules: rules } };
}

function filterValue(config: CommonConfiguration, name: FilterRule['Name']): string {
  return config.Filter?.Key.FilterRules.find((r) => r.Name === name)?.Value ?? '';
}

/** Two prefixes overlap when some key can start with both; two suffixes when some key can end with both. */
function overlaps(a: CommonConfiguration, b: CommonConfiguration): boolean {
  const pa = filterValue(a, 'Prefix');
  const pb = filterValue(b, 'Prefix');
  const sa = filterValue(a, 'Suffix');
  const sb = filterValue(b, 'Suffix');
  const prefixesOverlap = pa.startsWith(pb) || pb.startsWith(pa);
  const suffixesOverlap = sa.endsWith(sb) || sb.endsWith(sa);
  return prefixesOverlap && suffixesOverlap;
}

function checkOverlaps(entries: readonly Entry[]): void {
  const expanded = entries.map((e) => expandEventTypes(e.config.Events));
  for (let i = 0; i < entries.length; i++) {
    for (let j = i + 1; j < entries.length; j++) {
      const a = entries[i];
      const b = entries[j];
      const ea = expanded[i];
      const eb = expanded[j];
      if (!a || !b || !ea || !eb) continue;
      if (![...ea].some((e) => eb.has(e))) continue;
      if (!overlaps(a.config, b.config)) continue;
      // Two unfiltered configurations for one event type get S3's plain overlap message; any
      // filter involved gets the prefix/suffix one (as AWS answers both cases in the wild).
      const message = a.config.Filter || b.config.Filter ? AMBIGUOUS_FILTERS : CONFIGURATIONS_OVERLAP;
      throw new InvalidArgument(message, {
        ArgumentName: 'Event',
        ArgumentValue: [...ea].find((e) => eb.has(e)) ?? '',
      });
    }
  }
}

/**
 * Checks what S3 checks from the request alone and returns the normalised configuration (rule
 * names capitalised, generated Ids, empty lists dropped). Throws S3's InvalidArgument/MalformedXML.
 */
export function normaliseNotificationConfiguration(
  input: unknown,
  newId: () => string = generateConfigurationId,
): { configuration: NotificationConfiguration; entries: Entry[] } {
  if (input === undefined || input === null || input === '') return { configuration: {}, entries: [] };
  if (!isRecord(input)) throw new MalformedXML();
  const configuration: NotificationConfiguration = {};
  const entries: Entry[] = [];
  for (const k of KINDS) {
    const out: CommonConfiguration[] = [];
    for (const raw of asList(input[k.list])) {
      if (!isRecord(raw)) throw new MalformedXML();
      const arn = raw[k.arnMember];
      const events = asList(raw.Events);
      // The ARN and at least one Event are required members of S3's schema.
      if (typeof arn !== 'string' || events.length === 0 || !events.every((e) => typeof e === 'string')) {
        throw new MalformedXML();
      }
      if (!k.arnPattern.test(arn)) {
        throw new InvalidArgument(ARN_NOT_PARSED, { ArgumentName: k.argumentName, ArgumentValue: arn });
      }
      for (const e of events as string[]) {
        if (!isSupportedEventType(e)) {
          throw new InvalidArgument(EVENT_NOT_SUPPORTED, { ArgumentName: 'Event', ArgumentValue: e });
        }
      }
      const id = typeof raw.Id === 'string' && raw.Id !== '' ? raw.Id : newId();
      const filter = normaliseFilter(raw.Filter);
      const config = {
        Id: id,
        [k.arnMember]: arn,
        Events: [...new Set(events as string[])],
        ...(filter ? { Filter: filter } : {}),
      } as CommonConfiguration;
      out.push(config);
      entries.push({ kind: k.kind, arn, config });
    }
    if (out.length > 0) (configuration as Record<string, unknown>)[k.list] = out;
  }
  if (input.EventBridgeConfiguration !== undefined && input.EventBridgeConfiguration !== null) {
    configuration.EventBridgeConfiguration = {};
  }
  checkOverlaps(entries);
  return { configuration, entries };
}

async function checkDestination(
  entry: Entry,
  bucket: BucketRef,
  checks: DestinationChecks,
): Promise<DestinationFailure | undefined> {
  if (entry.kind === 'lambda') {
    if (await checks.lambdaInvokeAllowed(entry.arn, bucket)) return undefined;
    // Recorded for a function that does not exist; AWS does not tell the two cases apart.
    return { name: `${entry.arn}, null`, value: `Not authorized to invoke function [${entry.arn}]` };
  }
  const check = entry.kind === 'queue' ? checks.queue : checks.topic;
  const status: DestinationStatus = check ? await check(entry.arn, bucket) : 'missing';
  if (status === 'ok') return undefined;
  const noun = entry.kind === 'queue' ? 'queue' : 'topic';
  return {
    name: entry.arn,
    value:
      status === 'missing'
        ? `The destination ${noun} does not exist`
        : `Permissions on the destination ${noun} do not allow S3 to publish notifications from this bucket`,
  };
}

/**
 * Validates a configuration as PutBucketNotificationConfiguration does and returns what to store.
 * Destinations are checked once per distinct ARN, in the configuration's order.
 */
export async function validateNotificationConfiguration(
  input: unknown,
  options: ValidateOptions,
): Promise<NotificationConfiguration> {
  const { configuration, entries } = normaliseNotificationConfiguration(input, options.newId);
  if (options.skipDestinationValidation) return configuration;
  const failures: DestinationFailure[] = [];
  const seen = new Set<string>();
  for (const entry of entries) {
    if (seen.has(entry.arn)) continue;
    seen.add(entry.arn);
    const failure = await checkDestination(entry, options.bucket, options.checks);
    if (failure) failures.push(failure);
  }
  if (failures.length > 0) throw unableToValidate(failures);
  return configuration;
}

/** The queues and topics S3 sends an `s3:TestEvent` to when a configuration is saved. */
export function testEventDestinations(
  configuration: NotificationConfiguration,
): { kind: 'queue' | 'topic'; arn: string }[] {
  const out: { kind: 'queue' | 'topic'; arn: string }[] = [];
  const seen = new Set<string>();
  for (const c of configuration.QueueConfigurations ?? []) {
    if (!seen.has(c.QueueArn)) out.push({ kind: 'queue', arn: c.QueueArn });
    seen.add(c.QueueArn);
  }
  for (const c of configuration.TopicConfigurations ?? []) {
    if (!seen.has(c.TopicArn)) out.push({ kind: 'topic', arn: c.TopicArn });
    seen.add(c.TopicArn);
  }
  return out;
}
