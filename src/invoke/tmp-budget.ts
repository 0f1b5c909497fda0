/**
 * The host disk that /tmp volumes may take. Every volume is charged its full size
 * (EphemeralStorage: the ext4 image is sparse, but a function may fill it) from the start of
 * the environment that mounts it until the volume is released — kept volumes of stopped
 * environments included, since their files stay on disk for the next environment of the
 * function. Without a ceiling, EphemeralStorage × concurrent environments could take the
 * whole disk (measured: 2 × 1 GB filled = +2 GB until the function was deleted).
 *
 * Like the memory ceiling (scheduler.ts), a start that does not fit first makes room: kept
 * volumes no environment uses are released (their files go, as they would with the
 * environment on Lambda), then idle environments are stopped, least recently used first, and
 * their volumes released. When even that cannot make room, the invocation is throttled with
 * a 429 that names the limit (an async event waits and is retried).
 */
import { Throttled } from './concurrency.js';

export interface TmpBudgetHooks {
  /** Kept volumes no environment uses now (any function), oldest first. */
  unusedVolumes(): string[];
  /** Releases an unused volume (unmounts it and deletes its image). */
  release(dir: string): Promise<void>;
  /** Stops one idle environment so that its volume becomes unused; false if there is none. */
  evictIdle(): Promise<boolean>;
}

export class TmpBudget {
  private readonly charged = new Map<string, number>();
  private totalMb = 0;
  private makingRoom: Promise<void> = Promise.resolve();

  constructor(
    readonly maxMb: number,
    private readonly hooks: TmpBudgetHooks,
  ) {}

  /** Charges `dir` its volume of `sizeMb` (replacing what it was charged), making room first; or throws Throttled. */
  async reserve(dir: string, sizeMb: number): Promise<void> {
    const full = () =>
      new Throttled(
        'ConcurrentInvocationLimitExceeded',
        'disk',
        false,
        `Rate Exceeded. Lambent's disk budget for /tmp volumes is used up: ${this.totalMb} MB of ${this.maxMb} MB are taken and this environment needs ${sizeMb} MB of EphemeralStorage (LAMBENT_MAX_TMP_MB).`,
      );
    if (sizeMb > this.maxMb) throw full();
    if (this.tryCharge(dir, sizeMb)) return;
    // Making room takes turns: a start that evicts must not leave the next one to find no idle
    // environment to evict while the first still waits for its eviction.
    const turn = this.makingRoom.then(() => this.makeRoom(dir, sizeMb, full));
    this.makingRoom = turn.catch(() => undefined);
    return turn;
  }

  private tryCharge(dir: string, sizeMb: number): boolean {
    const before = this.charged.get(dir) ?? 0;
    if (this.totalMb - before + sizeMb > this.maxMb) return false;
    this.charged.set(dir, sizeMb);
    this.totalMb += sizeMb - before;
    return true;
  }

  private async makeRoom(dir: string, sizeMb: number, full: () => Throttled): Promise<void> {
    // Each round frees a volume or an environment; their number bounds the rounds.
    for (let round = 0; round < 10_000; round++) {
      if (this.tryCharge(dir, sizeMb)) return;
      const unused = this.hooks.unusedVolumes().find((d) => d !== dir && this.charged.has(d));
      if (unused !== undefined) {
        this.uncharge(unused);
        await this.hooks.release(unused).catch(() => undefined);
        continue;
      }
      if (!(await this.hooks.evictIdle())) throw full();
    }
    throw full();
  }

  /** A volume released (or never made): its size no longer counts. */
  uncharge(dir: string): void {
    const mb = this.charged.get(dir);
    if (mb === undefined) return;
    this.charged.delete(dir);
    this.totalMb -= mb;
  }

  stats(): { tmpMb: number; maxTmpMb: number } {
    return { tmpMb: this.totalMb, maxTmpMb: this.maxMb };
  }
}
