/** What every case gets from the runner, and what it gives back. */
import type { LoadGen } from './children.js';
import type { HandlerFiles } from './handlers.js';
import type { Machine } from './machine.js';

export interface BenchContext {
  smoke: boolean;
  /** Scratch directory of this run (data dirs, handler files, child logs). */
  workDir: string;
  loadgen: LoadGen;
  handlers: HandlerFiles;
  machine: Machine;
  /** Progress line on stderr. */
  log(message: string): void;
  /** Picks the smoke or the full value. */
  size<T>(full: T, smoke: T): T;
}

export interface Table {
  title: string;
  columns: string[];
  rows: Array<Array<string | number>>;
}

export interface TargetCheck {
  what: string;
  target: string;
  measured: string;
  /** undefined: informative only (no target, or not measurable in this run). */
  met?: boolean;
}

export interface CaseResult {
  name: string;
  title: string;
  ranAt: string;
  commit: string;
  smoke: boolean;
  durationS: number;
  loadAverageAtStart: number[];
  /** What was measured and how, in a few sentences. */
  method: string[];
  tables: Table[];
  targets: TargetCheck[];
  notes: string[];
  /** Every number the tables were made from. */
  data: unknown;
}

export interface BenchCase {
  name: string;
  title: string;
  run(
    ctx: BenchContext,
  ): Promise<
    Omit<CaseResult, 'name' | 'title' | 'ranAt' | 'commit' | 'smoke' | 'durationS' | 'loadAverageAtStart'>
  >;
}

export const fmt = (v: number, digits = 2): string => (Number.isFinite(v) ? v.toFixed(digits) : 'n/a');
export const fmtRatio = (v: number): string => (Number.isFinite(v) ? `${v.toFixed(2)}×` : 'n/a');
