/**
 * Provisioned concurrency: keeps N execution environments of a function version initialised
 * ahead of time (INIT run with `AWS_LAMBDA_INITIALIZATION_TYPE=provisioned-concurrency`),
 * through the scheduler, which serves that version's invocations from them first.
 *
 * One config per version or alias (the Lambda API decides which; see
 * services/lambda/operations/provisioned-concurrency.ts). Its status is AWS's:
 * IN_PROGRESS until all N have finished INIT, then READY; FAILED (reason
 * FUNCTION_ERROR_INIT_FAILURE) when an INIT fails, after which its environments stop and no
 * more are started until the config is put again. An environment that dies (crash, timeout,
 * OOM) is replaced. When an alias moves to another version the config re-provisions there;
 * the old version's environments keep serving until the new ones are ready, then stop.
 *
 * The version's slots are set aside in the concurrency accounting from the moment the config
 * is put (as on Lambda, where they come out of the reservation or the unreserved pool).
 */
import type { Logger } from '../shared/logger.js';
import { Throttled } from './concurrency.js';
import type { Environment } from './environment.js';
import type { Invoker } from './invoker.js';
import type { FunctionTarget } from './launch.js';
import { SchedulerClosed } from './scheduler.js';

export type ProvisionedStatus = 'IN_PROGRESS' | 'READY' | 'FAILED';

export interface ProvisionedView {
  requested: number;
  allocated: number;
  available: number;
  status: ProvisionedStatus;
  statusReason?: string;
}

/** Per version: environments kept for provisioned concurrency, and how many are serving now. */
export interface ProvisionedUsage {
  allocated: number;
  inUse: number;
}

/** How long a start that found no room (host memory) waits before trying again. */
const RETRY_MS = 2_000;

/** How often utilisation (in use / allocated) is sampled for ProvisionedConcurrencyUtilization. */
const SAMPLE_MS = 1_000;

/** Receives a config's utilisation, 0..1 (`functionId` = account/region/name; qualifier = the config's). */
export type UtilizationSink = (functionId: string, qualifier: string, ratio: number) => void;

/** The version's target as it is now (tags can change its configuration); undefined once it is gone. */
export type TargetSource = () => FunctionTarget | undefined;

interface Config {
  id: string;
  requested: number;
  target: FunctionTarget;
  resolve: TargetSource;
  /** Environments of the current target that finished INIT. */
  envs: Set<Environment>;
  starting: number;
  /** The previous version's environments (alias moved), until the new ones are ready. */
  old: Set<Environment>;
  failed?: string;
  removed: boolean;
  retry?: NodeJS.Timeout;
}

export class ProvisionedConcurrency {
  private readonly configs = new Map<string, Config>();
  private closed = false;
  /** Until the platform listens, environments could not reach it: configs wait for `resume`. */
  private paused = true;
  private sampler: NodeJS.Timeout | undefined;

  constructor(
    private readonly invoker: Invoker,
    private readonly logger: Logger,
    private readonly utilization?: UtilizationSink,
  ) {}

  /**
   * Creates or updates a config (`id`: the function and the version or alias it is on) for
   * the version `resolve` describes: starts or stops environments to reach `requested`, or
   * re-provisions on another version.
   */
  set(id: string, resolve: TargetSource, requested: number): void {
    const target = resolve();
    if (!target) return;
    let config = this.configs.get(id);
    const before = config && { version: config.target.version };
    if (!config) {
      config = {
        id,
        requested,
        target,
        resolve,
        envs: new Set(),
        starting: 0,
        old: new Set(),
        removed: false,
      };
      this.configs.set(id, config);
    } else {
      config.requested = requested;
      config.resolve = resolve;
      // A new Put starts over after a failure.
      config.failed = undefined;
      if (config.target.version !== target.version) {
        for (const env of config.envs) config.old.add(env);
        config.envs = new Set();
      }
      config.target = target;
    }
    if (before && before.version !== target.version) this.account(target, before.version);
    this.account(target, target.version);
    this.fill(config);
  }

  /** Drops a config and stops its environments (busy ones finish their invocation first). */
  remove(id: string): void {
    const config = this.configs.get(id);
    if (!config) return;
    this.configs.delete(id);
    config.removed = true;
    clearTimeout(config.retry);
    this.account(config.target, config.target.version);
    for (const env of [...config.envs, ...config.old]) this.release(env);
    config.envs.clear();
    config.old.clear();
  }

  /** Drops every config of a function (`account/region/name`), e.g. when it is deleted. */
  removeFunction(functionPrefix: string): void {
    for (const id of [...this.configs.keys()]) if (id.startsWith(`${functionPrefix}/`)) this.remove(id);
  }

  view(id: string): ProvisionedView | undefined {
    const config = this.configs.get(id);
    if (!config) return undefined;
    if (config.failed !== undefined) {
      return {
        requested: config.requested,
        allocated: 0,
        available: 0,
        status: 'FAILED',
        statusReason: config.failed,
      };
    }
    const ready = config.envs.size >= config.requested;
    // While an alias re-provisions, the old version's environments still count (as AWS reports).
    const allocated = Math.min(config.requested, config.envs.size + config.old.size);
    return {
      requested: config.requested,
      allocated,
      available: allocated,
      status: ready ? 'READY' : 'IN_PROGRESS',
    };
  }

