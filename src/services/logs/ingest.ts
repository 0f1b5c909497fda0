/**
 * The write side shared by PutLogEvents and the platform's internal API: a group-committing
 * appender (all appends made in one tick of the event loop become one SQLite transaction, so
 * an invoke pipeline writing many lines per second costs one commit per tick, not per line)
 * and the waiters of live tails, woken after each commit that touched their log group.
 */
import type { Logger } from '../../shared/logger.js';
import type { GroupRow, LogsStore, NewEvent, Scope } from './store.js';

/** Appends bigger than this many pending events are committed without waiting for the tick. */
const MAX_PENDING_EVENTS = 20_000;

interface Pending {
  scope: Scope;
  group: string;
  stream: string;
  events: readonly NewEvent[];
  resolve(): void;
  reject(err: unknown): void;
}

export interface Ingest {
  /** Queues events for the next group commit; resolves once they are durable. */
  append(scope: Scope, group: string, stream: string, events: readonly NewEvent[]): Promise<void>;
  /** Commits whatever is queued now. */
  flush(): void;
  /** Called after any commit of new events to a group (PutLogEvents calls it too). */
  notify(groups: readonly GroupRow[]): void;
  /**
   * Resolves true as soon as the group's newest event id exceeds `afterId` (at once if it
   * already does), false after `timeoutMs` or when `signal` aborts.
   */
  waitForEvents(
    scope: Scope,
    group: string,
    afterId: number,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<boolean>;
}

const keyOf = (sc: Scope, group: string) => `${sc.accountId}\u0000${sc.region}\u0000${group}`;

export function createIngest(store: LogsStore, clock: () => number, logger: Logger): Ingest {
  let pending: Pending[] = [];
  let pendingEvents = 0;
  let scheduled = false;
  const waiters = new Map<string, Set<() => void>>();

  function flush(): void {
    scheduled = false;
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    pendingEvents = 0;
    let touched: GroupRow[];
    try {
      touched = store.appendBatches(batch, clock());
    } catch (err) {
      logger.error('logs: appending events failed', err);
      for (const p of batch) p.reject(err);
      return;
    }
    for (const p of batch) p.resolve();
    notify(touched);
  }

  function notify(groups: readonly GroupRow[]): void {
    for (const g of groups) {
      const set = waiters.get(keyOf({ accountId: g.account_id, region: g.region }, g.name));
      if (!set) continue;
      for (const wake of [...set]) wake();
    }
  }

  return {
    append(scope, group, stream, events) {
      const kept = events.filter((e) => e.message.length > 0);
      if (kept.length === 0) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        pending.push({ scope, group, stream, events: kept, resolve, reject });
        pendingEvents += kept.length;
        if (pendingEvents >= MAX_PENDING_EVENTS) flush();
        else if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
      });
    },
    flush,
    notify,
    waitForEvents(scope, group, afterId, timeoutMs, signal) {
      const row = store.getGroup(scope, group);
      if (row && row.last_event_id > afterId) return Promise.resolve(true);
      if (signal?.aborted) return Promise.resolve(false);
      const key = keyOf(scope, group);
      return new Promise<boolean>((resolve) => {
        let set = waiters.get(key);
        if (!set) {
          set = new Set();
          waiters.set(key, set);
        }
        const done = (result: boolean) => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          set.delete(wake);
          if (set.size === 0) waiters.delete(key);
          resolve(result);
        };
        const wake = () => {
          const now = store.getGroup(scope, group);
          if (now && now.last_event_id > afterId) done(true);
        };
        const onAbort = () => done(false);
        const timer = setTimeout(() => done(false), timeoutMs);
        timer.unref?.();
        signal?.addEventListener('abort', onAbort, { once: true });
        set.add(wake);
      });
    },
  };
}
