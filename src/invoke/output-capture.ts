/**
 * Turns an environment's raw stdout/stderr into log events, line by line and live: a line
 * is an event as soon as its newline arrives. Lambda's runtimes write a multi-line message
 * as one line with `\r` between its lines (so it stays one event); that becomes `\n` again.
 * The lines of the running invocation are also kept (the last 4 KB) for `LogType: Tail`.
 */

export interface LogEvent {
  timestamp: number;
  message: string;
}

const TAIL_BYTES = 4096;
/** A line longer than this is cut into events of this size (CloudWatch's event limit is 256 KB). */
const MAX_EVENT_CHARS = 256 * 1024 - 26;

export class OutputCapture {
  private partial: Record<'stdout' | 'stderr', string> = { stdout: '', stderr: '' };
  private tail: string[] | undefined;
  private tailBytes = 0;

  constructor(private readonly emit: (event: LogEvent) => void) {}

  /** Raw output from the sandbox. */
  write(stream: 'stdout' | 'stderr', chunk: Buffer): void {
    const text = this.partial[stream] + chunk.toString('utf8');
    const lines = text.split('\n');
    this.partial[stream] = lines.pop() ?? '';
    for (const line of lines) this.line(line);
    if (this.partial[stream].length > MAX_EVENT_CHARS) {
      this.line(this.partial[stream]);
      this.partial[stream] = '';
    }
  }

  /** A line written by the platform itself (START, END, REPORT). */
  line(text: string): void {
    const message = text.replaceAll('\r', '\n');
    for (let i = 0; i < message.length || i === 0; i += MAX_EVENT_CHARS) {
      const part = message.slice(i, i + MAX_EVENT_CHARS);
      this.emit({ timestamp: Date.now(), message: part });
      this.remember(part);
    }
  }

  /** Output still without a newline (e.g. at the end of an invocation) becomes an event. */
  flushPartial(): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      if (this.partial[stream]) {
        this.line(this.partial[stream]);
        this.partial[stream] = '';
      }
    }
  }

  /** Starts collecting the tail of one invocation. */
  beginTail(): void {
    this.tail = [];
    this.tailBytes = 0;
  }

  /** The last 4 KB of the invocation's log, as `X-Amz-Log-Result` carries it (before base64). */
  endTail(): string {
    const text = (this.tail ?? []).join('');
    this.tail = undefined;
    const bytes = Buffer.from(text);
    return bytes.length <= TAIL_BYTES ? text : bytes.subarray(bytes.length - TAIL_BYTES).toString('utf8');
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
