/** Log streams: CreateLogStream, DeleteLogStream, DescribeLogStreams. */
import type { Operation } from '../../../protocols/types.js';
import { type LogsDeps, logsOperation, requireGroup, resolveGroup, scopeOf } from '../deps.js';
import { InvalidParameterException, ResourceAlreadyExistsException, streamNotFound } from '../errors.js';
import { decodePageToken, encodePageToken, logStreamArn, sequenceTokenOf } from '../identifiers.js';
import * as S from '../shapes.js';
import type { GroupRow, Scope, StreamRow } from '../store.js';

const DEFAULT_DESCRIBE_LIMIT = 50;

function describeStream(sc: Scope, group: GroupRow, s: StreamRow): Record<string, unknown> {
  const out: Record<string, unknown> = { logStreamName: s.name, creationTime: s.creation_time };
  // AWS leaves the event fields out until the stream has events (recorded).
  if (s.last_event_ts !== null) {
    out.firstEventTimestamp = s.first_event_ts;
    out.lastEventTimestamp = s.last_event_ts;
    out.lastIngestionTime = s.last_ingestion_time;
    out.uploadSequenceToken = sequenceTokenOf(s.id, s.upload_seq);
  }
  out.arn = logStreamArn(sc, group.name, s.name);
  // Deprecated for streams in 2019: AWS reports 0.
  out.storedBytes = 0;
  return out;
}

const isStreamsToken = (s: Record<string, unknown>): s is { n: string; t?: number } =>
  typeof s.n === 'string' && (s.t === undefined || typeof s.t === 'number');

export function streamOperations(deps: LogsDeps): Operation[] {
  const { store } = deps;
  return [
    logsOperation(
      'CreateLogStream',
      {
        logGroupName: { ...S.logGroupName, required: true },
        logStreamName: { ...S.logStreamName, required: true },
      },
      (input, ctx) => {
        const group = requireGroup(deps, ctx, input.logGroupName as string);
        if (!store.createStream(group, input.logStreamName as string, deps.clock())) {
          throw new ResourceAlreadyExistsException('The specified log stream already exists');
        }
        return {};
      },
    ),

    logsOperation(
      'DeleteLogStream',
      {
        logGroupName: { ...S.logGroupName, required: true },
        logStreamName: { ...S.logStreamName, required: true },
      },
      (input, ctx) => {
        const group = requireGroup(deps, ctx, input.logGroupName as string);
        const stream = store.getStream(group, input.logStreamName as string);
        if (!stream) throw streamNotFound();
        store.deleteStream(stream);
        return {};
      },
    ),

    logsOperation(
      'DescribeLogStreams',
      {
        logGroupName: S.logGroupName,
        logGroupIdentifier: S.logGroupIdentifier,
        logStreamNamePrefix: S.logStreamName,
        orderBy: { type: 'string', enum: ['LogStreamName', 'LastEventTime'] },
        descending: { type: 'boolean' },
        nextToken: S.nextToken,
        limit: S.describeLimit,
      },
      (input, ctx) => {
        const orderBy = (input.orderBy as 'LogStreamName' | 'LastEventTime' | undefined) ?? 'LogStreamName';
        const prefix = input.logStreamNamePrefix as string | undefined;
        if (orderBy === 'LastEventTime' && prefix !== undefined) {
          throw new InvalidParameterException('Cannot order by LastEventTime with a logStreamNamePrefix.');
        }
        const group = resolveGroup(deps, ctx, input);
        const limit = (input.limit as number | undefined) ?? DEFAULT_DESCRIBE_LIMIT;
        const after =
          input.nextToken === undefined
            ? undefined
            : decodePageToken('streams', input.nextToken as string, isStreamsToken);
        const rows = store.listStreams(group, {
          prefix,
          orderBy,
          descending: input.descending === true,
          after: after && { name: after.n, lastEventTs: after.t },
          limit: limit + 1,
        });
        const page = rows.slice(0, limit);
        const last = page[page.length - 1];
        const sc = scopeOf(ctx);
        return {
          logStreams: page.map((s) => describeStream(sc, group, s)),
          nextToken:
            rows.length > limit && last
              ? encodePageToken('streams', {
                  n: last.name,
                  t: orderBy === 'LastEventTime' ? (last.last_event_ts ?? -1) : undefined,
                })
              : undefined,
        };
      },
    ),
  ];
}
