/**
 * The `http` case's peers, tools that serve a Lambda handler over HTTP on a laptop:
 * serverless-offline (a Serverless Framework v3 project with one `httpApi` route) and
 * Architect's sandbox (an `app.arc` with one `@http` route). Neither is a dependency of
 * Lambent: the case installs them with npm into its scratch directory, pinned, and a peer
 * that cannot be installed or started becomes a note instead of a row.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { freePort, type ServerProcess, startCommandServer } from './children.js';

export type PeerName = 'serverless-offline' | 'architect-sandbox';

/**
 * Pinned: serverless-offline 13 is the last line for Serverless Framework v3 (14 needs v4,
 * which needs a login); @architect/sandbox 9 needs Node ≥ 22, so 8 on this Node 20.
 */
const PACKAGES: Record<PeerName, string[]> = {
  'serverless-offline': ['serverless@3.40.0', 'serverless-offline@13.10.1'],
  'architect-sandbox': ['@architect/sandbox@8.0.0'],
};

export const PEER_LABEL: Record<PeerName, string> = {
  'serverless-offline': 'peer: serverless-offline 13.10 (Serverless Framework 3.40, httpApi route)',
  'architect-sandbox': 'peer: @architect/sandbox 8.0 (app.arc @http route)',
};

/** Any AWS client a peer makes must not wait for instance metadata (seconds per request here). */
const PEER_ENV = {
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  AWS_REGION: 'us-east-1',
  AWS_EC2_METADATA_DISABLED: 'true',
  SLS_TELEMETRY_DISABLED: '1',
  SLS_NOTIFICATIONS_MODE: 'off',
  SLS_DEPRECATION_DISABLE: '*',
};

function run(
  command: string,
  args: string[],
  cwd: string,
  logFile: string,
  timeoutMs: number,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const out = fs.openSync(logFile, 'a');
    const child = spawn(command, args, { cwd, stdio: ['ignore', out, out] });
    fs.closeSync(out);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`${command} ${args.join(' ')} ended with ${signal ?? code} (see ${logFile})`));
    });
  });
}

/** Writes the peer's project (the same handler source) and installs its packages. */
export async function installPeer(
  name: PeerName,
  workDir: string,
  handlerSource: string,
): Promise<{ dir: string; seconds: number }> {
  const dir = path.join(workDir, 'peers', name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), '{"private":true}\n');
  if (name === 'serverless-offline') {
    fs.writeFileSync(path.join(dir, 'index.js'), handlerSource);
    fs.writeFileSync(
      path.join(dir, 'serverless.yml'),
      [
        'service: bench',
        "frameworkVersion: '3'",
        'provider:',
        '  name: aws',
        '  runtime: nodejs20.x',
        '  region: us-east-1',
        'plugins:',
        '  - serverless-offline',
        'functions:',
        '  hello:',
        '    handler: index.handler',
        '    events:',
        '      - httpApi:',
        '          method: GET',
        '          path: /hello',
        '',
      ].join('\n'),
    );
  } else {
    fs.mkdirSync(path.join(dir, 'src', 'http', 'get-hello'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'src', 'http', 'get-hello', 'index.js'), handlerSource);
    fs.writeFileSync(path.join(dir, 'app.arc'), '@app\nbench\n\n@http\nget /hello\n');
    fs.writeFileSync(
      path.join(dir, 'start.cjs'),
      "require('@architect/sandbox').start({ port: Number(process.argv[2]), quiet: true })" +
        '.catch((e) => { console.error(e); process.exit(1); });\n',
    );
  }
  const t0 = performance.now();
  await run(
    'npm',
    ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', ...PACKAGES[name]],
    dir,
    path.join(workDir, `${name}-install.log`),
    600_000,
  );
  return { dir, seconds: (performance.now() - t0) / 1000 };
}

/** Starts an installed peer on a free port; it serves `GET /hello`. */
export async function startPeer(name: PeerName, dir: string, workDir: string): Promise<ServerProcess> {
  const port = await freePort();
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', ...PEER_ENV };
  const logFile = path.join(workDir, `${name}.log`);
  if (name === 'serverless-offline') {
    const lambdaPort = await freePort();
    return startCommandServer({
      name,
      command: process.execPath,
      args: [
        'node_modules/serverless/bin/serverless.js',
        'offline',
        'start',
        '--host',
        '127.0.0.1',
        '--httpPort',
        String(port),
        '--lambdaPort',
        String(lambdaPort),
        '--noPrependStageInUrl',
      ],
      cwd: dir,
      env,
      port,
      logFile,
      timeoutMs: 120_000,
    });
  }
  return startCommandServer({
    name,
    command: process.execPath,
    args: ['start.cjs', String(port)],
    cwd: dir,
    env,
    port,
    logFile,
    timeoutMs: 120_000,
  });
}
