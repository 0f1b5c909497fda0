/**
 * Concurrency accounting, as on Lambda. Every invocation holds a lease from its start to its
 * end. A function with reserved concurrency draws leases from its reservation only; every
 * other function of the account (per region) shares the unreserved pool, which is the account
 * limit minus all reservations. Starting a new execution environment also takes a token from
 * the function's scaling-rate bucket (N environments per 10 s, refilled continuously).
 *
 * All of it is in memory and synchronous, so the warm path costs two map lookups and a few
 * increments; reservations are loaded at start and updated by Put/DeleteFunctionConcurrency.
 */
import { TooManyRequestsException } from '../services/lambda/errors.js';

export type ThrottleReason =
  | 'ConcurrentInvocationLimitExceeded'
  | 'FunctionInvocationRateLimitExceeded'
  | 'ReservedFunctionConcurrentInvocationLimitExceeded'
  | 'ReservedFunctionInvocationRateLimitExceeded';

/** Seconds a throttled caller is told to wait (`Retry-After`). */
const RETRY_AFTER_SECONDS = 1;

/**
 * Which limit throttled: concurrency (a lease frees it), the scaling rate (time), host memory,
 * host disk (the /tmp volumes' budget, tmp-budget.ts).
 */
export type ThrottleLimit = 'concurrency' | 'scaling' | 'memory' | 'disk';

/**
 * A throttle: the 429 `TooManyRequestsException` a synchronous caller gets, with AWS's body
 * (`Reason`, `Type: User`, `message: Rate Exceeded.`) and `Retry-After`. The async queue keeps
 * such events and runs them later, except when the function's reserved concurrency is 0
 * (`zeroReserved`): AWS then gives up on the event at once (condition `ZeroReservedConcurrency`).
 */
export class Throttled extends TooManyRequestsException {
  constructor(
    readonly reason: ThrottleReason,
    readonly limit: ThrottleLimit,
    readonly zeroReserved = false,
    /** AWS says only `Rate Exceeded.`; a limit of Lambent's own host adds which one. */
    message = 'Rate Exceeded.',
  ) {
    super(message, reason, RETRY_AFTER_SECONDS);
  }
}

export interface ConcurrencyOptions {
  /** Account concurrency per region. */
  accountLimit: number;
  /** New environments per function per 10 s. */
  scalingRatePer10s: number;
  now?: () => number;
}

interface AccountState {
  reservedTotal: number;
  /** Provisioned concurrency of functions without reservation (taken from the unreserved pool). */
  unreservedProvisioned: number;
  /** Leases of functions without reservation, provisioned ones excepted. */
  poolInUse: number;
}

/** A version's provisioned concurrency: that many leases are kept for its invocations. */
interface ProvisionedSlots {
  count: number;
  inUse: number;
}

interface FunctionState {
  account: AccountState;
  reserved: number | undefined;
  inUse: number;
  /** version → provisioned concurrency (set on a version or on an alias pointing to it). */
  provisioned: Map<string, ProvisionedSlots>;
  provisionedTotal: number;
  /** Leases held from provisioned slots (part of `inUse`). */
  provisionedInUse: number;
  /** Scaling-rate bucket. */
  tokens: number;
  refilledAt: number;
}

export class Lease {
  private released = false;

  constructor(
    private readonly owner: ConcurrencyAccounting,
    private readonly fn: FunctionState,
    private readonly fromPool: boolean,
    private readonly slots?: ProvisionedSlots,
  ) {}

  /** Drawn from the version's provisioned concurrency: a provisioned environment should serve it. */
  get provisioned(): boolean {
    return this.slots !== undefined;
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    this.fn.inUse--;
    if (this.fromPool) this.fn.account.poolInUse--;
    if (this.slots) {
      this.slots.inUse--;
      this.fn.provisionedInUse--;
    }
    this.owner.changed();
  }
}

/**
 * Keys: a function is `account/region/name` (all its versions share its concurrency), an
 * account `account/region`.
 */
export class ConcurrencyAccounting {
  private readonly accounts = new Map<string, AccountState>();
  private readonly functions = new Map<string, FunctionState>();
  private readonly listeners = new Set<() => void>();
  private readonly now: () => number;

  constructor(private readonly o: ConcurrencyOptions) {
    this.now = o.now ?? Date.now;
  }

  get accountLimit(): number {
    return this.o.accountLimit;
  }

  /**
   * Takes a lease for one invocation or throws `Throttled`. An invocation of a version with
   * provisioned concurrency takes one of its slots while any is free; past them (and for other
   * versions) it draws from what the reservation or the unreserved pool has left once every
   * version's provisioned concurrency is set aside, as on Lambda.
   */
  acquire(functionId: string, version?: string): Lease {
    const fn = this.fn(functionId);
    const slots = version === undefined ? undefined : fn.provisioned.get(version);
    if (slots && slots.inUse < slots.count) {
      slots.inUse++;
      fn.provisionedInUse++;
      fn.inUse++;
      return new Lease(this, fn, false, slots);
    }
    if (fn.reserved !== undefined) {
      if (fn.inUse - fn.provisionedInUse >= fn.reserved - fn.provisionedTotal) {
        throw new Throttled(
          'ReservedFunctionConcurrentInvocationLimitExceeded',
          'concurrency',
          fn.reserved === 0,
        );
      }
      fn.inUse++;
      return new Lease(this, fn, false);
    }
    const account = fn.account;
    if (account.poolInUse >= this.poolSize(account)) {
      throw new Throttled('ConcurrentInvocationLimitExceeded', 'concurrency');
    }
    account.poolInUse++;
    fn.inUse++;
    return new Lease(this, fn, true);
  }

