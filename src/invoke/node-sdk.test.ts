/**
 * The built-in SDK's set and its tree, from Lambent's real node_modules: the closure holds the
 * clients and what they need and nothing else; the tree is built once (hard links), found
 * ready after, and holds only the set.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { builtPackages, findNodeSdk, NODE_SDK_PACKAGES, nodeSdkTree, nodeSdkTreePath } from './node-sdk.js';

const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'lambent-sdk-test-'));
after(() => fs.rmSync(cache, { recursive: true, force: true }));

test('the set is the pinned clients and their dependency closure, nothing else of Lambent', () => {
  const sdk = findNodeSdk();
  assert.ok(sdk, '@aws-sdk/core is installed');
  const names = [...sdk.packages.keys()].map((rel) => rel.replace(/^.*\/node_modules\//, ''));
  for (const name of [
    '@aws-sdk/client-s3',
    '@aws-sdk/lib-dynamodb',
    '@aws-sdk/core',
    '@smithy/core',
    'tslib',
  ])
    assert.ok(names.includes(name), name);
  for (const name of ['zod', 'better-sqlite3', 'commander', 'yauzl', 'typescript', 'lambda-local'])
    assert.ok(!names.includes(name), name);
  assert.equal(sdk.versions['@aws-sdk/client-s3'], sdk.packages.get('@aws-sdk/client-s3'));
  // Every dependency of every member resolves inside the set, as Node would resolve it.
  for (const rel of sdk.packages.keys()) {
    const manifest = JSON.parse(fs.readFileSync(path.join(sdk.source, rel, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
    };
    for (const dep of Object.keys(manifest.dependencies ?? {})) {
      const candidates = [`${rel}/node_modules/${dep}`, dep];
      assert.ok(
        candidates.some((c) => sdk.packages.has(c)) ||
          [...sdk.packages.keys()].some((k) => k.endsWith(`/node_modules/${dep}`)),
        `${rel} needs ${dep}`,
      );
    }
  }
  assert.ok(Object.keys(sdk.versions).length <= NODE_SDK_PACKAGES.length + 1);
});

test('the tree is built once as hard links, holds only the set, and is found ready after', () => {
  const sdk = findNodeSdk();
  assert.ok(sdk);
  const dir = nodeSdkTree(sdk, cache);
  assert.equal(dir, nodeSdkTreePath(sdk, cache));
  const top = new Set([...sdk.packages.keys()].filter((rel) => !rel.includes('/node_modules/')));
  assert.deepEqual(builtPackages(dir), [...top].sort());
  // Hard links (same filesystem here): no copy of the ~30 MB.
  const file = path.join('@aws-sdk', 'client-s3', 'package.json');
  assert.equal(fs.statSync(path.join(dir, file)).ino, fs.statSync(path.join(sdk.source, file)).ino);
  // No package brings its own node_modules beyond the members nested there.
  assert.ok(!fs.existsSync(path.join(dir, '.bin')));
  assert.ok(!fs.existsSync(path.join(dir, 'zod')));
  // A second call (a restart) builds nothing: same directory, same inode.
  const ino = fs.statSync(dir).ino;
  const t0 = performance.now();
  assert.equal(nodeSdkTree(findNodeSdk() ?? sdk, cache), dir);
  assert.ok(performance.now() - t0 < 2_000);
  assert.equal(fs.statSync(dir).ino, ino);
  assert.deepEqual(
    fs.readdirSync(path.dirname(dir)).filter((n) => n.startsWith('.build-')),
    [],
    'no build directory left',
  );
});
