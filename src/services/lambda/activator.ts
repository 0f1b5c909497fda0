/**
 * Moves functions from Pending to Active (and updates from InProgress to Successful) the
 * way AWS reports them: after the response, in the background, once the code is unpacked
 * where execution environments will read it. Versions left unfinished by a crash are
 * finished when the service starts.
 */
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../../shared/logger.js';
import type { BlobStore } from '../../storage/blob-store.js';
import { extractZip } from './code/zip-package.js';
import type { FunctionConfig } from './model.js';
import type { LambdaStore, Scope } from './store.js';

export interface Activator {
  /**
   * Schedules the transition of versions of one function (sharing one code package); they
   * change together, so a reader never sees $LATEST Active and its new version Pending.
   */
  schedule(scope: Scope, name: string, versions: readonly string[]): void;
  /** Directory holding the unpacked code of a blob (exists once Active). */
  codeDir(codeKey: string): string;
  /** The function's layers as one directory (its /opt), or undefined without layers. */
  layersDir(config: FunctionConfig): string | undefined;
  /** Resolves when nothing is scheduled or running (for shutdown and tests). */
  idle(): Promise<void>;
}

export function createActivator(opts: {
  store: LambdaStore;
  blobs: BlobStore;
  codeRoot: string;
  maxUnzippedBytes: number;
  logger: Logger;
  /**
   * Makes the runtime's interpreter available (a Node major may be installed from npm);
   * rejects with the reason when it cannot be had.
   */
  prepareRuntime?: (runtime: string) => Promise<unknown>;
}): Activator {
  const { store, blobs, codeRoot, logger } = opts;
  fs.mkdirSync(codeRoot, { recursive: true });
  const running = new Set<Promise<void>>();
  const codeDir = (codeKey: string) => path.join(codeRoot, codeKey);
  const mergedRoot = path.join(codeRoot, '..', 'opt');

  function layersDir(config: FunctionConfig): string | undefined {
    const keys = config._layerKeys ?? [];
    if (keys.length === 0) return undefined;
    if (keys.length === 1) return codeDir(keys[0] as string);
    return path.join(mergedRoot, createHash('sha256').update(keys.join(',')).digest('hex'));
  }

  /**
   * Unpacks each layer and, for several, merges them in order into one /opt (later layers
   * win, as on Lambda) with hard links: no copies, built once per layer combination.
   */
  async function prepareLayers(config: FunctionConfig): Promise<void> {
    const keys = config._layerKeys ?? [];
    for (const key of keys) await unpack(key);
    const merged = layersDir(config);
    if (keys.length < 2 || !merged || fs.existsSync(merged)) return;
    const building = `${merged}.partial-${randomUUID()}`;
    fs.mkdirSync(building, { recursive: true });
    for (const key of keys) linkTree(codeDir(key), building);
    fs.renameSync(building, merged);
  }

  async function unpack(codeKey: string): Promise<void> {
    const dir = codeDir(codeKey);
    if (fs.existsSync(dir)) return;
    const zip = await blobs.get(codeKey);
    try {
      await extractZip(zip, dir, { maxUnzippedBytes: opts.maxUnzippedBytes });
    } catch (err) {
      // Another activation of the same code may have finished first.
      if (!fs.existsSync(dir)) throw err;
    }
  }

  async function activate(scope: Scope, name: string, versions: readonly string[]): Promise<void> {
    const stored = versions.flatMap((v) => store.getVersion(scope, name, v) ?? []);
    const codeKeys = [...new Set(stored.map((v) => v.codeKey))];
    let unpacked = true;
    try {
      for (const key of codeKeys) await unpack(key);
      for (const v of stored) await prepareLayers(v.config);
    } catch (err) {
      logger.error(`could not unpack code of ${name}`, err);
      unpacked = false;
    }
    const runtimeProblems = new Map<string, string>();
    for (const runtime of new Set(stored.flatMap((v) => v.config.Runtime ?? []))) {
      await opts.prepareRuntime?.(runtime).catch((err: Error) => {
        logger.warn(`function ${name}: runtime ${runtime} is unavailable: ${err.message}`);
        runtimeProblems.set(runtime, err.message);
      });
    }
    store.transaction(() => {
      for (const v of stored) {
        const problem = v.config.Runtime ? runtimeProblems.get(v.config.Runtime) : undefined;
        // $LATEST gets a new RevisionId when it settles (recorded); published versions keep theirs.
        const next = !unpacked
          ? failed(v.config)
          : problem
            ? failed(v.config, {
                reason: `The runtime ${v.config.Runtime} cannot be run by this Lambent host: ${problem}`,
                code: 'InvalidRuntime',
              })
            : settled(v.config, v.version === '$LATEST');
        store.compareAndPutVersion(scope, name, v.version, v.config.RevisionId, next);
      }
    });
  }

  function schedule(scope: Scope, name: string, versions: readonly string[]): void {
    const job = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => activate(scope, name, versions))
      .catch((err) => logger.error(`activation of ${name} failed`, err))
      .finally(() => running.delete(job));
    running.add(job);
  }

  for (const v of store.unfinishedVersions()) schedule(v, v.name, [v.version]);

  return {
    schedule,
    codeDir,
    layersDir,
    idle: async () => {
      while (running.size) await Promise.all([...running]);
    },
  };
}

function settled(config: FunctionConfig, newRevision: boolean): FunctionConfig {
  const {
    StateReason: _a,
    StateReasonCode: _b,
    LastUpdateStatusReason: _c,
    LastUpdateStatusReasonCode: _d,
    _serving: _e,
    ...rest
  } = config;
  return {
    ...rest,
    State: 'Active',
    LastUpdateStatus: 'Successful',
    RevisionId: newRevision ? randomUUID() : config.RevisionId,
  };
}

const UNPACK_FAILED = {
  reason: 'Lambda was unable to unpack the function code.',
  code: 'InvalidZipFileException',
};

function failed(config: FunctionConfig, why = UNPACK_FAILED): FunctionConfig {
  const creating = config.State === 'Pending';
  return {
    ...config,
    State: creating ? 'Failed' : config.State,
    ...(creating ? { StateReason: why.reason, StateReasonCode: why.code } : {}),
    LastUpdateStatus: 'Failed',
    LastUpdateStatusReason: why.reason,
    LastUpdateStatusReasonCode: why.code,
    RevisionId: randomUUID(),
  };
}

/** Hard-links every file of `from` into `to`, replacing what an earlier layer put there. */
function linkTree(from: string, to: string): void {
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    const target = path.join(to, entry.name);
    if (entry.isDirectory()) {
      if (fs.existsSync(target) && !fs.lstatSync(target).isDirectory()) fs.rmSync(target, { force: true });
      fs.mkdirSync(target, { recursive: true });
      linkTree(source, target);
    } else {
      fs.rmSync(target, { force: true, recursive: true });
      if (entry.isSymbolicLink()) fs.symlinkSync(fs.readlinkSync(source), target);
      else fs.linkSync(source, target);
    }
  }
}
