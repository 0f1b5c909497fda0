import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkRequirements } from './requirements.js';

test('doctor checks the Node version, the SQLite binding and the sandbox tools', () => {
  const byName = new Map(checkRequirements().map((r) => [r.what, r]));
  for (const name of [
    'node',
    'better-sqlite3',
    'perl',
    'mount',
    'mkfs.ext4',
    'loop devices',
    'python3',
    'make',
    'g++',
  ])
    assert.ok(byName.has(name), name);
  // This process runs on a supported Node and has loaded better-sqlite3's binding to test at all.
  assert.equal(byName.get('node')?.ok, true);
  assert.match(byName.get('better-sqlite3')?.detail ?? '', /native binding loads/);
  for (const r of byName.values()) assert.ok(r.detail.length > 0, r.what);
});
