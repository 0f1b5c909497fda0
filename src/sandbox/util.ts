/** Small helpers shared by the implementations. */
import os from 'node:os';

const signalNames = new Map<number, NodeJS.Signals>(
  Object.entries(os.constants.signals).map(([name, nr]) => [nr, name as NodeJS.Signals]),
);
const errnoNames = new Map<number, string>(
  Object.entries(os.constants.errno).map(([name, nr]) => [nr, name]),
);

export function signalName(nr: number): NodeJS.Signals {
  return signalNames.get(nr) ?? 'SIGKILL';
}

export function errnoName(nr: number): string {
  return errnoNames.get(nr) ?? `errno ${nr}`;
}

/** A promise with its settle functions, for lifecycles driven by events. */
export function deferred<T>(): { promise: Promise<T>; resolve(v: T): void; reject(e: Error): void } {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Splits a byte stream into lines; calls back with each complete one. */
export function lineSplitter(onLine: (line: string) => void): (chunk: Buffer) => void {
  let pending = '';
  return (chunk) => {
    pending += chunk.toString('utf8');
    let nl = pending.indexOf('\n');
    while (nl >= 0) {
      onLine(pending.slice(0, nl));
      pending = pending.slice(nl + 1);
      nl = pending.indexOf('\n');
    }
  };
}
