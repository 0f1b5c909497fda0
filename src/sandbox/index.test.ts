import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { createSandboxProvider } from './index.js';

const root = process.platform === 'linux' && process.geteuid?.() === 0;

describe('createSandboxProvider', () => {
  const withDataDir = async (fn: (dataDir: string) => Promise<void>) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lambent-provider-'));
    try {
      await fn(dir);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };

  it('falls back to plain processes with exactly one loud warning', async () => {
    await withDataDir(async (dataDir) => {
      const warnings: string[] = [];
      const provider = await createSandboxProvider({
        prefer: 'process',
        dataDir,
        logger: { warn: (m) => warnings.push(m) },
      });
      try {
        assert.equal(provider.isolation, 'process');
        assert.equal(warnings.length, 1);
        assert.match(warnings[0] ?? '', /ISOLATION REDUCED/);
        const d = provider.describe();
        assert.equal(d.isolation, 'process');
        assert.deepEqual(d.missing, ['process isolation was requested']);
      } finally {
        await provider.close();
      }
    });
  });

  it('uses Linux sandboxes where the host allows them, silently', {
    skip: root ? false : 'needs root on Linux',
  }, async () => {
    await withDataDir(async (dataDir) => {
      const warnings: string[] = [];
      const provider = await createSandboxProvider({ dataDir, logger: { warn: (m) => warnings.push(m) } });
      try {
        assert.equal(provider.isolation, 'linux');
        assert.deepEqual(warnings, []);
        const d = provider.describe();
        assert.deepEqual(d.missing, []);
        assert.ok(d.details.cgroups);
        assert.equal(provider.layout({ codeDir: '/x', runtimeDir: '/y', tmpDir: '/z' }).task, '/var/task');
      } finally {
        await provider.close();
      }
    });
  });
});
