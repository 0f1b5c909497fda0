/**
 * A function URL as a web page uses it: headless Chromium (Debian's `chromium`, driven by
 * playwright-core) loads a page from another origin, whose script calls the URL with `fetch`.
 * The browser, not the test, enforces CORS: a preflighted POST succeeds only if the URL's Cors
 * config answers it as AWS does, and a URL that does not allow the page's origin is refused by
 * the browser. Chromium resolves `*.localhost` to loopback itself, so the host-style URL that
 * CreateFunctionUrlConfig returns is used as it is.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import {
  AddPermissionCommand,
  CreateFunctionUrlConfigCommand,
  type CreateFunctionUrlConfigCommandInput,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import { type Browser, chromium } from 'playwright-core';
import { deployNode } from './support/functions.js';
import { removeDataDir, startServer, type TestServer } from './support/server.js';
import { systemTool } from './support/tools.js';

const browserTool = systemTool('Chromium', ['/usr/bin/chromium'], 'apt-get install chromium');

const HANDLER = `
exports.handler = async (event) => ({
  statusCode: 200,
  headers: { 'content-type': 'application/json', 'x-echo': 'yes' },
  body: JSON.stringify({ method: event.requestContext.http.method, body: event.body, custom: event.headers['x-custom'] }),
});
`;

/** What the page's script reports: the answer it could read, or the error fetch threw. */
interface PageResult {
  ok?: boolean;
  status?: number;
  echo?: string | null;
  body?: { method: string; body: string; custom: string };
  error?: string;
}

describe('function URLs from a browser', { skip: browserTool.skip }, () => {
  let server: TestServer;
  let lambda: LambdaClient;
  let page: http.Server;
  let origin = '';
  let browser: Browser;

  before(async () => {
    server = await startServer();
    lambda = server.lambda();
    // The page's own origin: another port, so every call to the function URL is cross-origin.
    page = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><title>app</title><p>app</p>');
    });
    await new Promise<void>((resolve) => page.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(page.address() as AddressInfo).port}`;
    browser = await chromium.launch({
      executablePath: browserTool.path,
      // As root, without the network this machine does not have (see the README).
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });
  after(async () => {
    await browser?.close();
    page?.close();
    lambda?.destroy();
    await server?.stop();
    if (server) removeDataDir(server.dataDir);
  });

  async function publicUrl(input: CreateFunctionUrlConfigCommandInput): Promise<string> {
    const out = await lambda.send(new CreateFunctionUrlConfigCommand(input));
    for (const [sid, action, extra] of [
      ['url', 'lambda:InvokeFunctionUrl', { FunctionUrlAuthType: 'NONE' as const }],
      ['url-invoke', 'lambda:InvokeFunction', { InvokedViaFunctionUrl: true }],
    ] as const) {
      await lambda.send(
        new AddPermissionCommand({
          FunctionName: input.FunctionName,
          StatementId: sid,
          Action: action,
          Principal: '*',
          ...extra,
        }),
      );
    }
    assert.match(out.FunctionUrl ?? '', /^http:\/\/[a-z0-9]{32}\.lambda-url\.us-east-1\.localhost:\d+\/$/);
    return out.FunctionUrl as string;
  }

  /** Opens the app page and runs a preflighted POST (a custom header, a JSON body) to `url`. */
  async function fetchFromPage(url: string): Promise<PageResult> {
    const tab = await browser.newPage();
    try {
      await tab.goto(`${origin}/`);
      return await tab.evaluate(async (target: string) => {
        try {
          const res = await fetch(`${target}items?x=1`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-custom': 'from-page' },
            body: JSON.stringify({ n: 1 }),
          });
          return { ok: res.ok, status: res.status, echo: res.headers.get('x-echo'), body: await res.json() };
        } catch (err) {
          return { error: String(err) };
        }
      }, url);
    } finally {
      await tab.close();
    }
  }

  test('a preflighted cross-origin POST reaches the function and the page reads the answer', {
    timeout: 120_000,
  }, async () => {
    await deployNode(lambda, 'browser-cors', HANDLER);
    const url = await publicUrl({
      FunctionName: 'browser-cors',
      AuthType: 'NONE',
      Cors: {
        AllowOrigins: [origin],
        AllowMethods: ['POST'],
        AllowHeaders: ['content-type', 'x-custom'],
        ExposeHeaders: ['x-echo'],
        MaxAge: 60,
      },
    });
    const result = await fetchFromPage(url);
    assert.equal(result.error, undefined, `the browser refused: ${result.error}`);
    assert.equal(result.status, 200);
    assert.equal(result.echo, 'yes', 'an exposed header is readable by the page');
    assert.deepEqual(result.body, { method: 'POST', body: '{"n":1}', custom: 'from-page' });
  });

  test('a URL that does not allow the page origin is refused by the browser', {
    timeout: 120_000,
  }, async () => {
    await deployNode(lambda, 'browser-other', HANDLER);
    const url = await publicUrl({
      FunctionName: 'browser-other',
      AuthType: 'NONE',
      Cors: {
        AllowOrigins: ['https://elsewhere.example'],
        AllowMethods: ['POST'],
        AllowHeaders: ['x-custom'],
      },
    });
    const result = await fetchFromPage(url);
    assert.match(result.error ?? '', /TypeError: Failed to fetch/);
  });
});
