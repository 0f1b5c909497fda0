/**
 * Log groups: CreateLogGroup, DeleteLogGroup, DescribeLogGroups, PutRetentionPolicy,
 * DeleteRetentionPolicy, and tagging (TagLogGroup, UntagLogGroup, ListTagsLogGroup,
 * TagResource, UntagResource, ListTagsForResource).
 */
import type { Operation, RequestContext } from '../../../protocols/types.js';
import { type LogsDeps, logsOperation, requireGroup, scopeOf } from '../deps.js';
import {
  groupNotFound,
  InvalidParameterException,
  ResourceAlreadyExistsException,
  ResourceNotFoundException,
  TooManyTagsException,
} from '../errors.js';
import { decodePageToken, encodePageToken, groupNameFromIdentifier, logGroupArn } from '../identifiers.js';
import * as S from '../shapes.js';
import type { GroupRow, Scope } from '../store.js';

/** PutRetentionPolicy's accepted values (AWS's list, which the model does not carry). */
export const RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

const MAX_TAGS = 50;
const DEFAULT_DESCRIBE_LIMIT = 50;

function describeGroup(sc: Scope, g: GroupRow, byPattern: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {
    logGroupName: g.name,
    creationTime: g.creation_time,
    retentionInDays: g.retention_days ?? undefined,
    metricFilterCount: 0,
    arn: `${logGroupArn(sc, g.name)}:*`,
  };
  // Recorded: a search by pattern returns neither storedBytes nor deletionProtectionEnabled.
  if (!byPattern) out.storedBytes = g.stored_bytes;
  if (g.kms_key_id) out.kmsKeyId = g.kms_key_id;
  out.logGroupClass = g.log_group_class;
  out.logGroupArn = logGroupArn(sc, g.name);
  if (!byPattern) out.deletionProtectionEnabled = g.deletion_protection === 1;
  return out;
}

const isGroupsToken = (s: Record<string, unknown>): s is { n: string } => typeof s.n === 'string';

