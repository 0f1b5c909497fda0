/** The functions the cases run, written once to files (baselines, peers) and zipped (Lambent). */
import fs from 'node:fs';
import path from 'node:path';

export const HANDLERS = {
  /** The trivial handler of issue 5. */
  echo: 'exports.handler = async (e) => e;\n',
  /** Holds its environment for `ms` (default 200) so concurrent requests need their own. */
  sleep:
    'exports.handler = async (e) => { await new Promise((r) => setTimeout(r, Number(e.ms ?? 200))); return { ok: true }; };\n',
  /** Records when it ran: `bench-done <run> <seq> <sent ms> <ran ms>`. */
  record:
    "exports.handler = async (e) => { console.log('bench-done', e.run, e.seq, e.sent, Date.now()); };\n",
  /** An HTTP-event handler (function URL / HTTP API): the smallest answer a web function gives. */
  http: "exports.handler = async () => ({ statusCode: 200, headers: { 'content-type': 'text/plain' }, body: 'hello' });\n",
} as const;

export type HandlerName = keyof typeof HANDLERS;

/** `node invoke.cjs <handler file> [event json]`: runs the handler once and prints its result. */
const INVOKE_ONCE = `const h = require(process.argv[2]);
Promise.resolve(h.handler(JSON.parse(process.argv[3] || '{}'), {})).then((r) => process.stdout.write(JSON.stringify(r) + '\\n'));
`;

/** `node idle.cjs <handler file>`: loads the handler, says ready, then idles like a warm runtime. */
const IDLE = `require(process.argv[2]);
process.stdout.write('ready\\n');
setInterval(() => {}, 1 << 30);
`;

export interface HandlerFiles {
  /** handler name → absolute path of its index.js */
  files: Record<HandlerName, string>;
  invokeOnce: string;
  idle: string;
}

export function writeHandlers(workDir: string): HandlerFiles {
  const files = {} as Record<HandlerName, string>;
  for (const [name, source] of Object.entries(HANDLERS)) {
    const dir = path.join(workDir, 'handlers', name);
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'index.js');
    fs.writeFileSync(file, source);
    files[name as HandlerName] = file;
  }
  const invokeOnce = path.join(workDir, 'handlers', 'invoke.cjs');
  fs.writeFileSync(invokeOnce, INVOKE_ONCE);
  const idle = path.join(workDir, 'handlers', 'idle.cjs');
  fs.writeFileSync(idle, IDLE);
  return { files, invokeOnce, idle };
}

/** The environment a bare `node` baseline gets: as clean as a sandbox's. */
export const CLEAN_ENV = { PATH: '/usr/local/bin:/usr/bin:/bin', LANG: 'en_US.UTF-8', TZ: ':UTC' };
