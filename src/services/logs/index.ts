/**
 * Amazon CloudWatch Logs, API version 2014-03-28 (awsJson1_1, target prefix Logs_20140328).
 *
 * Implements: CreateLogGroup, DeleteLogGroup, DescribeLogGroups (prefix, pattern,
 * identifiers, class, pagination), CreateLogStream, DeleteLogStream, DescribeLogStreams
 * (prefix, orderBy LogStreamName/LastEventTime, descending, pagination), PutLogEvents (AWS's
 * ordering, size, count and 24-hour rules; too old / too new / expired events reported in
 * rejectedLogEventsInfo; sequence tokens accepted and ignored), GetLogEvents (f/ and b/
 * tokens with AWS's paging semantics), FilterLogEvents (stream names or prefix, time range,
 * filter patterns: terms, phrases, ?/- terms, %regex%, JSON and space-delimited patterns;
 * ascending or descending; nextToken pagination; stable eventIds, which `aws logs tail
 * --follow` dedupes on), PutRetentionPolicy / DeleteRetentionPolicy (retention enforced: past
 * the retention events are never returned and a periodic sweep deletes them), TagLogGroup,
 * UntagLogGroup, ListTagsLogGroup, TagResource, UntagResource, ListTagsForResource; and the
 * platform's internal `LogsApi` (append with group commit, wait for new events, read new
 * events) for the Lambda invoke pipeline and live tails.
 *
 * Not yet (see docs/parity/logs.md): StartLiveTail (event stream), metric and subscription
 * filters, Logs Insights queries, export tasks, destinations, resource and account policies,
 * data protection, KMS (kmsKeyId is stored, not used), deletion protection (stored, not
 * enforced), cross-account observability (accountIdentifiers and includeLinkedAccounts are
 * ignored), `unmask`, entities, log transformers and deliveries.
 */
import { createJsonCodec, JsonTargetRouter, unknownOperationError } from '../../protocols/json/index.js';
import type { ProtocolCodec } from '../../protocols/types.js';
import { AwsError, ServiceException, ValidationException } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import type { Db } from '../../storage/db.js';
import type { Service } from '../service.js';
import { withLogsAuthz } from './authz.js';
import type { LogsDeps } from './deps.js';
import { InvalidParameterException, ServiceUnavailableException } from './errors.js';
import { compileFilterPattern, FilterPatternError } from './filter-pattern.js';
import { eventIdOf, parseEventId } from './identifiers.js';
import { createIngest } from './ingest.js';
import { eventOperations, filterGroupEvents } from './operations/events.js';
import { groupOperations } from './operations/groups.js';
import { streamOperations } from './operations/streams.js';
import { createLogsStore } from './store.js';

export { RETENTION_DAYS } from './operations/groups.js';

export const LOGS_TARGET_PREFIX = 'Logs_20140328';

/** One log event as the platform writes it (epoch milliseconds, one line or message). */
export interface LogEventInput {
  timestamp: number;
  message: string;
}

/** One stored event, as FilterLogEvents returns it. */
export interface LogEventRecord {
  eventId: string;
  logStreamName: string;
  timestamp: number;
  message: string;
  ingestionTime: number;
}

/**
 * CloudWatch Logs for the rest of the platform (the invoke pipeline, live tails, the CLI),
 * without HTTP. Scoped by account and region like the public API.
 */
export interface LogsApi {
  /**
   * Appends events to a stream, creating the group and the stream if needed (as Lambda's
   * service role does). Appends made in the same tick share one commit; the promise resolves
   * once the events are durable. Events need not be sorted; empty messages are skipped; no
   * PutLogEvents limits apply (the platform is trusted).
   */
  append(
    accountId: string,
    region: string,
    logGroupName: string,
    logStreamName: string,
    events: readonly LogEventInput[],
  ): Promise<void>;
  /** Commits pending appends now (they otherwise commit on the next tick). */
  flush(): void;
  /**
   * A cursor for `readNew`/`waitForEvents`: the newest event id of the whole store, so that
   * a tail starting now sees only what comes after.
   */
  currentCursor(): string;
  /**
   * Events of a group ingested after `cursor`, in ingestion order, optionally limited to
   * streams by name prefix or filtered by a filter pattern. Returns the cursor to pass next.
   */
  readNew(
    accountId: string,
    region: string,
    logGroupName: string,
    opts: { cursor: string; limit?: number; logStreamNamePrefix?: string; filterPattern?: string },
  ): { events: LogEventRecord[]; cursor: string };
  /**
   * Resolves true once the group has events after `cursor` (at once if it already has),
   * false after `timeoutMs` or when `signal` aborts: the live tail's long poll.
   */
  waitForEvents(
    accountId: string,
    region: string,
    logGroupName: string,
    opts: { cursor: string; timeoutMs: number; signal?: AbortSignal },
  ): Promise<boolean>;
  /** FilterLogEvents without HTTP (same semantics, tokens and errors). */
  filterEvents(
    accountId: string,
    region: string,
    logGroupName: string,
    query: {
      logStreamNames?: string[];
      startTime?: number;
      endTime?: number;
      filterPattern?: string;
      nextToken?: string;
      limit?: number;
    },
  ): { events: LogEventRecord[]; nextToken?: string };
  /** Bytes of event messages stored in every group (each group's `storedBytes`), for the disk budget. */
  storedBytes(): number;
}

