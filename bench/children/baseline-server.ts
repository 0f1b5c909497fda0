/**
 * The baseline: a bare Node HTTP server in its own process that calls the same handler file
 * in-process: no SigV4 verification, no routing, no sandbox, no logs. Requests are the very
 * same bytes the load generator sends to Lambent (signed, to the same path), so the client's
 * cost is identical and the difference is Lambent's.
 *
 * RequestResponse: parse the JSON payload, await the handler, answer 200 with its JSON.
 * Event (`x-amz-invocation-type: Event`): write the payload to SQLite (WAL, synchronous=NORMAL,
 * the durability Lambent promises) before answering 202, then run it in-process from that
 * table with the same parallelism Lambent uses, and delete the row; `console.log` lines of
 * the handler are kept in memory and served at GET /_bench/lines.
 *
 * HTTP (`--http` first): what a function URL or an HTTP API does for the handler, done
 * in-process: build a payload 2.0 event from the request, await the handler, answer with its
 * `statusCode`, `headers` and `body` (base64-decoded when `isBase64Encoded`). The `http` case's
 * bare-server row.
 *
 * argv: <handler file> [<sqlite file> <async parallelism>] | --http <handler file>
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import Database from 'better-sqlite3';

const require = createRequire(import.meta.url);
const httpMode = process.argv[2] === '--http';
const [handlerFile, dbFile, parallelism = '16'] = process.argv.slice(httpMode ? 3 : 2);
if (!handlerFile)
  throw new Error('usage: baseline-server <handler.js> [<db> <parallelism>] | --http <handler.js>');
const handler = (require(handlerFile) as { handler: (e: unknown, ctx: unknown) => Promise<unknown> }).handler;

const lines: string[] = [];
const log = console.log;
console.log = (...args: unknown[]) => {
  lines.push(args.map(String).join(' '));
};

const db = dbFile ? new Database(dbFile) : undefined;
db?.pragma('journal_mode = WAL');
db?.pragma('synchronous = NORMAL');
db?.exec(
  'CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY AUTOINCREMENT, request_id TEXT, payload BLOB)',
);
const insert = db?.prepare('INSERT INTO events (request_id, payload) VALUES (?, ?)');
const take = db?.prepare('SELECT id, payload FROM events WHERE id > ? ORDER BY id LIMIT ?');
const remove = db?.prepare('DELETE FROM events WHERE id = ?');
let running = 0;
let cursor = 0;
const limit = Number(parallelism);

function pump(): void {
  if (!take || !remove) return;
  const free = limit - running;
  if (free <= 0) return;
  for (const row of take.all(cursor, free) as Array<{ id: number; payload: Buffer }>) {
    cursor = row.id;
    running++;
    handler(JSON.parse(row.payload.toString('utf8')), {})
      .catch(() => undefined)
      .finally(() => {
        remove.run(row.id);
        running--;
        setImmediate(pump);
      });
  }
}

const server = http.createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
  if (req.method === 'GET' && req.url === '/_bench/lines') {
    const body = JSON.stringify({ lines, pending: running });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const payload = Buffer.concat(chunks);
    const requestId = randomUUID();
    if (req.headers['x-amz-invocation-type'] === 'Event' && insert) {
      insert.run(requestId, payload);
      setImmediate(pump);
      res.writeHead(202, { 'x-amzn-requestid': requestId, 'content-length': '0' });
      res.end();
      return;
    }
    if (httpMode) {
      serveHttp(req, res, payload, requestId);
      return;
    }
    const event = payload.length ? JSON.parse(payload.toString('utf8')) : {};
    handler(event, { awsRequestId: requestId }).then(
      (result) => {
        const body = Buffer.from(JSON.stringify(result ?? null));
        res.writeHead(200, {
          'content-type': 'application/json',
          'x-amzn-requestid': requestId,
          'x-amz-executed-version': '$LATEST',
          'content-length': String(body.length),
        });
        res.end(body);
      },
      (err: Error) => {
        const body = JSON.stringify({ errorType: err.name, errorMessage: err.message });
        res.writeHead(200, {
          'x-amz-function-error': 'Unhandled',
          'content-length': Buffer.byteLength(body),
        });
        res.end(body);
      },
    );
  });
});
interface HttpResult {
  statusCode?: number;
  headers?: Record<string, string>;
  cookies?: string[];
  body?: string;
  isBase64Encoded?: boolean;
}

/** The payload 2.0 event a function URL builds, and its answer, without any gateway. */
function serveHttp(req: http.IncomingMessage, res: http.ServerResponse, payload: Buffer, requestId: string) {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const rawPath = q < 0 ? url : url.slice(0, q);
  const rawQueryString = q < 0 ? '' : url.slice(q + 1);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = String(v);
  const queryStringParameters: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(rawQueryString))
    queryStringParameters[k] = k in queryStringParameters ? `${queryStringParameters[k]},${v}` : v;
  const now = Date.now();
  const event = {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString,
    headers,
    ...(rawQueryString ? { queryStringParameters } : {}),
    requestContext: {
      accountId: 'anonymous',
      apiId: 'baseline',
      domainName: headers.host ?? '',
      http: {
        method: req.method ?? 'GET',
        path: rawPath,
        protocol: 'HTTP/1.1',
        sourceIp: req.socket.remoteAddress ?? '',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey: '$default',
      stage: '$default',
      time: new Date(now).toISOString(),
      timeEpoch: now,
    },
    ...(payload.length ? { body: payload.toString('utf8') } : {}),
    isBase64Encoded: false,
  };
  handler(event, { awsRequestId: requestId }).then(
    (out) => {
      const r = (out ?? {}) as HttpResult;
      const body =
        r.body === undefined ? Buffer.alloc(0) : Buffer.from(r.body, r.isBase64Encoded ? 'base64' : 'utf8');
      res.writeHead(r.statusCode ?? 200, {
        'content-type': 'application/json',
        ...r.headers,
        ...(r.cookies?.length ? { 'set-cookie': r.cookies } : {}),
        'x-amzn-requestid': requestId,
        'content-length': String(body.length),
      });
      res.end(body);
    },
    () => {
      const body = '{"Message":"Internal Server Error"}';
      res.writeHead(502, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    },
  );
}

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.send?.({ ready: true, url: `http://127.0.0.1:${port}` });
});
process.on('disconnect', () => {
  log('baseline server: parent gone');
  process.exit(0);
});
process.on('message', (msg: { stop?: boolean }) => {
  if (msg.stop) process.exit(0);
});