  /** Provisioned environments of one version (`functionId` is `account/region/name`) and how many are busy. */
  usage(functionId: string, version: string): ProvisionedUsage {
    const prefix = `${functionId}/${version}/`;
    let allocated = 0;
    let inUse = 0;
    for (const config of this.configs.values()) {
      for (const env of [...config.envs, ...config.old]) {
        if (!env.key.startsWith(prefix)) continue;
        allocated++;
        if (env.state === 'busy') inUse++;
      }
    }
    return { allocated, inUse };
  }

  /** The platform is listening: provision every config (those loaded at start included). */
  resume(): void {
    this.paused = false;
    for (const config of this.configs.values()) this.fill(config);
    if (this.utilization && !this.sampler) {
      this.sampler = setInterval(() => this.sample(), SAMPLE_MS);
      this.sampler.unref();
    }
  }

  /** In use / allocated of each config with environments (what the metric's Maximum is taken over). */
  private sample(): void {
    for (const config of this.configs.values()) {
      let allocated = 0;
      let busy = 0;
      for (const env of [...config.envs, ...config.old]) {
        allocated++;
        if (env.state === 'busy') busy++;
      }
      if (allocated === 0) continue;
      const qualifier = config.id.slice(config.id.lastIndexOf('/') + 1);
      this.utilization?.(functionIdOf(config.target), qualifier, busy / allocated);
    }
  }

  /** Every version with provisioned environments, for health and metrics. */
  usageAll(): Array<{ functionId: string; version: string } & ProvisionedUsage> {
    const seen = new Map<string, { functionId: string; version: string }>();
    for (const c of this.configs.values()) {
      const functionId = functionIdOf(c.target);
      seen.set(`${functionId}/${c.target.version}`, { functionId, version: c.target.version });
    }
    return [...seen.values()].map((v) => ({ ...v, ...this.usage(v.functionId, v.version) }));
  }

  close(): void {
    this.closed = true;
    clearInterval(this.sampler);
    for (const config of this.configs.values()) clearTimeout(config.retry);
  }

  /** The accounting sets aside, per version, the sum of the configs on it. */
  private account(target: FunctionTarget, version: string): void {
    let sum = 0;
    for (const c of this.configs.values()) if (c.target.version === version) sum += c.requested;
    this.invoker.concurrency.setProvisioned(functionIdOf(target), version, sum > 0 ? sum : undefined);
  }

  /** Starts what is missing, gives back what is too many, retires the old version once ready. */
  private fill(config: Config): void {
    if (config.removed || this.closed || this.paused || config.failed !== undefined) return;
    const extra = config.envs.size + config.starting - config.requested;
    if (extra > 0) {
      // Idle ones first; a busy one becomes an ordinary on-demand environment after its call.
      const surplus = [...config.envs].sort(
        (a, b) => Number(a.state === 'busy') - Number(b.state === 'busy'),
      );
      for (const env of surplus.slice(0, Math.min(extra, config.envs.size))) {
        config.envs.delete(env);
        this.release(env);
      }
    }
    for (let i = config.envs.size + config.starting; i < config.requested; i++) this.startOne(config);
    if (config.envs.size >= config.requested && config.old.size > 0) {
      for (const env of config.old) this.release(env);
      config.old.clear();
    }
  }

  private startOne(config: Config): void {
    // Built afresh, so that the environment matches what invocations of the version run now.
    const fresh = config.resolve();
    if (fresh && fresh.version === config.target.version) config.target = fresh;
    const target = config.target;
    config.starting++;
    let started: Environment | undefined;
    const onStopped = () => {
      if (!started || !config.envs.delete(started)) {
        config.old.delete(started as Environment);
        return;
      }
      // Died while kept (crash, timeout, OOM): replace it.
      this.fill(config);
    };
    this.invoker.startProvisioned(target, onStopped).then(
      (env) => {
        started = env;
        config.starting--;
        if (env.state === 'stopped' || env.state === 'stopping') {
          if (env.initFailed) this.fail(config);
          // Gone before it was kept (its configuration was replaced meanwhile): try again
          // shortly rather than at once, so that nothing can spin.
          else this.retryLater(config);
          return;
        }
        if (
          config.removed ||
          this.closed ||
          config.target.version !== target.version ||
          config.failed !== undefined
        ) {
          this.release(env);
          return;
        }
        if (env.initFailed) {
          void env.stop();
          this.fail(config);
          return;
        }
        config.envs.add(env);
        this.fill(config);
      },
      (err: unknown) => {
        config.starting--;
        if (err instanceof SchedulerClosed || config.removed || this.closed) return;
        if (!(err instanceof Throttled)) {
          // The environment could not be built at all (e.g. a runtime Lambent cannot run).
          this.logger.error(`could not start a provisioned environment for ${config.id}`, err);
          this.fail(config);
          return;
        }
        // No room now (host memory): try again shortly.
        this.retryLater(config);
      },
    );
  }

  private retryLater(config: Config): void {
    clearTimeout(config.retry);
    config.retry = setTimeout(() => this.fill(config), RETRY_MS);
    config.retry.unref();
  }

  private fail(config: Config): void {
    if (config.removed) return;
    config.failed = 'FUNCTION_ERROR_INIT_FAILURE';
    this.logger.warn(`provisioned concurrency of ${config.id} failed: INIT failed`);
    for (const env of [...config.envs, ...config.old]) this.release(env);
    config.envs.clear();
    config.old.clear();
  }

  /** An environment no longer kept: stopped when idle, else it serves on as an on-demand one. */
  private release(env: Environment): void {
    if (env.state === 'busy') env.provisioned = false;
    else void env.stop();
  }
}

function functionIdOf(t: FunctionTarget): string {
  return `${t.accountId}/${t.region}/${t.name}`;
}
