/**
 * The peer: lambda-local's own HTTP server (`lambdaLocal.watch`, what `lambda-local --watch`
 * runs) serving the same handler file, in its own process. It takes `{"event": ...}` as the
 * body and runs the handler in-process (re-requiring the file on every call, as it does).
 * argv: <handler file> <port>
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const [handlerFile, port] = process.argv.slice(2);
const lambdaLocal = require('lambda-local') as {
  watch(opts: Record<string, unknown>): void;
  getLogger(): { level: string; silent?: boolean };
};
const logger = lambdaLocal.getLogger();
logger.level = 'error';
lambdaLocal.watch({
  lambdaPath: handlerFile,
  lambdaHandler: 'handler',
  port: Number(port),
  verboseLevel: 0,
  timeoutMs: 3000,
});
process.on('disconnect', () => process.exit(0));
process.on('message', (msg: { stop?: boolean }) => {
  if (msg.stop) process.exit(0);
});
