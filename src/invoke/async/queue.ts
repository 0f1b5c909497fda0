/**
 * Durable queue for asynchronous (`Event`) invocations, with AWS's retries, maximum event age
 * and final outcomes (handed to destinations by the caller's `onFinal`).
 *
 * Accepting: an event is written to SQLite before the caller's 202. Writes are group
 * commits — the events accepted in one turn of the event loop share one transaction, and each
 * enqueue resolves only once its row is committed. The accepted event then runs from memory
 * (its payload is read back only when the queue holds more than `MAX_HELD_BYTES`).
 *
 * Running: a function error (also a timeout or a crash) is retried MaximumRetryAttempts
 * times (default 2), after 1 and then 2 minutes; a system error after a backoff from 1 s up to
 * 5 min; a throttle waits in memory, per function and oldest first, until capacity frees up (a
 * released lease or a raised limit wakes it; a timer with backoff is the fallback). An event
 * older than MaximumEventAgeInSeconds (default 6 h) is given up (EventAgeExceeded); one for a
 * function whose reserved concurrency is 0 at once (ZeroReservedConcurrency). Waits are stored
 * in the row (attempts, next attempt time, last answer), so a pending retry survives a kill -9.
 * `retryDelayScale` scales all of these times (tests run AWS's minutes in milliseconds).
 *
 * Removals and retry updates are batched into the next commit; an event whose removal did not
 * reach the disk before a crash runs again (at least once, as on AWS).
 */

import { functionIdOf, Throttled } from '../concurrency.js';
import type { AttemptResponse, Condition } from '../destinations.js';
import { SchedulerClosed } from '../scheduler.js';
import { createEventStore, type NewEvent, type RetryUpdate, type StoredEvent } from './store.js';
import {
  type AsyncQueue,
  type AsyncQueueOptions,
  type AttemptResult,
  DEFAULT_MAXIMUM_EVENT_AGE_SECONDS,
  DEFAULT_MAXIMUM_RETRY_ATTEMPTS,
  type RetryPolicy,
} from './types.js';

export type { NewEvent, StoredEvent } from './store.js';
export * from './types.js';

/** Backoff of a throttled function's waiting events when no release wakes them. */
const WAIT_MIN_MS = 50;
const WAIT_MAX_MS = 2_000;
/** AWS's waits before the first and the second retry of a function error. */
const FUNCTION_ERROR_DELAYS_MS = [60_000, 120_000];
/** Backoff of system errors (AWS: exponential, at most 5 minutes). */
const SYSTEM_ERROR_MIN_MS = 1_000;
const SYSTEM_ERROR_MAX_MS = 300_000;
/**
 * A finished event's row is removed this long after it finished at the earliest. A run's log
 * lines reach the platform over the sandbox's output pipe, not with its response, and may
 * arrive after it (seen under load: tens of ms, then the 10 ms batch of invoke/launch.ts); a
 * removal that reached the disk before them would leave no trace of the run after a kill -9.
 * A crash within this delay runs the event again (at least once, as on AWS).
 */
const REMOVAL_DELAY_MS = 1_000;
/**
 * A function gets another parallel run only once its newest run has been going this long.
 * Quick handlers then keep to the few warm environments they need; starting every ready
 * event at once made the scheduler start an environment per waiting run (each a process
 * spawn, a /tmp volume and CPU taken from accepting): measured on 2 cores, a trivial handler
 * at 16 parallel runs grew to 118 environments and accepted 972 events/s, at 2 runs it kept 2
 * and accepted 5,409/s. Slow handlers still fan out, one more run per this interval.
 */
const SCALE_OUT_MS = 10;
/** Payload bytes of ready events held in memory at most; beyond, payloads are read back. */
const MAX_HELD_BYTES = 64 * 1024 * 1024;

/** A function's ready events (from `head` on) and its runs. */
interface Lane {
  functionId: string;
  events: StoredEvent[];
  head: number;
  running: number;
  /** When its newest run started. */
  lastStart: number;
  timer: NodeJS.Timeout | undefined;
}