export interface LogsServiceOptions {
  /** Epoch milliseconds; tests inject a fake clock. */
  clock?: () => number;
  /** How often the retention sweep runs (AWS deletes expired events within ~72 h). */
  retentionSweepMs?: number;
}

export interface LogsService {
  service: Service;
  api: LogsApi;
  /** Runs one retention sweep now; returns the number of events deleted. */
  sweepRetention(): number;
}

const DEFAULT_SWEEP_MS = 10 * 60 * 1000;
/** Events one sweep deletes at most, so that a sweep never holds the writer for long. */
const SWEEP_BUDGET = 200_000;

export function createLogsService(
  deps: { db: Db; logger: Logger },
  options: LogsServiceOptions = {},
): LogsService {
  const clock = options.clock ?? Date.now;
  const store = createLogsStore(deps.db);
  const ingest = createIngest(store, clock, deps.logger);
  const logsDeps: LogsDeps = { store, ingest, clock };
  const router = new JsonTargetRouter(
    [LOGS_TARGET_PREFIX],
    withLogsAuthz([
      ...groupOperations(logsDeps),
      ...streamOperations(logsDeps),
      ...eventOperations(logsDeps),
    ]),
  );

  const json = createJsonCodec('1.1');
  const codec: ProtocolCodec = {
    ...json,
    // Logs reports model-constraint failures as InvalidParameterException (recorded), and
    // its modeled server fault is ServiceUnavailableException.
    encodeError: (error, requestId) => json.encodeError(relabel(error), requestId),
  };

  const sweepRetention = (): number => {
    try {
      return store.sweepExpired(clock(), SWEEP_BUDGET);
    } catch (err) {
      deps.logger.error('logs: retention sweep failed', err);
      return 0;
    }
  };
  const sweepTimer = setInterval(sweepRetention, options.retentionSweepMs ?? DEFAULT_SWEEP_MS);
  sweepTimer.unref();

  const cursorOf = (cursor: string): number => {
    const id = parseEventId(cursor);
    if (id === undefined) throw new InvalidParameterException(`Invalid cursor '${cursor}'`);
    return id;
  };
  const scope = (accountId: string, region: string) => ({ accountId, region });

  const api: LogsApi = {
    append: (accountId, region, group, stream, events) =>
      ingest.append(scope(accountId, region), group, stream, events),
    flush: () => ingest.flush(),
    currentCursor: () => eventIdOf(store.maxEventId()),
    storedBytes: () => store.totalStoredBytes(),
    readNew(accountId, region, logGroupName, opts) {
      const after = cursorOf(opts.cursor);
      const group = store.getGroup(scope(accountId, region), logGroupName);
      if (!group) return { events: [], cursor: opts.cursor };
      let pattern: ReturnType<typeof compileFilterPattern>;
      try {
        pattern = compileFilterPattern(opts.filterPattern);
      } catch (err) {
        if (err instanceof FilterPatternError)
          throw new InvalidParameterException(`Invalid filter pattern: ${err.message}`);
        throw err;
      }
      const rows = store.eventsAfter(group.id, after, opts.limit ?? 1000);
      const streams = store.streamsByIds([...new Set(rows.map((r) => r.stream_id))]);
      const last = rows[rows.length - 1];
      const events: LogEventRecord[] = [];
      for (const r of rows) {
        const name = streams.get(r.stream_id)?.name ?? '';
        if (opts.logStreamNamePrefix && !name.startsWith(opts.logStreamNamePrefix)) continue;
        if (!pattern.matches(r.message)) continue;
        events.push({
          eventId: eventIdOf(r.id),
          logStreamName: name,
          timestamp: r.timestamp,
          message: r.message,
          ingestionTime: r.ingestion_time,
        });
      }
      return { events, cursor: last ? eventIdOf(last.id) : opts.cursor };
    },
    waitForEvents: (accountId, region, logGroupName, opts) =>
      ingest.waitForEvents(
        scope(accountId, region),
        logGroupName,
        cursorOf(opts.cursor),
        opts.timeoutMs,
        opts.signal,
      ),
    filterEvents(accountId, region, logGroupName, query) {
      const group = store.getGroup(scope(accountId, region), logGroupName);
      if (!group) return { events: [] };
      const streamIds = query.logStreamNames
        ? store.streamIdsOf(group, { names: query.logStreamNames })
        : undefined;
      return filterGroupEvents(logsDeps, group, { ...query, streamIds });
    },
  };

  const service: Service = {
    name: 'logs',
    signingName: 'logs',
    codec,
    route: (req) => router.match(req.method, req.rawPath, req.headers),
    pathPrefixes: [],
    targetPrefixes: [LOGS_TARGET_PREFIX],
    requestTooLarge: (op, limit) =>
      new InvalidParameterException(
        `Request must be smaller than ${limit} bytes for the ${op?.name ?? 'requested'} operation`,
      ),
    unknownOperation: () => unknownOperationError(),
    // CloudWatch Logs answers IAM's denials with 400, not 403.
    accessDenied: (message) => new AwsError('AccessDeniedException', message, 400),
    health: () => ({ status: 'ok', operations: router.size }),
    async close() {
      clearInterval(sweepTimer);
      ingest.flush();
    },
  };

  return { service, api, sweepRetention };
}

function relabel(error: AwsError): AwsError {
  if (error instanceof ValidationException) return new InvalidParameterException(error.message);
  if (error instanceof ServiceException) return new ServiceUnavailableException();
  return error;
}
