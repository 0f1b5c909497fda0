/**
 * The README's commands, run as a newcomer runs them: the blocks marked
 * `<!-- readme-test: NAME -->` are read from README.md and run by bash as written. Two things
 * differ, and only these: `npm install` is not run again (the suite runs after it), and the
 * server listens on a free port with its state in a temporary directory (LAMBENT_PORT,
 * LAMBENT_DATA_DIR), so `127.0.0.1:4566` in the blocks is replaced by that address. The
 * server is stopped the way the README says, Ctrl-C: SIGINT to its whole process group, as a
 * terminal sends it.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { awsCliTool } from './support/aws-cli.js';
import { exited, repoRoot } from './support/cli.js';
import { systemTool } from './support/tools.js';

const run = promisify(execFile);
const README = fs.readFileSync(path.join(repoRoot(), 'README.md'), 'utf8');

/** The shell block that follows `<!-- readme-test: name -->`. */
function block(name: string): string {
  const m = new RegExp(`<!-- readme-test: ${name} -->\\s*\`\`\`sh\\n([\\s\\S]*?)\`\`\``).exec(README);
  if (!m?.[1]) throw new Error(`README.md has no block marked readme-test: ${name}`);
  return m[1];
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

const cli = awsCliTool();
const zip = systemTool('zip', ['/usr/bin/zip'], "Debian's zip");
/** AWS CLI v1, for the README's v1 block: LAMBENT_AWS_CLI_V1, or an `aws` on PATH that is v1. */
async function findCliV1(): Promise<string | undefined> {
  const candidates = [
    process.env.LAMBENT_AWS_CLI_V1,
    ...(process.env.PATH ?? '').split(':').map((d) => path.join(d, 'aws')),
  ];
  for (const c of candidates) {
    if (!c || !fs.existsSync(c)) continue;
    const out = await run(c, ['--version']).catch(() => undefined);
    if (out && /^aws-cli\/1\./.test(`${out.stdout}${out.stderr}`)) return c;
  }
  return undefined;
}

describe('README', { skip: cli.skip || zip.skip }, () => {
  let server: ChildProcess;
  let stderr = '';
  let port: number;
  let dataDir: string;
  let work: string;
  /** Runs one README block with bash in the scratch directory, the given `aws` first on PATH. */
  const shell = async (name: string, aws: string): Promise<string> => {
    // The blocks after the first run in the same shell as the first: its exports hold.
    const exports =
      name === 'client'
        ? ''
        : block('client')
            .split('\n')
            .filter((l) => l.startsWith('export '))
            .join('\n');
    const script = `${exports}\n${block(name)}`.replaceAll('127.0.0.1:4566', `127.0.0.1:${port}`);
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'lambent-readme-bin-'));
    fs.symlinkSync(aws, path.join(bin, 'aws'));
    try {
      const { stdout } = await run(
        'bash',
        ['-eo', 'pipefail', '-c', `E=http://127.0.0.1:${port}\n${script}`],
        {
          cwd: work,
          env: { PATH: `${bin}:/usr/bin:/bin`, HOME: work, AWS_PAGER: '' },
          maxBuffer: 16 * 1024 * 1024,
        },
      );
      return stdout;
    } finally {
      fs.rmSync(bin, { recursive: true, force: true });
    }
  };

  before(async () => {
    port = await freePort();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lambent-readme-data-'));
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'lambent-readme-work-'));
    const lines = block('server')
      .split('\n')
      .map((l) => l.replace(/#.*$/, '').trim())
      .filter(Boolean);
    assert.deepEqual(lines, ['npm install', 'npx lambent up'], 'the server block the test knows how to run');
    // detached: its own process group, which the Ctrl-C below signals as a terminal does.
    server = spawn('bash', ['-c', 'npx lambent up'], {
      cwd: repoRoot(),
      detached: true,
      env: { ...process.env, LAMBENT_PORT: String(port), LAMBENT_DATA_DIR: dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    server.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    let out = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ready line: ${stderr}`)), 60_000);
      server.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes(`Lambent ready on http://127.0.0.1:${port}`)) {
          clearTimeout(timer);
          resolve();
        }
      });
      server.on('exit', (code) => reject(new Error(`lambent up exited with ${code}: ${stderr}`)));
    });
  });

  after(async () => {
    if (server.exitCode === null && server.signalCode === null && server.pid) {
      process.kill(-server.pid, 'SIGKILL');
      await exited(server);
    }
    fs.rmSync(work, { recursive: true, force: true });
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test('npx lambent doctor says which isolation functions get', async () => {
    const script = block('doctor');
    const { stdout } = await run('bash', ['-c', script], { cwd: repoRoot() }).catch(
      (e: { stdout: string; code: number }) => ({ stdout: e.stdout }),
    );
    assert.match(stdout, /^isolation: /m);
  });

  test('Quick start with the AWS CLI v2: deploy, invoke, logs, list, update, layer', async () => {
    const stdout = await shell('client', cli.path as string);
    assert.match(stdout, /\{"hello":\s*"world"\}/);
    assert.match(stdout, /START RequestId: /);
    assert.match(stdout, /REPORT RequestId: /);
    assert.match(stdout, /"FunctionName": "hello"/);
    assert.match(stdout, /"MemorySize": 256/);
    assert.match(stdout, /"LayerVersionArn": "arn:aws:lambda:us-east-1:000000000000:layer:deps:1"/);
  });

  test('the AWS CLI v1 forms', async (t) => {
    const v1 = await findCliV1();
    if (!v1) return t.skip('no AWS CLI v1 installed (LAMBENT_AWS_CLI_V1 names one)');
    const stdout = await shell('client-v1', v1);
    assert.match(stdout, /\{"hello":\s*"world"\}/);
    assert.match(stdout, /"message": "START RequestId: /);
  });

  test('HTTP APIs: quick create, permission, both invoke URL forms', async () => {
    const stdout = await shell('http-api', cli.path as string);
    // `hello` answers a bare value; payload 2.0 makes it 200 JSON (name is absent: `{}`).
    assert.match(stdout, /\{\}\{\}\s*$/, stdout);
    assert.doesNotMatch(stdout, /Internal Server Error|Not Found/);
  });

  test('cleanup deletes the function', async () => {
    await shell('cleanup', cli.path as string);
    const list = await shell('cleanup', cli.path as string).catch((e: { stderr: string }) => e.stderr);
    assert.match(list, /ResourceNotFoundException/);
  });

  test('Ctrl-C stops the server quietly and completely', async () => {
    process.kill(-(server.pid as number), 'SIGINT');
    // npm (npx) passes the signal on, waits for lambent, then ends by the same signal.
    const { code, signal } = await exited(server);
    assert.ok(code === 0 || signal === 'SIGINT', `exit ${code} ${signal}: ${stderr}`);
    assert.doesNotMatch(stderr, /Traceback|KeyboardInterrupt|Error:/, stderr);
    await assert.rejects(fetch(`http://127.0.0.1:${port}/_lambent/health`), 'nothing listens any more');
  });
});
