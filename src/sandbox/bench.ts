/**
 * Sandbox micro-benchmarks, for `npm run bench` (or `node --import tsx src/sandbox/bench.ts
 * <dataDir>`): start-to-first-output of `node -e "console.log(1)"` and `sh -c "echo 1"`
 * inside a sandbox beside a bare spawn of the same in the same run, freeze/thaw, kill.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { SandboxProvider, SandboxSpec } from './sandbox.js';

export interface Stats {
  p50: number;
  p99: number;
  n: number;
}

export interface SandboxBench {
  isolation: string;
  /** Milliseconds from create()+start() (or spawn) to the first byte of output. */
  firstOutput: Record<string, { sandbox: Stats; bare: Stats }>;
  /** Same, the first sandbox of a new tmpDir (creates its /tmp volume). */
  firstOutputNewTmp: Stats;
  freeze: Stats;
  thaw: Stats;
  kill: Stats;
  killFrozen: Stats;
}

const stats = (ms: number[]): Stats => {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number) =>
    Number((s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? Number.NaN).toFixed(2));
  return { p50: at(0.5), p99: at(0.99), n: s.length };
};

export async function benchSandbox(
  provider: SandboxProvider,
  workDir: string,
  rounds = 50,
): Promise<SandboxBench> {
  const codeDir = path.join(workDir, 'code');
  fs.mkdirSync(codeDir, { recursive: true });
  let tmpN = 0;
  // The host's node as the sandbox's language (/var/lang/bin/node).
  const langDir = path.join(workDir, 'lang');
  fs.mkdirSync(path.join(langDir, 'bin'), { recursive: true });
  fs.rmSync(path.join(langDir, 'bin', 'node'), { force: true });
  fs.symlinkSync(fs.realpathSync(process.execPath), path.join(langDir, 'bin', 'node'));
  const langBin = provider.layout({ codeDir, runtimeDir: codeDir, langDir, tmpDir: workDir }).langBin;
  const spec = (command: string[], tmpDir: string, onOutput: SandboxSpec['onOutput']): SandboxSpec => ({
    id: `bench-${tmpN}`,
    command,
    env: { PATH: `${langBin}:/usr/bin:/bin` },
    codeDir,
    runtimeDir: codeDir,
    langDir,
    tmpDir,
    tmpSizeMb: 64,
    memoryMb: 512,
    outbound: true,
    onOutput,
  });

  const sandboxFirstOutput = async (command: string[], tmpDir: string): Promise<number> => {
    const t0 = performance.now();
    let first = 0;
    const sb = provider.create(
      spec(command, tmpDir, () => {
        first ||= performance.now() - t0;
      }),
    );
    await sb.start();
    await sb.exited;
    return first;
  };
  const bareFirstOutput = (command: string[]): Promise<number> =>
    new Promise((resolve) => {
      const t0 = performance.now();
      let first = 0;
      const c = spawn(command[0] ?? '', command.slice(1), {
        env: { PATH: '/usr/bin:/bin' },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      c.stdout.on('data', () => {
        first ||= performance.now() - t0;
      });
      c.on('close', () => resolve(first));
    });

  const commands: Record<string, string[]> = {
    'node -e "console.log(1)"': [process.execPath, '-e', 'console.log(1)'],
    'sh -c "echo 1"': ['/bin/sh', '-c', 'echo 1'],
  };
  const sharedTmp = path.join(workDir, 'tmp-shared');
  const firstOutput: SandboxBench['firstOutput'] = {};
  for (const [name, command] of Object.entries(commands)) {
    const inside = name.startsWith('node') ? [`${langBin}/node`, ...command.slice(1)] : command;
    const s: number[] = [];
    const b: number[] = [];
    await sandboxFirstOutput(inside, sharedTmp); // warm-up
    for (let i = 0; i < rounds; i++) {
      // Interleaved, so both see the same machine state.
      s.push(await sandboxFirstOutput(inside, sharedTmp));
      b.push(await bareFirstOutput(command));
    }
    firstOutput[name] = { sandbox: stats(s), bare: stats(b) };
  }
  const newTmp: number[] = [];
  for (let i = 0; i < Math.min(rounds, 20); i++) {
    const tmpDir = path.join(workDir, `tmp-${tmpN++}`);
    newTmp.push(await sandboxFirstOutput(['/bin/sh', '-c', 'echo 1'], tmpDir));
    await provider.releaseTmp(tmpDir);
  }

  const idle = provider.create(
    spec(['/bin/sh', '-c', 'echo up; while :; do sleep 1; done'], sharedTmp, () => {}),
  );
  await idle.start();
  const freeze: number[] = [];
  const thaw: number[] = [];
  for (let i = 0; i < rounds * 4; i++) {
    let t = performance.now();
    await idle.freeze();
    freeze.push(performance.now() - t);
    t = performance.now();
    await idle.thaw();
    thaw.push(performance.now() - t);
  }
  await idle.kill();

  const kill: number[] = [];
  const killFrozen: number[] = [];
  for (let i = 0; i < Math.min(rounds, 30); i++) {
    for (const frozen of [false, true]) {
      const sb = provider.create(
        spec(['/bin/sh', '-c', 'sleep 1000 & sleep 1000 & while :; do sleep 1; done'], sharedTmp, () => {}),
      );
      await sb.start();
      if (frozen) await sb.freeze();
      const t = performance.now();
      await sb.kill();
      (frozen ? killFrozen : kill).push(performance.now() - t);
    }
  }
  await provider.releaseTmp(sharedTmp);
  return {
    isolation: provider.isolation,
    firstOutput,
    firstOutputNewTmp: stats(newTmp),
    freeze: stats(freeze),
    thaw: stats(thaw),
    kill: stats(kill),
    killFrozen: stats(killFrozen),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { createSandboxProvider } = await import('./index.js');
  const dataDir = path.resolve(process.argv[2] ?? './.lambent-bench');
  const provider = await createSandboxProvider({ dataDir, logger: { warn: (m) => console.warn(m) } });
  try {
    console.log(JSON.stringify(await benchSandbox(provider, path.join(dataDir, 'bench')), null, 2));
  } finally {
    await provider.close();
  }
}
