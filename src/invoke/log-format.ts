/**
 * The platform's own log lines, exactly as Lambda writes them, and the log stream name
 * Lambda gives an execution environment.
 */
import { randomBytes } from 'node:crypto';

export function logStreamName(version: string, now = new Date()): string {
  const day = now.toISOString().slice(0, 10).replaceAll('-', '/');
  return `${day}/[${version}]${randomBytes(16).toString('hex')}`;
}

export const startLine = (requestId: string, version: string) =>
  `START RequestId: ${requestId} Version: ${version}`;

export const endLine = (requestId: string) => `END RequestId: ${requestId}`;

export interface ReportFigures {
  requestId: string;
  durationMs: number;
  billedMs: number;
  memorySizeMb: number;
  maxMemoryUsedMb: number;
  /** Present on an environment's first invocation. */
  initDurationMs?: number;
  /** Present when the invocation timed out: AWS adds `Status: timeout`. */
  status?: 'timeout' | 'error';
}

export function reportLine(r: ReportFigures): string {
  let line =
    `REPORT RequestId: ${r.requestId}\tDuration: ${r.durationMs.toFixed(2)} ms\tBilled Duration: ${r.billedMs} ms\t` +
    `Memory Size: ${r.memorySizeMb} MB\tMax Memory Used: ${r.maxMemoryUsedMb} MB\t`;
  if (r.initDurationMs !== undefined) line += `Init Duration: ${r.initDurationMs.toFixed(2)} ms\t`;
  if (r.status) line += `Status: ${r.status}\t`;
  return line;
}

/** Billed duration: whole milliseconds rounded up (Lambda since 2020), or 100 ms steps (older Lambda). */
export function billedDuration(durationMs: number, granularityMs: 1 | 100): number {
  return Math.max(granularityMs, Math.ceil(durationMs / granularityMs) * granularityMs);
}

/** The timeout error Lambda returns: `Task timed out after 3.00 seconds`. */
export function timeoutPayload(requestId: string, timeoutSeconds: number): Buffer {
  return Buffer.from(
    JSON.stringify({
      errorType: 'Sandbox.Timedout',
      errorMessage: `RequestId: ${requestId} Error: Task timed out after ${timeoutSeconds.toFixed(2)} seconds`,
    }),
  );
}

/** What Lambda returns when the runtime process ends during an invocation. */
export function exitPayload(
  requestId: string,
  exit: { code: number | null; signal: string | null; oomKilled: boolean },
): Buffer {
  const reason =
    exit.signal !== null
      ? `Runtime exited with error: signal: ${signalWord(exit.signal)}`
      : exit.code === 0 || exit.code === null
        ? 'Runtime exited without providing a reason'
        : `Runtime exited with error: exit status ${exit.code}`;
  return Buffer.from(
    JSON.stringify({
      errorType: exit.oomKilled ? 'Runtime.OutOfMemory' : 'Runtime.ExitError',
      errorMessage: `RequestId: ${requestId} Error: ${reason}`,
    }),
  );
}

/** Go's signal names, as Lambda's runtime manager prints them. */
function signalWord(signal: string): string {
  const words: Record<string, string> = {
    SIGKILL: 'killed',
    SIGSEGV: 'segmentation fault',
    SIGABRT: 'aborted',
    SIGTERM: 'terminated',
    SIGBUS: 'bus error',
    SIGILL: 'illegal instruction',
    SIGFPE: 'floating point exception',
    SIGINT: 'interrupt',
  };
  return words[signal] ?? signal;
}

/**
 * The platform's lines in the function's log format. Text: Lambda's START / END / REPORT.
 * JSON (LoggingConfig.LogFormat = JSON): `platform.start` and `platform.report` records,
 * shown at INFO, so a SystemLogLevel of WARN hides them, as on Lambda.
 */
export interface PlatformLog {
  start(requestId: string, version: string): string[];
  timedOut(requestId: string, timeoutSeconds: number): string[];
  end(figures: ReportFigures): string[];
  /** Output was dropped (log rate or disk budget, see log-budget.ts): say so in the stream. */
  logsDropped(droppedBytes: number, reason: string): string[];
}

export function platformLog(format: 'Text' | 'JSON', systemLogLevel?: string): PlatformLog {
  if (format === 'Text') {
    return {
      start: (id, version) => [startLine(id, version)],
      timedOut: (id, seconds) => [
        `${new Date().toISOString()} ${id} Task timed out after ${seconds.toFixed(2)} seconds`,
      ],
      end: (r) => [endLine(r.requestId), reportLine(r)],
      logsDropped: (bytes, reason) => [
        `LOGS DROPPED: ${bytes} bytes of function output were not kept: ${reason}`,
      ],
    };
  }
  const quiet = systemLogLevel === 'WARN';
  const record = (type: string, body: Record<string, unknown>) =>
    quiet ? [] : [JSON.stringify({ time: new Date().toISOString(), type, record: body })];
  return {
    start: (requestId, version) => record('platform.start', { requestId, version }),
    timedOut: () => [],
    // The Telemetry API's record for lost logs (without droppedRecords: lines are not counted).
    logsDropped: (droppedBytes, reason) => [
      JSON.stringify({
        time: new Date().toISOString(),
        type: 'platform.logsDropped',
        record: { reason, droppedBytes },
      }),
    ],
    end: (r) =>
      record('platform.report', {
        requestId: r.requestId,
        metrics: {
          durationMs: Number(r.durationMs.toFixed(2)),
          billedDurationMs: r.billedMs,
          memorySizeMB: r.memorySizeMb,
          maxMemoryUsedMB: r.maxMemoryUsedMb,
          ...(r.initDurationMs !== undefined ? { initDurationMs: Number(r.initDurationMs.toFixed(2)) } : {}),
        },
        status: r.status === 'timeout' ? 'timeout' : r.status === 'error' ? 'error' : 'success',
      }),
  };
}
