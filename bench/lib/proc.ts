/** Reading /proc and the cgroup files: process trees, CPU time, memory. */
import fs from 'node:fs';
import path from 'node:path';

const TICK_MS = 10; // USER_HZ is 100 on Linux

interface Stat {
  pid: number;
  comm: string;
  ppid: number;
  cpuMs: number;
}

function readStat(pid: number): Stat | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const close = text.lastIndexOf(')');
  const comm = text.slice(text.indexOf('(') + 1, close);
  const f = text.slice(close + 2).split(' ');
  // After comm: state(0) ppid(1) ... utime(11) stime(12)
  return { pid, comm, ppid: Number(f[1]), cpuMs: (Number(f[11]) + Number(f[12])) * TICK_MS };
}

function allStats(): Stat[] {
  const out: Stat[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = readStat(Number(name));
    if (s) out.push(s);
  }
  return out;
}

/** The process and all its descendants. */
export function processTree(root: number): Stat[] {
  const stats = allStats();
  const children = new Map<number, Stat[]>();
  for (const s of stats) {
    const list = children.get(s.ppid) ?? [];
    list.push(s);
    children.set(s.ppid, list);
  }
  const self = stats.find((s) => s.pid === root);
  if (!self) return [];
  const out: Stat[] = [self];
  for (let i = 0; i < out.length; i++) out.push(...(children.get((out[i] as Stat).pid) ?? []));
  return out;
}

/** CPU milliseconds used so far, per process role: the root itself, and descendants by command name. */
export function cpuByRole(root: number, rootRole: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of processTree(root)) {
    const role = s.pid === root ? rootRole : s.comm;
    out[role] = (out[role] ?? 0) + s.cpuMs;
  }
  return out;
}

export function cpuDelta(
  before: Record<string, number>,
  after: Record<string, number>,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) out[k] = v - (before[k] ?? 0);
  return out;
}

/** Proportional set size (kB → MB) of a process, from smaps_rollup. */
export function pssMb(pid: number): number {
  try {
    const m = /^Pss:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

export function rssMb(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

export interface CgroupMemory {
  dir: string;
  pids: number[];
  usageMb: number;
  rssMb: number;
  cacheMb: number;
}

/**
 * The memory cgroups (cgroup v1 `memory/lambent/*`, or v2 `lambent/*`) whose processes belong
 * to the process tree of `root` and include a process named `comm`: the execution
 * environments of one Lambent server, not those of another Lambent on the same host, nor
 * parked launchers.
 */
export function environmentCgroups(root: number, comm: string): CgroupMemory[] {
  const tree = processTree(root);
  const ours = new Set(tree.map((s) => s.pid));
  const commOf = new Map(tree.map((s) => [s.pid, s.comm]));
  const out: CgroupMemory[] = [];
  for (const parent of ['/sys/fs/cgroup/memory/lambent', '/sys/fs/cgroup/lambent']) {
    if (!fs.existsSync(parent)) continue;
    const v1 = parent.includes('/memory/');
    for (const name of fs.readdirSync(parent)) {
      const dir = path.join(parent, name);
      if (!fs.statSync(dir).isDirectory()) continue;
      let pids: number[];
      try {
        pids = fs
          .readFileSync(path.join(dir, 'cgroup.procs'), 'utf8')
          .split('\n')
          .filter(Boolean)
          .map(Number);
      } catch {
        continue;
      }
      if (!pids.some((p) => ours.has(p)) || !pids.some((p) => commOf.get(p) === comm)) continue;
      const read = (file: string) => {
        try {
          return fs.readFileSync(path.join(dir, file), 'utf8');
        } catch {
          return '';
        }
      };
      const stat = read('memory.stat');
      const key = (k: string) =>
        Number(new RegExp(`^${k} (\\d+)$`, 'm').exec(stat)?.[1] ?? Number.NaN) / 2 ** 20;
      const usage = Number(read(v1 ? 'memory.usage_in_bytes' : 'memory.current')) / 2 ** 20;
      out.push({
        dir,
        pids,
        usageMb: usage,
        rssMb: v1 ? key('total_rss') : key('anon'),
        cacheMb: v1 ? key('total_cache') : key('file'),
      });
    }
    if (out.length) break;
  }
  return out;
}