  /** Whether `acquire` would succeed now (the async queue asks before retrying an event). */
  canAcquire(functionId: string): boolean {
    const fn = this.functions.get(functionId);
    if (!fn) {
      const account = this.accounts.get(accountOf(functionId));
      return !account || account.poolInUse < this.poolSize(account);
    }
    // A free provisioned slot may serve it (the queue does not know the version; acquire decides).
    for (const slots of fn.provisioned.values()) if (slots.inUse < slots.count) return true;
    if (fn.reserved !== undefined) return fn.inUse - fn.provisionedInUse < fn.reserved - fn.provisionedTotal;
    return fn.account.poolInUse < this.poolSize(fn.account);
  }

  /** The unreserved pool: the account limit less reservations and unreserved functions' provisioned concurrency. */
  private poolSize(account: AccountState): number {
    return this.o.accountLimit - account.reservedTotal - account.unreservedProvisioned;
  }

  /** Takes a scaling-rate token for a new environment or throws `Throttled`. */
  takeScalingToken(functionId: string): void {
    const fn = this.fn(functionId);
    const capacity = this.o.scalingRatePer10s;
    const now = this.now();
    fn.tokens = Math.min(capacity, fn.tokens + ((now - fn.refilledAt) * capacity) / 10_000);
    fn.refilledAt = now;
    if (fn.tokens < 1) {
      throw new Throttled(
        fn.reserved !== undefined
          ? 'ReservedFunctionInvocationRateLimitExceeded'
          : 'FunctionInvocationRateLimitExceeded',
        'scaling',
      );
    }
    fn.tokens -= 1;
  }

  /** Sets (a number) or removes (undefined) a function's reserved concurrency. */
  setReservation(functionId: string, reserved: number | undefined): void {
    const fn = this.fn(functionId);
    fn.account.reservedTotal += (reserved ?? 0) - (fn.reserved ?? 0);
    // Provisioned concurrency comes out of the reservation when there is one, else out of the pool.
    if (fn.reserved === undefined) fn.account.unreservedProvisioned -= fn.provisionedTotal;
    if (reserved === undefined) fn.account.unreservedProvisioned += fn.provisionedTotal;
    fn.reserved = reserved;
    this.changed();
  }

  /** Sets (a number) or removes (undefined) a version's provisioned concurrency. */
  setProvisioned(functionId: string, version: string, count: number | undefined): void {
    const fn = this.fn(functionId);
    const slots = fn.provisioned.get(version);
    const delta = (count ?? 0) - (slots?.count ?? 0);
    fn.provisionedTotal += delta;
    if (fn.reserved === undefined) fn.account.unreservedProvisioned += delta;
    if (count === undefined) fn.provisioned.delete(version);
    else if (slots) slots.count = count;
    else fn.provisioned.set(version, { count, inUse: 0 });
    this.changed();
  }

  /** The sum of a function's provisioned concurrency over its versions. */
  provisionedTotal(functionId: string): number {
    return this.functions.get(functionId)?.provisionedTotal ?? 0;
  }

  /** Provisioned concurrency of the account's functions without reservation (`account/region`). */
  unreservedProvisioned(accountKey: string): number {
    return this.accounts.get(accountKey)?.unreservedProvisioned ?? 0;
  }

  reservation(functionId: string): number | undefined {
    return this.functions.get(functionId)?.reserved;
  }

  /** Sum of the reservations of an account (`account/region`). */
  reservedTotal(accountKey: string): number {
    return this.accounts.get(accountKey)?.reservedTotal ?? 0;
  }

  /** Invocations in flight of a function. */
  inUse(functionId: string): number {
    return this.functions.get(functionId)?.inUse ?? 0;
  }

  /** A deleted function: its reservation and scaling state go (in-flight leases still release). */
  forget(functionId: string): void {
    const fn = this.functions.get(functionId);
    if (!fn) return;
    fn.account.reservedTotal -= fn.reserved ?? 0;
    if (fn.reserved === undefined) fn.account.unreservedProvisioned -= fn.provisionedTotal;
    this.functions.delete(functionId);
    this.changed();
  }

  /** Calls `listener` whenever capacity may have become free (a lease released, a limit changed). */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** @internal */
  changed(): void {
    for (const listener of this.listeners) listener();
  }

  private fn(functionId: string): FunctionState {
    let fn = this.functions.get(functionId);
    if (!fn) {
      const key = accountOf(functionId);
      let account = this.accounts.get(key);
      if (!account) {
        account = { reservedTotal: 0, unreservedProvisioned: 0, poolInUse: 0 };
        this.accounts.set(key, account);
      }
      fn = {
        account,
        reserved: undefined,
        inUse: 0,
        provisioned: new Map(),
        provisionedTotal: 0,
        provisionedInUse: 0,
        tokens: this.o.scalingRatePer10s,
        refilledAt: this.now(),
      };
      this.functions.set(functionId, fn);
    }
    return fn;
  }
}

/** The key of a function (all its versions) in the accounting. */
export function functionIdOf(accountId: string, region: string, name: string): string {
  return `${accountId}/${region}/${name}`;
}

/** The key of an account's concurrency (per region, as on AWS). */
export function accountKeyOf(accountId: string, region: string): string {
  return `${accountId}/${region}`;
}

/** `account/region/name` → `account/region`. */
function accountOf(functionId: string): string {
  return functionId.slice(0, functionId.lastIndexOf('/'));
}
