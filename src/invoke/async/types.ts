/** The async queue's contract with its users: what it runs, asks and tells. */
import type { Logger } from '../../shared/logger.js';
import type { Db } from '../../storage/db.js';
import type { AttemptResponse, Condition } from '../destinations.js';
import type { NewEvent, StoredEvent } from './store.js';

/** Defaults of an event invoke config. */
export const DEFAULT_MAXIMUM_RETRY_ATTEMPTS = 2;
export const DEFAULT_MAXIMUM_EVENT_AGE_SECONDS = 21_600;

/** An event handed to `run`: its payload is present. */
export type AsyncEvent = StoredEvent & { payload: Buffer };

export type AttemptResult =
  | { kind: 'success'; response: AttemptResponse }
  | { kind: 'function-error'; response: AttemptResponse }
  /** The function (or alias) no longer exists: nothing left to run or to tell. */
  | { kind: 'gone' };

export interface RetryPolicy {
  maximumRetryAttempts: number;
  maximumEventAgeSeconds: number;
}

export type DropReason = Exclude<Condition, 'Success'>;

/** Hooks for metrics (AsyncEventAge, AsyncEventsDropped, DestinationDeliveryFailures). */
export interface AsyncObserver {
  /** From enqueue to the start of each attempt. */
  eventAge(functionId: string, qualifier: string | undefined, ageMs: number): void;
  /** An event given up without a successful run (sent to its on-failure destination first, if any). */
  dropped(functionId: string, qualifier: string | undefined, reason: DropReason): void;
  destinationFailed?(functionId: string, qualifier: string | undefined, destination: string): void;
}

/** What the queue asks the concurrency accounting (the invoker's). */
export interface AsyncCapacity {
  /** Whether a lease is free for the function (`account/region/name`) right now. */
  canAcquire(functionId: string): boolean;
  /** Called when capacity may have become free. */
  onChange(listener: () => void): void;
}

export interface AsyncQueue {
  /** Stores the event durably; resolves once its row is committed. */
  enqueue(event: NewEvent): Promise<void>;
  /** Events stored and not yet finished. */
  pending(): number;
  /** Events waiting for capacity (throttled). */
  waiting(): number;
  /** Resolves when nothing is queued or running (tests, shutdown). */
  drained(): Promise<void>;
  close(): Promise<void>;
}

export interface AsyncQueueOptions {
  db: Db;
  logger: Logger;
  /** Events run at once at most. */
  concurrency: number;
  capacity?: AsyncCapacity;
  /** Runs one attempt. Throws `Throttled` or `SchedulerClosed`; anything else is a system error. */
  run: (event: AsyncEvent) => Promise<AttemptResult>;
  /** The event's retry settings (its event invoke config); AWS's defaults without. */
  policy?: (event: StoredEvent) => RetryPolicy | undefined;
  /**
   * The event is done (Success) or given up: deliver it to its destinations. Resolves once
   * delivered (the row is removed after), with the destinations that could not be reached.
   */
  onFinal?: (
    event: AsyncEvent,
    condition: Condition,
    response: AttemptResponse | undefined,
  ) => Promise<string[] | undefined>;
  observe?: AsyncObserver;
  /** Multiplies retry delays and maximum event ages (1 = AWS's times). */
  retryDelayScale?: number;
}
