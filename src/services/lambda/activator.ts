/**
 * Moves functions from Pending to Active (and updates from InProgress to Successful) the
 * way AWS reports them: after the response, in the background, once the code is unpacked
 * where execution environments will read it. Versions left unfinished by a crash are
 * finished when the service starts.
 */
import { randomUUID } from 'node:crypto';
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
  /** Resolves when nothing is scheduled or running (for shutdown and tests). */
  idle(): Promise<void>;
}

export function createActivator(opts: {
  store: LambdaStore;
  blobs: BlobStore;
  codeRoot: string;
  maxUnzippedBytes: number;
  logger: Logger;
}): Activator {
  const { store, blobs, codeRoot, logger } = opts;
  fs.mkdirSync(codeRoot, { recursive: true });
  const running = new Set<Promise<void>>();
  const codeDir = (codeKey: string) => path.join(codeRoot, codeKey);

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
    } catch (err) {
      logger.error(`could not unpack code of ${name}`, err);
      unpacked = false;
    }
    store.transaction(() => {
      for (const v of stored) {
        // $LATEST gets a new RevisionId when it settles (recorded); published versions keep theirs.
        const next = unpacked ? settled(v.config, v.version === '$LATEST') : failed(v.config);
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
    ...rest
  } = config;
  return {
    ...rest,
    State: 'Active',
    LastUpdateStatus: 'Successful',
    RevisionId: newRevision ? randomUUID() : config.RevisionId,
  };
}

function failed(config: FunctionConfig): FunctionConfig {
  const creating = config.State === 'Pending';
  return {
    ...config,
    State: creating ? 'Failed' : config.State,
    ...(creating
      ? {
          StateReason: 'Lambda was unable to unpack the function code.',
          StateReasonCode: 'InvalidZipFileException',
        }
      : {}),
    LastUpdateStatus: 'Failed',
    LastUpdateStatusReason: 'Lambda was unable to unpack the function code.',
    LastUpdateStatusReasonCode: 'InvalidZipFileException',
    RevisionId: randomUUID(),
  };
}
