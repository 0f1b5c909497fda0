/** Names, ARNs, event ids and pagination tokens of CloudWatch Logs, in AWS's formats. */
import { invalidNextToken } from './errors.js';
import type { EventKey, Scope } from './store.js';

/** `arn` of DescribeLogGroups ends in `:*`; `logGroupArn` does not (recorded). */
export function logGroupArn(sc: Scope, name: string): string {
  return `arn:aws:logs:${sc.region}:${sc.accountId}:log-group:${name}`;
}

export function logStreamArn(sc: Scope, group: string, stream: string): string {
  return `${logGroupArn(sc, group)}:log-stream:${stream}`;
}

/**
 * The log group a `logGroupIdentifier` or `resourceArn` names: a bare name, or an ARN
 * `arn:aws:logs:<region>:<account>:log-group:<name>[:*]` of this account and region.
 */
export function groupNameFromIdentifier(sc: Scope, identifier: string): string | undefined {
  if (!identifier.startsWith('arn:')) return identifier;
  const m = /^arn:aws[\w-]*:logs:([^:]*):(\d{12}):log-group:([^:]+)(?::\*)?$/.exec(identifier);
  if (!m || m[1] !== sc.region || m[2] !== sc.accountId) return undefined;
  return m[3];
}

/** Event ids are 56 decimal digits in AWS; ours are the storage ids, padded. */
export function eventIdOf(id: number): string {
  return String(id).padStart(56, '0');
}

export function parseEventId(eventId: string): number | undefined {
  if (!/^\d{1,56}$/.test(eventId)) return undefined;
  const n = Number(eventId);
  return Number.isSafeInteger(n) ? n : undefined;
}

/**
 * GetLogEvents tokens, `f/<56 digits>/s` and `b/<56 digits>/s` as AWS writes them: the digits
 * are a position in (timestamp, id) order, 20 for the timestamp and 36 for the id. A forward
 * token reads the events after its key, a backward token those before it.
 */
export interface StreamToken {
  direction: 'f' | 'b';
  key: EventKey;
}

export function formatStreamToken(direction: 'f' | 'b', key: EventKey): string {
  return `${direction}/${String(key.timestamp).padStart(20, '0')}${String(key.id).padStart(36, '0')}/s`;
}

export function parseStreamToken(token: string): StreamToken {
  const m = /^([fb])\/(\d{20})(\d{36})(?:\/s)?$/.exec(token);
  if (!m) throw invalidNextToken();
  const timestamp = Number(m[2]);
  const id = Number(m[3]);
  if (!Number.isSafeInteger(timestamp) || !Number.isSafeInteger(id)) throw invalidNextToken();
  return { direction: m[1] as 'f' | 'b', key: { timestamp, id } };
}

/** Opaque `nextToken`s (Describe*, FilterLogEvents): versioned JSON in base64url. */
export function encodePageToken(kind: string, state: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify({ k: kind, ...state })).toString('base64url');
}

export function decodePageToken<T extends Record<string, unknown>>(
  kind: string,
  token: string,
  check: (s: Record<string, unknown>) => s is T,
): T {
  let state: unknown;
  try {
    state = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalidNextToken();
  }
  if (
    !state ||
    typeof state !== 'object' ||
    (state as { k?: unknown }).k !== kind ||
    !check(state as Record<string, unknown>)
  ) {
    throw invalidNextToken();
  }
  return state as T;
}

/** The sequence tokens PutLogEvents still returns (and ignores on input): 56 digits. */
export function sequenceTokenOf(streamId: number, uploadSeq: number): string {
  return `${String(streamId).padStart(20, '0')}${String(uploadSeq).padStart(36, '0')}`;
}
