/** What the numbers were measured on: hardware, kernel, Node, commit, and Lambent's isolation. */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';

export interface Machine {
  cpuModel: string;
  cores: number;
  memoryMb: number;
  kernel: string;
  os: string;
  node: string;
  date: string;
  commit: string;
  /** Uncommitted changes in the work tree when the run started. */
  dirty: boolean;
  /** Tracked files that differ from the commit (first 20). */
  changedFiles: string[];
  loadAverageAtStart: number[];
  /** From Lambent's GET /_lambent/health: isolation, cgroup layout, namespaces. */
  sandbox?: Record<string, unknown>;
}

const run = (cmd: string, args: string[]) => {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
};

export function describeMachine(): Machine {
  const cpuinfo = fs.readFileSync('/proc/cpuinfo', 'utf8');
  const model = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model ?? 'unknown';
  const mhz = /^cpu MHz\s*:\s*(.*)$/m.exec(cpuinfo)?.[1];
  // Read-only: `git diff` does not refresh the index (others may be using the repository).
  const changed = run('git', ['diff', 'HEAD', '--name-only']).split('\n').filter(Boolean);
  const osRelease = fs.existsSync('/etc/os-release') ? fs.readFileSync('/etc/os-release', 'utf8') : '';
  return {
    cpuModel: mhz ? `${model} @ ${Math.round(Number(mhz))} MHz` : model,
    cores: os.availableParallelism?.() ?? os.cpus().length,
    memoryMb: Math.round(os.totalmem() / 2 ** 20),
    kernel: `${os.type()} ${os.release()} ${os.version()}`,
    os: /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(osRelease)?.[1] ?? os.platform(),
    node: process.version,
    date: new Date().toISOString(),
    commit: run('git', ['rev-parse', '--short=12', 'HEAD']) || 'unknown',
    dirty: changed.length > 0,
    changedFiles: changed.slice(0, 20),
    loadAverageAtStart: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

/** Lambent's own account of its isolation (the sandbox part of the health document). */
export async function sandboxDescription(url: string): Promise<Record<string, unknown> | undefined> {
  try {
    const res = await fetch(`${url}/_lambent/health`);
    const doc = (await res.json()) as { parts?: { sandbox?: Record<string, unknown> } };
    return doc.parts?.sandbox;
  } catch {
    return undefined;
  }
}

/** Host memory in use, in MB, as `free` computes "used": total − free − buffers − (cached + reclaimable slab). */
export function memUsedMb(): number {
  const info = fs.readFileSync('/proc/meminfo', 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB$`, 'm').exec(info)?.[1] ?? Number.NaN);
  return (kb('MemTotal') - kb('MemFree') - kb('Buffers') - kb('Cached') - kb('SReclaimable')) / 1024;
}
