/** Log events: PutLogEvents, GetLogEvents, FilterLogEvents. */
import type { Operation } from '../../../protocols/types.js';
import {
  DAY_MS,
  type LogsDeps,
  logsOperation,
  requireGroup,
  resolveGroup,
  retentionCutoff,
} from '../deps.js';
import { InvalidParameterException, streamNotFound } from '../errors.js';
import { compileFilterPattern, FilterPatternError } from '../filter-pattern.js';
import {
  decodePageToken,
  encodePageToken,
  eventIdOf,
  formatStreamToken,
  parseStreamToken,
  sequenceTokenOf,
} from '../identifiers.js';
import * as S from '../shapes.js';
import type { EventKey, EventRow, GroupRow, NewEvent } from '../store.js';

/** PutLogEvents limits (AWS's PutLogEvents documentation). */
export const MAX_BATCH_BYTES = 1_048_576;
export const MAX_EVENT_BYTES = 1_048_576;
export const EVENT_OVERHEAD_BYTES = 26;
const MAX_FUTURE_MS = 2 * 60 * 60 * 1000;
const MAX_AGE_MS = 14 * DAY_MS;
const MAX_SPAN_MS = DAY_MS;

/** A response page holds at most this many message bytes (GetLogEvents, FilterLogEvents). */
const MAX_PAGE_BYTES = 1_048_576;
/** FilterLogEvents reads this many rows per query, and at most `MAX_SCANNED_ROWS` per request. */
const SCAN_CHUNK = 2000;
const MAX_SCANNED_ROWS = 200_000;
const DEFAULT_EVENTS_LIMIT = 10_000;

export interface FilterQuery {
  streamIds?: readonly number[];
  startTime?: number;
  endTime?: number;
  filterPattern?: string;
  nextToken?: string;
  limit?: number;
  startFromHead?: boolean;
}

export interface FilteredEvent {
  logStreamName: string;
  timestamp: number;
  message: string;
  ingestionTime: number;
  eventId: string;
}

const isFilterToken = (s: Record<string, unknown>): s is { d: 'f' | 'b'; t: number; i: number } =>
  (s.d === 'f' || s.d === 'b') && Number.isSafeInteger(s.t) && Number.isSafeInteger(s.i);

/**
 * FilterLogEvents over one group: events in (timestamp, id) order within the time range and
 * retention, matching the pattern. A request reads a bounded number of rows; when it stops
 * early it returns a `nextToken` at the last row read (AWS, too, may return short or empty
 * pages with a token). No token means there is nothing more.
 */
export function filterGroupEvents(
  deps: LogsDeps,
  group: GroupRow,
  q: FilterQuery,
): { events: FilteredEvent[]; nextToken?: string } {
  let pattern: ReturnType<typeof compileFilterPattern>;
  try {
    pattern = compileFilterPattern(q.filterPattern);
  } catch (err) {
    if (err instanceof FilterPatternError)
      throw new InvalidParameterException(`Invalid filter pattern: ${err.message}`);
    throw err;
  }
  let forward = q.startFromHead !== false;
  let cursor: EventKey | undefined;
  if (q.nextToken !== undefined) {
    const token = decodePageToken('filter', q.nextToken, isFilterToken);
    forward = token.d === 'f';
    cursor = { timestamp: token.t, id: token.i };
  }
  if (q.streamIds && q.streamIds.length === 0) return { events: [] };
  const cutoff = retentionCutoff(group, deps.clock());
  const startTime = cutoff === undefined ? q.startTime : Math.max(cutoff, q.startTime ?? 0);
  const limit = q.limit ?? DEFAULT_EVENTS_LIMIT;
  const matched: EventRow[] = [];
  let bytes = 0;
  let scanned = 0;
  let exhausted = false;
  while (matched.length < limit && bytes < MAX_PAGE_BYTES && scanned < MAX_SCANNED_ROWS) {
    const rows = deps.store.scanEvents({
      groupId: group.id,
      streamIds: q.streamIds,
      startTime,
      endTime: q.endTime,
      forward,
      from: cursor,
      contains: pattern.requiredSubstrings,
      limit: SCAN_CHUNK,
    });
    let stoppedAt = -1;
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i] as EventRow;
      scanned++;
      cursor = { timestamp: row.timestamp, id: row.id };
      if (!pattern.matches(row.message)) continue;
      matched.push(row);
      bytes += Buffer.byteLength(row.message, 'utf8');
      if (matched.length >= limit || bytes >= MAX_PAGE_BYTES) {
        stoppedAt = i;
        break;
      }
    }
    // A short chunk read to its end means the range holds nothing more.
    if (rows.length < SCAN_CHUNK && (stoppedAt === -1 || stoppedAt === rows.length - 1)) {
      exhausted = true;
      break;
    }
  }
  const names = deps.store.streamsByIds([...new Set(matched.map((r) => r.stream_id))]);
  return {
    events: matched.map((r) => ({
      logStreamName: names.get(r.stream_id)?.name ?? '',
      timestamp: r.timestamp,
      message: r.message,
      ingestionTime: r.ingestion_time,
      eventId: eventIdOf(r.id),
    })),
    nextToken:
      exhausted || !cursor
        ? undefined
        : encodePageToken('filter', { d: forward ? 'f' : 'b', t: cursor.timestamp, i: cursor.id }),
  };
}

