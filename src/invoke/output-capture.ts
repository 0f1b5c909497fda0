/**
 * Turns an environment's raw stdout/stderr into log events, line by line and live: a line
 * is an event as soon as its newline arrives. Lambda's runtimes write a multi-line message
 * as one line with `\r` between its lines (so it stays one event); that becomes `\n` again.
 * The lines of the running invocation are also kept (the last 4 KB) for `LogType: Tail`.
 *
 * A line longer than a CloudWatch event is cut into events of 262,118 bytes (256 KB less
 * the 26 bytes CloudWatch counts per event), as Lambda does: the rest of the line continues
 * in the next event. Function output passes a gate first (src/invoke/log-budget.ts): output
 * past the function's log rate, or while the disk is short, is dropped whole chunks at a time
 * before it is decoded, and the stream gets one line saying how many bytes went missing.
 */

export interface LogEvent {
  timestamp: number;
  message: string;
}

/** Decides whether output is kept; see LogBudget.gate. */
export interface OutputGate {
  /** Whether `bytes` more bytes of function output may be kept (false: they are dropped and counted). */
  admit(bytes: number): boolean;
  /** The line(s) that tell the log stream `bytes` of output were dropped since the last notice. */
  notice(droppedBytes: number): string[];
}

const TAIL_BYTES = 4096;
/** How long after a drop its notice waits for more output (to tell one figure, not many). */
const NOTICE_DELAY_MS = 500;
/** CloudWatch's event limit (262,144 bytes) less its 26 bytes of per-event overhead. */
export const MAX_EVENT_BYTES = 256 * 1024 - 26;

export class OutputCapture {
  private partial: Record<'stdout' | 'stderr', string> = { stdout: '', stderr: '' };
  /** After a drop, the rest of the interrupted line is dropped too (it would start mid-line). */
  private skipToNewline: Record<'stdout' | 'stderr', boolean> = { stdout: false, stderr: false };
  /** Bytes dropped since the last notice line. */
  private dropped = 0;
  private noticeTimer: NodeJS.Timeout | undefined;
  private tail: string[] | undefined;
  private tailBytes = 0;
  /** A line every tail ends with (why this environment's logs are not stored). */
  private tailWarning: string | undefined;

  constructor(
    private readonly emit: (event: LogEvent) => void,
    private readonly gate?: OutputGate,
  ) {}

  /** Raw output from the sandbox. */
  write(stream: 'stdout' | 'stderr', chunk: Buffer): void {
    if (this.gate && !this.gate.admit(chunk.length)) {
      this.dropped += chunk.length + Buffer.byteLength(this.partial[stream]);
      this.partial[stream] = '';
      this.skipToNewline[stream] = true;
      // Output keeps coming after an invocation's answer (the pipe lags): a drop that nothing
      // follows is still told, a moment later.
      if (!this.noticeTimer) {
        this.noticeTimer = setTimeout(() => {
          this.noticeTimer = undefined;
          if (this.dropped > 0) this.announceDrop();
        }, NOTICE_DELAY_MS);
        this.noticeTimer.unref();
      }
      return;
    }
    if (this.skipToNewline[stream]) {
      const nl = chunk.indexOf(10);
      if (nl < 0) {
        this.dropped += chunk.length;
        return;
      }
      this.dropped += nl + 1;
      this.skipToNewline[stream] = false;
      chunk = chunk.subarray(nl + 1);
    }
    if (this.dropped > 0) this.announceDrop();
    const text = this.partial[stream] + chunk.toString('utf8');
    const lines = text.split('\n');
    this.partial[stream] = lines.pop() ?? '';
    for (const line of lines) this.line(line);
    // A line still without its newline is cut once it fills an event (the rest stays partial).
    // Length in UTF-16 units never exceeds the UTF-8 length, so shorter strings are surely small.
    if (this.partial[stream].length > MAX_EVENT_BYTES / 3) {
      const bytes = Buffer.from(this.partial[stream]);
      let at = 0;
      while (bytes.length - at > MAX_EVENT_BYTES) {
        const end = utf8Boundary(bytes, at + MAX_EVENT_BYTES);
        this.event(bytes.toString('utf8', at, end).replaceAll('\r', '\n'));
        at = end;
      }
      if (at > 0) this.partial[stream] = bytes.toString('utf8', at);
    }
  }

  /** A complete line (function output, or the platform's own: START, END, REPORT). */
  line(text: string): void {
    const message = text.replaceAll('\r', '\n');
    // One UTF-16 unit is at most 3 UTF-8 bytes: most lines need no byte count at all.
    if (message.length * 3 <= MAX_EVENT_BYTES || Buffer.byteLength(message) <= MAX_EVENT_BYTES) {
      this.event(message);
      return;
    }
    const bytes = Buffer.from(message);
    for (let at = 0; at < bytes.length; ) {
      const end = utf8Boundary(bytes, Math.min(bytes.length, at + MAX_EVENT_BYTES));
      this.event(bytes.toString('utf8', at, end));
      at = end;
    }
  }

  /**
   * Output still without a newline (e.g. at the end of an invocation) becomes an event, and a
   * drop since the last notice is told now, before the invocation's END.
   */
  flushPartial(): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      if (this.partial[stream]) {
        this.line(this.partial[stream]);
        this.partial[stream] = '';
      }
      this.skipToNewline[stream] = false;
    }
    if (this.dropped > 0) this.announceDrop();
  }

  /** Starts collecting the tail of one invocation. */
  beginTail(): void {
    this.tail = [];
    this.tailBytes = 0;
  }

  /** Sets the line each tail of this environment ends with (it is not a log event). */
  tailNotice(line: string): void {
    this.tailWarning = `${line}\n`;
  }

  /** The last 4 KB of the invocation's log, as `X-Amz-Log-Result` carries it (before base64). */
  endTail(): string {
    const warning = this.tailWarning ?? '';
    const text = (this.tail ?? []).join('') + warning;
    this.tail = undefined;
    const bytes = Buffer.from(text);
    return bytes.length <= TAIL_BYTES ? text : bytes.subarray(bytes.length - TAIL_BYTES).toString('utf8');
  }

  private announceDrop(): void {
    clearTimeout(this.noticeTimer);
    this.noticeTimer = undefined;
    const bytes = this.dropped;
    this.dropped = 0;
    for (const line of this.gate?.notice(bytes) ?? []) this.event(line);
  }

  private event(message: string): void {
    this.emit({ timestamp: Date.now(), message });
    this.remember(message);
  }

  private remember(message: string): void {
    if (!this.tail) return;
    const line = `${message}\n`;
    this.tail.push(line);
    this.tailBytes += Buffer.byteLength(line);
    while (this.tailBytes > TAIL_BYTES * 2 && this.tail.length > 1) {
      this.tailBytes -= Buffer.byteLength(this.tail.shift() ?? '');
    }
  }
}

/** The largest offset ≤ `at` that does not fall inside a UTF-8 sequence. */
function utf8Boundary(bytes: Buffer, at: number): number {
  if (at >= bytes.length) return bytes.length;
  let i = at;
  while (i > 0 && ((bytes[i] ?? 0) & 0xc0) === 0x80) i--;
  return i;
}