/** A throttled function's waiting events, oldest first. */
interface Waiting {
  functionId: string;
  events: StoredEvent[];
  /** Retry no earlier than this (scaling-rate and memory throttles). */
  notBefore: number;
  timer: NodeJS.Timeout | undefined;
}

interface Accepted extends NewEvent {
  enqueuedAt: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export function createAsyncQueue(opts: AsyncQueueOptions): AsyncQueue {
  const { logger } = opts;
  const store = createEventStore(opts.db);
  const scale = opts.retryDelayScale ?? 1;
  const policyOf = (e: StoredEvent): RetryPolicy =>
    opts.policy?.(e) ?? {
      maximumRetryAttempts: DEFAULT_MAXIMUM_RETRY_ATTEMPTS,
      maximumEventAgeSeconds: DEFAULT_MAXIMUM_EVENT_AGE_SECONDS,
    };
  const fidOf = (e: StoredEvent) => functionIdOf(e.accountId, e.region, e.functionName);

  // Writes waiting for the next group commit.
  let inserts: Accepted[] = [];
  let updates: RetryUpdate[] = [];
  /** Removals not yet old enough to commit (see REMOVAL_DELAY_MS), and those that are. */
  let youngRemovals: Array<{ id: number; at: number }> = [];
  let removals: number[] = [];
  let removalTimer: NodeJS.Timeout | undefined;
  let commitScheduled = false;

  /** Per function: events ready to run, oldest first, and its runs in progress. */
  const lanes = new Map<string, Lane>();
  let heldBytes = 0;
  /** Events waiting for a retry time, by id. */
  const delayed = new Map<number, NodeJS.Timeout>();
  const throttled = new Map<string, Waiting>();
  /** Next wait of functions throttled since their last run (outlives their `Waiting`). */
  const backoff = new Map<string, number>();
  /** System errors in a row, per event (for its backoff). */
  const systemFailures = new Map<number, number>();
  let waitingCount = 0;
  /** Events stored and not finished (also counted: those whose removal awaits the commit). */
  let total = 0;
  let running = 0;
  let finishing = 0;
  let closed = false;
  let pumpScheduled = false;
  let waiters: Array<() => void> = [];

  function scheduleCommit(): void {
    if (commitScheduled) return;
    commitScheduled = true;
    setImmediate(commit);
  }

  function commit(): void {
    commitScheduled = false;
    if (inserts.length === 0 && updates.length === 0 && removals.length === 0) return;
    const batch = inserts;
    const batchUpdates = updates;
    const batchRemovals = removals;
    inserts = [];
    updates = [];
    removals = [];
    let ids: number[];
    try {
      ids = store.commit(batch, batchUpdates, batchRemovals);
    } catch (err) {
      logger.error('async queue: commit failed', err);
      for (const a of batch) a.reject(err);
      return;
    }
    total += batch.length;
    batch.forEach((a, i) => {
      const event: StoredEvent = {
        id: ids[i] as number,
        requestId: a.requestId,
        accountId: a.accountId,
        region: a.region,
        functionName: a.functionName,
        qualifier: a.qualifier,
        payload: a.payload,
        enqueuedAt: a.enqueuedAt,
        attempts: 0,
        nextAttemptAt: 0,
        lastResponse: undefined,
      };
      pushReady(event);
      a.resolve();
    });
    if (batch.length > 0) pump();
    checkDrained();
  }

  function pushReady(e: StoredEvent): void {
    if (e.payload) {
      if (heldBytes + e.payload.length > MAX_HELD_BYTES) e.payload = undefined;
      else heldBytes += e.payload.length;
    }
    laneOf(fidOf(e)).events.push(e);
  }

  function laneOf(functionId: string): Lane {
    let lane = lanes.get(functionId);
    if (!lane) {
      lane = { functionId, events: [], head: 0, running: 0, lastStart: 0, timer: undefined };
      lanes.set(functionId, lane);
    }
    return lane;
  }

  /** Lets go of an event's payload (it stays on disk). */
  function release(e: StoredEvent): void {
    if (e.payload) heldBytes -= e.payload.length;
    e.payload = undefined;
  }

  function checkDrained(): void {
    if (
      total > 0 ||
      running > 0 ||
      finishing > 0 ||
      inserts.length > 0 ||
      removals.length > 0 ||
      youngRemovals.length > 0
    )
      return;
    const ws = waiters;
    waiters = [];
    for (const w of ws) w();
  }

  function schedulePump(): void {
    if (pumpScheduled || closed) return;
    pumpScheduled = true;
    setImmediate(() => {
      pumpScheduled = false;
      pump();
    });
  }

  opts.capacity?.onChange(() => {
    if (throttled.size > 0) schedulePump();
  });

  function expired(e: StoredEvent, now: number): boolean {
    return now - e.enqueuedAt >= policyOf(e).maximumEventAgeSeconds * 1000 * scale;
  }

  function pump(): void {
    if (closed) return;
    let free = opts.concurrency - running;
    const now = Date.now();
    // Waiting events were accepted before anything ready: they go first.
    for (const w of throttled.values()) {
      while (w.events.length > 0 && expired(w.events[0] as StoredEvent, now)) {
        const e = w.events.shift() as StoredEvent;
        waitingCount--;
        void finish(e, undefined, 'EventAgeExceeded', e.lastResponse);
      }
      while (
        free > 0 &&
        w.events.length > 0 &&
        now >= w.notBefore &&
        (opts.capacity?.canAcquire(w.functionId) ?? true)
      ) {
        waitingCount--;
        start(w.events.shift() as StoredEvent);
        free--;
      }
      if (w.events.length === 0) {
        if (w.timer) clearTimeout(w.timer);
        throttled.delete(w.functionId);
      } else if (now < w.notBefore && !w.timer) armWait(w, w.notBefore - now);
    }
    for (const lane of lanes.values()) {
      if (free <= 0) break;
      const w = throttled.get(lane.functionId);
      if (w && w.events.length > 0) {
        // Its function is throttled: its events queue behind the older waiting ones.
        while (lane.head < lane.events.length) {
          const e = lane.events[lane.head++] as StoredEvent;
          release(e);
          w.events.push(e);
          waitingCount++;
        }
      }
      while (free > 0 && lane.head < lane.events.length) {
        if (lane.running > 0 && now - lane.lastStart < SCALE_OUT_MS) {
          // Its newest run is fresh: it will likely be done before another environment is.
          lane.timer ??= setTimeout(
            () => {
              lane.timer = undefined;
              schedulePump();
            },
            lane.lastStart + SCALE_OUT_MS - now,
          );
          break;
        }
        const e = lane.events[lane.head] as StoredEvent;
        lane.events[lane.head++] = undefined as unknown as StoredEvent;
        start(e);
        free--;
      }
      if (lane.head > 1024 && lane.head * 2 > lane.events.length) {
        lane.events = lane.events.slice(lane.head);
        lane.head = 0;
      }
      if (lane.head >= lane.events.length && lane.running === 0) {
        if (lane.timer) clearTimeout(lane.timer);
        lanes.delete(lane.functionId);
      } else if (lane.head >= lane.events.length) {
        lane.events = [];
        lane.head = 0;
      }
    }
  }

  function start(e: StoredEvent): void {
    running++;
    const lane = laneOf(fidOf(e));
    lane.running++;
    lane.lastStart = Date.now();
    attempt(e)
      .catch((err) => logger.error(`async invocation ${e.requestId} failed`, err))
      .finally(() => {
        release(e);
        running--;
        lane.running--;
        if (lane.running === 0 && lane.head >= lane.events.length && lanes.get(lane.functionId) === lane) {
          if (lane.timer) clearTimeout(lane.timer);
          lanes.delete(lane.functionId);
        }
        checkDrained();
        schedulePump();
      });
  }

  async function attempt(e: StoredEvent): Promise<void> {
    const payload = e.payload ?? store.payloadOf(e.id);
    if (payload === undefined) return; // removed meanwhile (cannot happen, but nothing to run)
    const now = Date.now();
    if (expired(e, now)) return finish(e, payload, 'EventAgeExceeded', e.lastResponse);
    opts.observe?.eventAge(fidOf(e), e.qualifier, now - e.enqueuedAt);
    let result: AttemptResult;
    try {
      result = await opts.run({ ...e, payload, attempts: e.attempts + 1 });
    } catch (err) {
      if (err instanceof SchedulerClosed) return; // did not run; runs after the restart
      if (err instanceof Throttled) {
        if (err.zeroReserved) return finish(e, payload, 'ZeroReservedConcurrency', undefined);
        wait(e, err);
        return;
      }
      // A system error: not the function's; retried with backoff until the event is too old.
      const n = (systemFailures.get(e.id) ?? 0) + 1;
      systemFailures.set(e.id, n);
      logger.warn(
        `async invocation ${e.requestId} of ${e.functionName}: system error, retrying: ${err instanceof Error ? err.message : String(err)}`,
      );
      const delay = Math.min(SYSTEM_ERROR_MAX_MS, SYSTEM_ERROR_MIN_MS * 2 ** (n - 1));
      retryLater(e, Date.now() + delay * scale);
      return;
    }
    systemFailures.delete(e.id);
    backoff.delete(fidOf(e));
    if (result.kind === 'gone') {
      logger.warn(`async invocation ${e.requestId}: ${e.functionName} no longer exists; event dropped`);
      remove(e);
      return;
    }
    e.attempts++;
    if (result.kind === 'success') return finish(e, payload, 'Success', result.response);
    e.lastResponse = result.response;
    const policy = policyOf(e);
    if (e.attempts - 1 >= policy.maximumRetryAttempts) {
      return finish(e, payload, 'RetriesExhausted', result.response);
    }
    const delay = FUNCTION_ERROR_DELAYS_MS[Math.min(e.attempts - 1, 1)] as number;
    retryLater(e, Date.now() + delay * scale);
  }

  /** Stores when the event runs next (no later than when it grows too old) and waits for it. */
  function retryLater(e: StoredEvent, at: number): void {
    const expiry = e.enqueuedAt + policyOf(e).maximumEventAgeSeconds * 1000 * scale;
    e.nextAttemptAt = Math.min(at, expiry);
    updates.push({
      id: e.id,
      attempts: e.attempts,
      nextAttemptAt: e.nextAttemptAt,
      lastResponse: e.lastResponse,
    });
    scheduleCommit();
    delay(e);
  }

  function delay(e: StoredEvent): void {
    release(e);
    // Shutting down: the stored next-attempt time brings it back after the restart.
    if (closed) return;
    const timer = setTimeout(
      () => {
        delayed.delete(e.id);
        pushReady(e);
        schedulePump();
      },
      Math.max(0, e.nextAttemptAt - Date.now()),
    );
    delayed.set(e.id, timer);
  }

  /** Keeps a throttled event (without its payload) until its function has capacity again. */
  function wait(e: StoredEvent, err: Throttled): void {
    release(e);
    const functionId = fidOf(e);
    let w = throttled.get(functionId);
    if (!w) {
      w = { functionId, events: [], notBefore: 0, timer: undefined };
      throttled.set(functionId, w);
    }
    // Back in front of the events accepted after it.
    const at = w.events.findIndex((x) => x.id > e.id);
    if (at === -1) w.events.push(e);
    else w.events.splice(at, 0, e);
    waitingCount++;
    // A concurrency throttle waits for a release (or a raised limit); the others for time.
    const wait = backoff.get(functionId) ?? WAIT_MIN_MS;
    backoff.set(functionId, Math.min(WAIT_MAX_MS, wait * 2));
    w.notBefore = err.limit === 'concurrency' ? 0 : Date.now() + wait;
    if (closed) return;
    armWait(w, wait);
  }

  /**
   * Pumps again after `ms`. Also re-armed by a pump that finds the wait not yet over: a timer
   * counts from the event loop's cached time, which lags `Date.now()` on a busy loop, so it may
   * fire a little before `notBefore` — and a wait nothing re-armed was never retried (an event
   * stuck behind a full host after the host had room again).
   */
  function armWait(w: Waiting, ms: number): void {
    if (w.timer) clearTimeout(w.timer);
    w.timer = setTimeout(() => {
      w.timer = undefined;
      schedulePump();
    }, ms);
  }

  /** The event is done or given up: tell its destinations, then remove it. */
  async function finish(
    e: StoredEvent,
    payload: Buffer | undefined,
    condition: Condition,
    response: AttemptResponse | undefined,
  ): Promise<void> {
    finishing++;
    try {
      const fid = fidOf(e);
      if (condition !== 'Success') opts.observe?.dropped(fid, e.qualifier, condition);
      const body = payload ?? store.payloadOf(e.id);
      if (opts.onFinal && body !== undefined) {
        try {
          const failed = await opts.onFinal({ ...e, payload: body }, condition, response);
          for (const d of failed ?? []) opts.observe?.destinationFailed?.(fid, e.qualifier, d);
        } catch (err) {
          logger.error(`async invocation ${e.requestId}: destinations failed`, err);
        }
      }
      remove(e);
    } finally {
      finishing--;
      checkDrained();
    }
  }

  function remove(e: StoredEvent): void {
    systemFailures.delete(e.id);
    youngRemovals.push({ id: e.id, at: Date.now() });
    total--;
    removalTimer ??= setTimeout(ageRemovals, REMOVAL_DELAY_MS);
  }

  /** Moves removals old enough to the next commit; `all` at shutdown. */
  function ageRemovals(all = false): void {
    removalTimer = undefined;
    const due = Date.now() - REMOVAL_DELAY_MS;
    let n = 0;
    while (n < youngRemovals.length && (all || (youngRemovals[n] as { at: number }).at <= due)) {
      removals.push((youngRemovals[n] as { id: number }).id);
      n++;
    }
    youngRemovals = youngRemovals.slice(n);
    const next = youngRemovals[0];
    if (next) removalTimer = setTimeout(ageRemovals, Math.max(1, next.at + REMOVAL_DELAY_MS - Date.now()));
    // Through setImmediate, after the log store's own flush of the same turn.
    if (n > 0) scheduleCommit();
  }

  // Events accepted before a crash or restart carry on: due ones run now, retries wait.
  {
    const now = Date.now();
    const backlog = store.loadAll();
    total = backlog.length;
    for (const e of backlog) {
      if (e.nextAttemptAt > now) delay(e);
      else laneOf(fidOf(e)).events.push(e);
    }
    if (backlog.length > 0) schedulePump();
  }

  return {
    enqueue(e) {
      return new Promise<void>((resolve, reject) => {
        inserts.push({ ...e, enqueuedAt: Date.now(), resolve, reject });
        // After close nothing runs the tick: commit at once (it then runs after a restart).
        if (closed) commit();
        else scheduleCommit();
      });
    },
    pending: () => total,
    waiting: () => waitingCount,
    drained: () =>
      new Promise<void>((resolve) => {
        waiters.push(resolve);
        checkDrained();
      }),
    async close() {
      closed = true;
      for (const w of throttled.values()) if (w.timer) clearTimeout(w.timer);
      for (const t of delayed.values()) clearTimeout(t);
      for (const lane of lanes.values()) if (lane.timer) clearTimeout(lane.timer);
      delayed.clear();
      throttled.clear();
      backoff.clear();
      while (running > 0 || finishing > 0) await new Promise((r) => setTimeout(r, 10));
      // Give the last runs' log lines time to be stored before their rows go.
      if (removalTimer) {
        clearTimeout(removalTimer);
        const last = youngRemovals[youngRemovals.length - 1];
        if (last)
          await new Promise((r) => setTimeout(r, Math.max(0, last.at + REMOVAL_DELAY_MS - Date.now())));
        ageRemovals(true);
        if (removalTimer) clearTimeout(removalTimer);
      }
      commit();
    },
  };
}