export function groupOperations(deps: LogsDeps): Operation[] {
  const { store } = deps;

  /** The group a `resourceArn` names (only log groups are taggable resources here). */
  function taggedGroup(ctx: RequestContext, resourceArn: string): GroupRow {
    const sc = scopeOf(ctx);
    const name = resourceArn.startsWith('arn:') ? groupNameFromIdentifier(sc, resourceArn) : undefined;
    if (name === undefined)
      throw new ResourceNotFoundException(`The specified resource does not exist: ${resourceArn}`);
    const group = store.getGroup(sc, name);
    if (!group) throw groupNotFound();
    return group;
  }

  function addTags(group: GroupRow, add: Record<string, string>, resource: string): void {
    const merged = { ...(JSON.parse(group.tags) as Record<string, string>), ...add };
    if (Object.keys(merged).length > MAX_TAGS) {
      throw new TooManyTagsException(`A resource can have no more than ${MAX_TAGS} tags.`, resource);
    }
    store.setTags(group, merged);
  }

  function removeTags(group: GroupRow, keys: readonly string[]): void {
    const tags = JSON.parse(group.tags) as Record<string, string>;
    for (const k of keys) delete tags[k];
    store.setTags(group, tags);
  }

  return [
    logsOperation(
      'CreateLogGroup',
      {
        logGroupName: { ...S.logGroupName, required: true },
        kmsKeyId: S.kmsKeyId,
        tags: S.tags,
        logGroupClass: S.logGroupClass,
        deletionProtectionEnabled: { type: 'boolean' },
      },
      (input, ctx) => {
        const name = input.logGroupName as string;
        if (name.startsWith('aws/')) {
          throw new InvalidParameterException("Log group names can't start with the string aws/");
        }
        const created = store.createGroup(scopeOf(ctx), {
          name,
          creationTime: deps.clock(),
          kmsKeyId: input.kmsKeyId as string | undefined,
          logGroupClass: (input.logGroupClass as string | undefined) ?? 'STANDARD',
          deletionProtection: input.deletionProtectionEnabled === true,
          tags: (input.tags as Record<string, string> | undefined) ?? {},
        });
        if (!created) throw new ResourceAlreadyExistsException('The specified log group already exists');
        return {};
      },
    ),

    logsOperation('DeleteLogGroup', { logGroupName: { ...S.logGroupName, required: true } }, (input, ctx) => {
      store.deleteGroup(requireGroup(deps, ctx, input.logGroupName as string));
      return {};
    }),

    logsOperation(
      'DescribeLogGroups',
      {
        accountIdentifiers: S.accountIds,
        logGroupNamePrefix: S.logGroupName,
        logGroupNamePattern: S.logGroupNamePattern,
        nextToken: S.nextToken,
        limit: S.describeLimit,
        includeLinkedAccounts: { type: 'boolean' },
        logGroupClass: S.logGroupClass,
        logGroupIdentifiers: S.logGroupIdentifiers,
      },
      (input, ctx) => {
        const prefix = input.logGroupNamePrefix as string | undefined;
        const pattern = input.logGroupNamePattern as string | undefined;
        if (prefix !== undefined && pattern !== undefined) {
          throw new InvalidParameterException(
            'LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.',
          );
        }
        const sc = scopeOf(ctx);
        const limit = (input.limit as number | undefined) ?? DEFAULT_DESCRIBE_LIMIT;
        const after =
          input.nextToken === undefined
            ? undefined
            : decodePageToken('groups', input.nextToken as string, isGroupsToken).n;
        const identifiers = input.logGroupIdentifiers as string[] | undefined;
        const rows = store.listGroups(sc, {
          prefix,
          pattern: pattern === '' ? undefined : pattern,
          names: identifiers?.map((id) => groupNameFromIdentifier(sc, id) ?? '\u0000'),
          logGroupClass: input.logGroupClass as string | undefined,
          after,
          limit: limit + 1,
        });
        const page = rows.slice(0, limit);
        const last = page[page.length - 1];
        return {
          logGroups: page.map((g) => describeGroup(sc, g, pattern !== undefined)),
          nextToken: rows.length > limit && last ? encodePageToken('groups', { n: last.name }) : undefined,
        };
      },
    ),

    logsOperation(
      'PutRetentionPolicy',
      {
        logGroupName: { ...S.logGroupName, required: true },
        retentionInDays: { ...S.retentionInDays, required: true },
      },
      (input, ctx) => {
        const days = input.retentionInDays as number;
        if (!(RETENTION_DAYS as readonly number[]).includes(days)) {
          throw new InvalidParameterException(
            `1 validation error detected: Value '${days}' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [${RETENTION_DAYS.join(', ')}]`,
          );
        }
        store.setRetention(requireGroup(deps, ctx, input.logGroupName as string), days);
        return {};
      },
    ),

    logsOperation(
      'DeleteRetentionPolicy',
      { logGroupName: { ...S.logGroupName, required: true } },
      (input, ctx) => {
        store.setRetention(requireGroup(deps, ctx, input.logGroupName as string), null);
        return {};
      },
    ),

    logsOperation(
      'TagLogGroup',
      { logGroupName: { ...S.logGroupName, required: true }, tags: { ...S.tags, required: true } },
      (input, ctx) => {
        const group = requireGroup(deps, ctx, input.logGroupName as string);
        addTags(group, input.tags as Record<string, string>, logGroupArn(scopeOf(ctx), group.name));
        return {};
      },
    ),

    logsOperation(
      'UntagLogGroup',
      { logGroupName: { ...S.logGroupName, required: true }, tags: { ...S.tagList, required: true } },
      (input, ctx) => {
        removeTags(requireGroup(deps, ctx, input.logGroupName as string), input.tags as string[]);
        return {};
      },
    ),

    logsOperation(
      'ListTagsLogGroup',
      { logGroupName: { ...S.logGroupName, required: true } },
      (input, ctx) => ({
        tags: JSON.parse(requireGroup(deps, ctx, input.logGroupName as string).tags),
      }),
    ),

    logsOperation(
      'TagResource',
      { resourceArn: { ...S.arn, required: true }, tags: { ...S.tags, required: true } },
      (input, ctx) => {
        const arn = input.resourceArn as string;
        addTags(taggedGroup(ctx, arn), input.tags as Record<string, string>, arn);
        return {};
      },
    ),

    logsOperation(
      'UntagResource',
      { resourceArn: { ...S.arn, required: true }, tagKeys: { ...S.tagKeyList, required: true } },
      (input, ctx) => {
        removeTags(taggedGroup(ctx, input.resourceArn as string), input.tagKeys as string[]);
        return {};
      },
    ),

    logsOperation('ListTagsForResource', { resourceArn: { ...S.arn, required: true } }, (input, ctx) => ({
      tags: JSON.parse(taggedGroup(ctx, input.resourceArn as string).tags),
    })),
  ];
}
