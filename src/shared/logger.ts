/** A minimal leveled logger to stderr; a factory so tests can capture or silence it. */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string, err?: unknown): void;
}

export function createLogger(write: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Logger {
  const stamp = () => new Date().toISOString();
  return {
    info: (m) => write(`${stamp()} INFO ${m}`),
    warn: (m) => write(`${stamp()} WARN ${m}`),
    error: (m, err) =>
      write(
        `${stamp()} ERROR ${m}${err instanceof Error ? `\n${err.stack ?? err.message}` : err ? ` ${String(err)}` : ''}`,
      ),
  };
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