export function eventOperations(deps: LogsDeps): Operation[] {
  const { store } = deps;

  return [
    logsOperation(
      'PutLogEvents',
      {
        logGroupName: { ...S.logGroupName, required: true },
        logStreamName: { ...S.logStreamName, required: true },
        logEvents: { ...S.inputLogEvents, required: true },
        sequenceToken: S.sequenceToken,
        entity: S.entity,
      },
      (input, ctx) => {
        const group = requireGroup(deps, ctx, input.logGroupName as string);
        const stream = store.getStream(group, input.logStreamName as string);
        if (!stream) throw streamNotFound();
        const events = input.logEvents as NewEvent[];
        let batchBytes = 0;
        for (let i = 0; i < events.length; i++) {
          const e = events[i] as NewEvent;
          if (i > 0 && e.timestamp < (events[i - 1] as NewEvent).timestamp) {
            throw new InvalidParameterException(
              'Log events in a single PutLogEvents request must be in chronological order.',
            );
          }
          const size = Buffer.byteLength(e.message, 'utf8') + EVENT_OVERHEAD_BYTES;
          if (size > MAX_EVENT_BYTES) {
            throw new InvalidParameterException(
              `Log event too large: ${size} bytes exceeds limit of ${MAX_EVENT_BYTES}`,
            );
          }
          batchBytes += size;
        }
        if (batchBytes > MAX_BATCH_BYTES) {
          throw new InvalidParameterException(
            `Upload too large: ${batchBytes} bytes exceeds limit of ${MAX_BATCH_BYTES}`,
          );
        }

        const now = deps.clock();
        const cutoff = retentionCutoff(group, now);
        let tooNewStart: number | undefined;
        let tooOldEnd: number | undefined;
        let expiredEnd: number | undefined;
        const accepted: NewEvent[] = [];
        events.forEach((e, i) => {
          if (e.timestamp > now + MAX_FUTURE_MS) {
            tooNewStart ??= i;
            return;
          }
          let rejected = false;
          if (e.timestamp < now - MAX_AGE_MS) {
            tooOldEnd = i;
            rejected = true;
          }
          if (cutoff !== undefined && e.timestamp < cutoff) {
            expiredEnd = i;
            rejected = true;
          }
          if (!rejected) accepted.push(e);
        });
        const first = accepted[0];
        const last = accepted[accepted.length - 1];
        if (first && last && last.timestamp - first.timestamp > MAX_SPAN_MS) {
          throw new InvalidParameterException(
            'The batch of log events in a single PutLogEvents request cannot span more than 24 hours.',
          );
        }
        if (accepted.length) {
          store.putEvents(group, stream, accepted, now);
          deps.ingest.notify([group]);
        }
        const rejected =
          tooNewStart === undefined && tooOldEnd === undefined && expiredEnd === undefined
            ? undefined
            : {
                tooNewLogEventStartIndex: tooNewStart,
                tooOldLogEventEndIndex: tooOldEnd,
                expiredLogEventEndIndex: expiredEnd,
              };
        return {
          nextSequenceToken: sequenceTokenOf(stream.id, stream.upload_seq + (accepted.length ? 1 : 0)),
          rejectedLogEventsInfo: rejected,
        };
      },
      // The JSON of a 1 MB batch is larger than 1 MB; the batch limit is checked above.
      { maxRequestBytes: 8 * MAX_BATCH_BYTES },
    ),

    logsOperation(
      'GetLogEvents',
      {
        logGroupName: S.logGroupName,
        logGroupIdentifier: S.logGroupIdentifier,
        logStreamName: { ...S.logStreamName, required: true },
        startTime: S.timestamp,
        endTime: S.timestamp,
        nextToken: S.nextToken,
        limit: S.eventsLimit,
        startFromHead: { type: 'boolean' },
        unmask: { type: 'boolean' },
      },
      (input, ctx) => {
        const group = resolveGroup(deps, ctx, input);
        const stream = store.getStream(group, input.logStreamName as string);
        if (!stream) throw streamNotFound();
        const given = input.nextToken as string | undefined;
        const token = given === undefined ? undefined : parseStreamToken(given);
        const forward = token ? token.direction === 'f' : input.startFromHead === true;
        const cutoff = retentionCutoff(group, deps.clock());
        const requested = input.startTime as number | undefined;
        const limit = (input.limit as number | undefined) ?? DEFAULT_EVENTS_LIMIT;
        const rows = store.scanEvents({
          groupId: group.id,
          streamIds: [stream.id],
          startTime: cutoff === undefined ? requested : Math.max(cutoff, requested ?? 0),
          endTime: input.endTime as number | undefined,
          forward,
          from: token?.key,
          limit,
        });
        // Keep whole events up to the page's byte budget, nearest the starting point first.
        let bytes = 0;
        let kept = 0;
        for (const row of rows) {
          bytes += Buffer.byteLength(row.message, 'utf8');
          if (kept > 0 && bytes > MAX_PAGE_BYTES) break;
          kept++;
        }
        const page = rows.slice(0, kept);
        if (!forward) page.reverse();
        const firstRow = page[0];
        const lastRow = page[page.length - 1];
        if (!firstRow || !lastRow) {
          // Nothing in this direction: the same token comes back, which is how clients know to stop.
          const at = token?.key ?? { timestamp: 0, id: 0 };
          return {
            events: [],
            nextForwardToken:
              token?.direction === 'f'
                ? given
                : formatStreamToken('f', { timestamp: at.timestamp, id: Math.max(0, at.id - 1) }),
            nextBackwardToken:
              token?.direction === 'b'
                ? given
                : formatStreamToken('b', { timestamp: at.timestamp, id: at.id + (token ? 1 : 0) }),
          };
        }
        return {
          events: page.map((r) => ({
            timestamp: r.timestamp,
            message: r.message,
            ingestionTime: r.ingestion_time,
          })),
          nextForwardToken: formatStreamToken('f', { timestamp: lastRow.timestamp, id: lastRow.id }),
          nextBackwardToken: formatStreamToken('b', { timestamp: firstRow.timestamp, id: firstRow.id }),
        };
      },
    ),

    logsOperation(
      'FilterLogEvents',
      {
        logGroupName: S.logGroupName,
        logGroupIdentifier: S.logGroupIdentifier,
        logStreamNames: S.inputLogStreamNames,
        logStreamNamePrefix: S.logStreamName,
        startTime: S.timestamp,
        endTime: S.timestamp,
        filterPattern: S.filterPattern,
        nextToken: S.nextToken,
        limit: S.eventsLimit,
        startFromHead: { type: 'boolean' },
        interleaved: { type: 'boolean' },
        unmask: { type: 'boolean' },
      },
      (input, ctx) => {
        const names = input.logStreamNames as string[] | undefined;
        const prefix = input.logStreamNamePrefix as string | undefined;
        if (names !== undefined && prefix !== undefined) {
          throw new InvalidParameterException(
            'logStreamNames and logStreamNamePrefix are mutually exclusive parameters.',
          );
        }
        const group = resolveGroup(deps, ctx, input);
        const streamIds = names || prefix ? store.streamIdsOf(group, { names, prefix }) : undefined;
        // `searchedLogStreams` is left out, as AWS has done since interleaving became the only mode.
        return filterGroupEvents(deps, group, {
          streamIds,
          startTime: input.startTime as number | undefined,
          endTime: input.endTime as number | undefined,
          filterPattern: input.filterPattern as string | undefined,
          nextToken: input.nextToken as string | undefined,
          limit: input.limit as number | undefined,
          startFromHead: input.startFromHead as boolean | undefined,
        }) as unknown as Record<string, unknown>;
      },
    ),
  ];
}
