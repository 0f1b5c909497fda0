/**
 * Who owns a data directory, and whether that owner still runs.
 *
 * An owner is a process named by its pid and its start time (`/proc/<pid>/stat` field 22, in
 * clock ticks since boot): `12345.67890`. The start time makes a reused pid a different owner,
 * so a kill -9'd server's leftovers are never mistaken for a live one's. The same id is written
 * into the names of a server's cgroups (cgroups/driver.ts), which `lambent doctor` and the
 * next start on the same data dir read back.
 *
 * The lock is `<data-dir>/lambent.pid` holding the owner id, created exclusively. A file whose
 * owner is gone (kill -9, power loss) is taken over; a live one is refused with the owner's pid.
 * The lock is re-entrant within one process (the server and its sandbox provider both hold it).
 */
import fs from 'node:fs';
import path from 'node:path';

export const LOCK_FILE = 'lambent.pid';

export class DataDirInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(
      `the data directory ${dataDir} is in use by another running Lambent (pid ${pid}): ` +
        'stop it first, or give this one another --data-dir',
    );
  }
}

/** Start time of a process in clock ticks since boot, or undefined when it does not exist. */
export function processStartTicks(pid: number): number | undefined {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  if (state === 'Z' || state === 'X') return undefined; // exited, only not reaped
  const ticks = Number(fields[19]);
  return Number.isFinite(ticks) ? ticks : undefined;
}

/** This process's owner id, `<pid>.<start ticks>`. */
export function selfOwnerId(): string {
  return `${process.pid}.${processStartTicks(process.pid) ?? 0}`;
}

/** Whether the process an owner id names still runs (the same process, not a reused pid). */
export function ownerAlive(id: string): boolean {
  // A third part (`.<n>`) tells apart several owners within one process; the process decides.
  const m = /^(\d+)\.(\d+)(?:\.\d+)?$/.exec(id.trim());
  if (!m) return false;
  return processStartTicks(Number(m[1])) === Number(m[2]);
}

/** The owner recorded in a data dir's lock file, and whether it runs; undefined without one. */
export function dataDirOwner(dataDir: string): { id: string; pid: number; alive: boolean } | undefined {
  let id: string;
  try {
    id = fs.readFileSync(path.join(dataDir, LOCK_FILE), 'utf8').trim();
  } catch {
    return undefined;
  }
  return { id, pid: Number.parseInt(id, 10) || 0, alive: ownerAlive(id) };
}

const held = new Map<string, number>();

export interface DataDirLock {
  release(): void;
}

/** Takes the data dir's lock for this process, or throws DataDirInUseError. */
export function acquireDataDirLock(dataDir: string): DataDirLock {
  const dir = path.resolve(dataDir);
  const file = path.join(dir, LOCK_FILE);
  const self = selfOwnerId();
  const count = held.get(dir) ?? 0;
  if (count === 0) {
    fs.mkdirSync(dir, { recursive: true });
    for (let attempt = 0; ; attempt++) {
      try {
        fs.writeFileSync(file, `${self}\n`, { flag: 'wx', mode: 0o644 });
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 2) throw err;
      }
      const owner = dataDirOwner(dir);
      if (owner?.alive && owner.id !== self) throw new DataDirInUseError(dir, owner.pid);
      // Left by a process that is gone (or by this one, released without unlinking): take it over.
      fs.rmSync(file, { force: true });
    }
  }
  held.set(dir, count + 1);
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      const left = (held.get(dir) ?? 1) - 1;
      if (left > 0) {
        held.set(dir, left);
        return;
      }
      held.delete(dir);
      if (dataDirOwner(dir)?.id === self) fs.rmSync(file, { force: true });
    },
  };
}
