/** What the Logs operations share: the store, the clock, the appender, and common checks. */
import { JSON_HTTP_BINDING } from '../../protocols/json/index.js';
import type { Operation, RequestContext } from '../../protocols/types.js';
import { type Member, structure } from '../../shared/shapes.js';
import { groupNotFound, InvalidParameterException, LogsValidationException } from './errors.js';
import { groupNameFromIdentifier } from './identifiers.js';
import type { Ingest } from './ingest.js';
import type { GroupRow, LogsStore, Scope } from './store.js';

export interface LogsDeps {
  store: LogsStore;
  ingest: Ingest;
  /** Epoch milliseconds; injectable so retention and PutLogEvents' time window are testable. */
  clock(): number;
}

export const DAY_MS = 86_400_000;
export const MAX_NAME_LENGTH = 512;

export function scopeOf(ctx: RequestContext): Scope {
  return { accountId: ctx.accountId, region: ctx.region };
}

/**
 * Declares a Logs operation: JSON protocol binding, input shape, and the check every Logs
 * operation makes first: AWS answers an over-long group or stream name with its own sentence
 * rather than the generic constraint message (recorded).
 */
export function logsOperation(
  name: string,
  members: Record<string, Member>,
  handler: (
    input: Record<string, unknown>,
    ctx: RequestContext,
  ) => Record<string, unknown> | Promise<Record<string, unknown>>,
  extra: Partial<Operation> = {},
): Operation {
  return {
    name,
    http: JSON_HTTP_BINDING,
    input: structure(members),
    ...extra,
    handler(input, ctx) {
      for (const key of ['logGroupName', 'logStreamName']) {
        const v = input[key];
        if (typeof v === 'string' && v.length > MAX_NAME_LENGTH) {
          throw new InvalidParameterException(
            'Invalid LogGroup or LogStream, both must have length less than or equal to 512.',
          );
        }
      }
      return handler(input, ctx);
    },
  };
}

/** The group a request names by `logGroupName` or `logGroupIdentifier` (exactly one). */
export function resolveGroup(deps: LogsDeps, ctx: RequestContext, input: Record<string, unknown>): GroupRow {
  const name = input.logGroupName as string | undefined;
  const identifier = input.logGroupIdentifier as string | undefined;
  if (name !== undefined && identifier !== undefined) {
    throw new LogsValidationException('LogGroup name and LogGroup ARN are mutually exclusive parameters.');
  }
  if (name === undefined && identifier === undefined) {
    throw new InvalidParameterException('Either logGroupName or logGroupIdentifier must be specified.');
  }
  const sc = scopeOf(ctx);
  const groupName = name ?? groupNameFromIdentifier(sc, identifier as string);
  const group = groupName === undefined ? undefined : deps.store.getGroup(sc, groupName);
  if (!group) throw groupNotFound();
  return group;
}

export function requireGroup(deps: LogsDeps, ctx: RequestContext, name: string): GroupRow {
  const group = deps.store.getGroup(scopeOf(ctx), name);
  if (!group) throw groupNotFound();
  return group;
}

/** Events before this instant are past the group's retention: never returned, swept soon. */
export function retentionCutoff(group: GroupRow, now: number): number | undefined {
  return group.retention_days === null ? undefined : now - group.retention_days * DAY_MS;
}
