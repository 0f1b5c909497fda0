import { strict as assert } from 'node:assert';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, it } from 'node:test';
import { crc32, deflateRawSync } from 'node:zlib';
import { AwsError } from '../../../shared/errors.js';
import { ByteBudget, meter } from './byte-budget.js';
import { type RawEntry, rawZip, S_IFLNK, S_IFREG, yazlZip } from './zip-fixtures.js';
import { codeDigest, extractZip, inspectZip, type ZipLimits } from './zip-package.js';

const LIMITS: ZipLimits = { maxUnzippedBytes: 1024 * 1024 };
const UNZIP_MESSAGE = 'Could not unzip uploaded file. Please check your file, then try to upload again.';

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'lambent-zip-test-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A fresh workspace with a canary directory next to where we extract. */
async function workspace(): Promise<{ ws: string; dest: string; canary: string }> {
  const ws = await mkdtemp(join(root, 'ws-'));
  const canary = join(ws, 'canary');
  await mkdir(canary);
  await writeFile(join(canary, 'keep.txt'), 'untouched');
  return { ws, dest: join(ws, 'out'), canary };
}

/** Everything under `dir`, as relative paths (no symlinks followed). */
async function tree(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).sort();
}

/** The workspace holds the canary only: no output, no partial temp dir, nothing written out. */
async function assertNothingWritten(ws: string): Promise<void> {
  assert.deepEqual(await tree(ws), ['canary', 'canary/keep.txt']);
  assert.equal(await readFile(join(ws, 'canary/keep.txt'), 'utf8'), 'untouched');
}

async function rejectsWith(promise: Promise<unknown>, message: string | RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof AwsError, `expected an AwsError, got ${String(err)}`);
    assert.equal(err.code, 'InvalidParameterValueException');
    assert.equal(err.status, 400);
    assert.deepEqual(err.fields, { Type: 'User' });
    assert.equal(err.messageKey, 'message');
    if (typeof message === 'string') assert.equal(err.message, message);
    else assert.match(err.message, message);
    return true;
  });
}

/** Both entry points must refuse the archive, and extraction must leave no trace. */
async function assertRefused(zip: Buffer, message: string | RegExp = UNZIP_MESSAGE, limits = LIMITS) {
  await rejectsWith(inspectZip(zip, limits), message);
  const { ws, dest } = await workspace();
  await rejectsWith(extractZip(zip, dest, limits), message);
  assert.equal(existsSync(dest), false);
  await assertNothingWritten(ws);
}

describe('codeDigest', () => {
  it('is base64 SHA-256 and byte length, as Lambda reports CodeSha256 and CodeSize', async () => {
    const zip = await yazlZip([{ name: 'index.js', data: 'exports.handler = async () => 1;' }]);
    assert.deepEqual(codeDigest(zip), {
      codeSha256: createHash('sha256').update(zip).digest('base64'),
      codeSize: zip.length,
    });
  });
});

describe('well-formed packages', () => {
  it('extracts nested directories, keeps the executable bit, and counts what it inflated', async () => {
    const zip = await yazlZip([
      { name: 'index.js', data: 'exports.handler = 1;', mode: S_IFREG | 0o644 },
      { name: 'bootstrap', data: '#!/bin/sh\n', mode: S_IFREG | 0o755 },
      { name: 'lib/', mode: 0o040700 },
      { name: 'lib/deep/er/util.js', data: 'module.exports = 2;', mode: S_IFREG | 0o600 },
      { name: 'empty/' },
    ]);
    const { dest } = await workspace();
    const summary = await extractZip(zip, dest, LIMITS);
    const bytes = 'exports.handler = 1;'.length + '#!/bin/sh\n'.length + 'module.exports = 2;'.length;
    assert.deepEqual(summary, { files: 3, unzippedBytes: bytes });
    assert.deepEqual(await inspectZip(zip, LIMITS), summary);
    assert.deepEqual(await tree(dest), [
      'bootstrap',
      'empty',
      'index.js',
      'lib',
      'lib/deep',
      'lib/deep/er',
      'lib/deep/er/util.js',
    ]);
    assert.equal(await readFile(join(dest, 'lib/deep/er/util.js'), 'utf8'), 'module.exports = 2;');
    const mode = async (p: string) => (await stat(join(dest, p))).mode & 0o7777;
    assert.equal(await mode('bootstrap'), 0o755);
    assert.equal(await mode('index.js'), 0o644);
    assert.equal(await mode('lib/deep/er/util.js'), 0o644); // readable by the sandbox user
    assert.equal(await mode('lib'), 0o755);
    assert.equal(await mode('lib/deep'), 0o755);
    assert.equal(await mode('.'), 0o755);
  });

  it('reads zip64 and data descriptors (yazl streams and raw)', async () => {
    const data = randomBytes(5000);
    const zip = await yazlZip([
      { name: 'a.bin', data, stream: true, zip64: true },
      { name: 'b.txt', data: 'hello', stream: true },
      { name: 'c.txt', data: 'small', zip64: true },
    ]);
    const { dest } = await workspace();
    assert.deepEqual(await extractZip(zip, dest, LIMITS), { files: 3, unzippedBytes: 5010 });
    assert.deepEqual(await readFile(join(dest, 'a.bin')), data);
    const raw = rawZip([{ name: 'd.txt', data: 'described', dataDescriptor: true }]);
    assert.deepEqual(await inspectZip(raw, LIMITS), { files: 1, unzippedBytes: 9 });
  });

  it('treats a zip inside the zip as an ordinary file, never opened', async () => {
    const inner = rawZip([{ name: '../evil', data: 'x' }]); // hostile, but only as data
    const zip = await yazlZip([{ name: 'layer/inner.zip', data: inner }]);
    const { dest } = await workspace();
    await extractZip(zip, dest, LIMITS);
    assert.deepEqual(await readFile(join(dest, 'layer/inner.zip')), inner);
  });

  it('accepts UTF-8 names, stored entries, "./" prefixes and doubled slashes', async () => {
    const zip = rawZip([
      { name: './' },
      { name: 'données/é.txt', data: 'accent', method: 0 },
      { name: './a//b.txt', data: 'b' },
    ]);
    const { dest } = await workspace();
    await extractZip(zip, dest, LIMITS);
    assert.equal(await readFile(join(dest, 'données/é.txt'), 'utf8'), 'accent');
    assert.equal(await readFile(join(dest, 'a/b.txt'), 'utf8'), 'b');
  });

  it('lets a repeated file name win last, as unzip -o does', async () => {
    const zip = rawZip([
      { name: 'a.txt', data: 'first' },
      { name: 'a.txt', data: 'second' },
    ]);
    const { dest } = await workspace();
    await extractZip(zip, dest, LIMITS);
    assert.equal(await readFile(join(dest, 'a.txt'), 'utf8'), 'second');
  });

  it('refuses to extract over an existing directory, and leaves it alone', async () => {
    const zip = await yazlZip([{ name: 'a.txt', data: 'a' }]);
    const { ws, canary } = await workspace();
    await assert.rejects(extractZip(zip, canary, LIMITS), /already exists/);
    await assertNothingWritten(ws);
  });
});

describe('empty packages', () => {
  it('answers as Lambda does for an archive without entries, and for no bytes at all', async () => {
    const empty = await yazlZip([]);
    assert.equal(empty.length, 22);
    await assertRefused(empty, 'Uploaded file must be a non-empty zip');
    await assertRefused(Buffer.alloc(0), 'Uploaded file must be a non-empty zip');
  });
});

describe('corrupt packages', () => {
  it('refuses random bytes', async () => {
    await assertRefused(randomBytes(4096));
  });

  it('refuses a truncated archive', async () => {
    const zip = await yazlZip([{ name: 'a.bin', data: randomBytes(10_000) }]);
    await assertRefused(zip.subarray(0, zip.length - 30));
    await assertRefused(zip.subarray(0, zip.length / 2));
  });

  it('refuses a bad CRC-32, stored or deflated, after good files were written', async () => {
    for (const method of [0, 8] as const) {
      await assertRefused(
        rawZip([
          { name: 'good.txt', data: 'fine' },
          { name: 'bad.txt', data: 'flipped', method, crc: (crc32(Buffer.from('flipped')) ^ 1) >>> 0 },
        ]),
      );
    }
  });

  it('refuses deflate data that does not inflate', async () => {
    await assertRefused(rawZip([{ name: 'x', body: randomBytes(200), crc: 0, declaredSize: 1000 }]));
  });

  it('refuses encrypted entries', async () => {
    await assertRefused(rawZip([{ name: 'x', data: 'secret', flags: 0x0001 }]));
  });
});

describe('hostile names (zip slip)', () => {
  const outside = join(tmpdir(), `lambent-zip-slip-${process.pid}`);
  const names = [
    '../evil',
    'a/../../evil',
    outside,
    '..\\evil',
    'C:\\evil',
    'C:/evil',
    '\\\\srv\\evil',
    'a\0b',
    '',
  ];
  for (const name of names) {
    it(`refuses ${JSON.stringify(name)} and writes nothing`, async () => {
      await assertRefused(
        rawZip([
          { name: 'ok.txt', data: 'ok' },
          { name, data: 'pwned' },
        ]),
      );
      assert.equal(existsSync(outside), false);
    });
  }
});

describe('symlinks', () => {
  const link = (name: string, target: string): RawEntry => ({ name, data: target, mode: S_IFLNK | 0o777 });

  it('creates links that stay inside, after the files, and leaves them as links', async () => {
    const zip = rawZip([
      link('node_modules/.bin/tool', '../tool/cli.js'),
      { name: 'node_modules/tool/cli.js', data: 'cli', mode: S_IFREG | 0o755 },
      link('current', 'node_modules'),
    ]);
    const { dest } = await workspace();
    assert.deepEqual(await extractZip(zip, dest, LIMITS), {
      files: 3,
      unzippedBytes: '../tool/cli.js'.length + 3 + 'node_modules'.length,
    });
    assert.ok((await lstat(join(dest, 'node_modules/.bin/tool'))).isSymbolicLink());
    assert.equal(await readlink(join(dest, 'node_modules/.bin/tool')), '../tool/cli.js');
    assert.equal(await readFile(join(dest, 'node_modules/.bin/tool'), 'utf8'), 'cli');
    assert.equal(await readFile(join(dest, 'current/tool/cli.js'), 'utf8'), 'cli');
  });

  const escapes: Array<[string, RawEntry[]]> = [
    ['an absolute target', [link('passwd', '/etc/passwd')]],
    ['a climbing target', [link('x', '../../x')]],
    ['a target climbing from a subdirectory', [link('a/b/x', '../../../x')]],
    ['a climb through another link', [link('s', '.'), link('l', 's/x/../..')]],
    ['a loop', [link('a', 'b'), link('b', 'a')]],
  ];
  for (const [what, entries] of escapes) {
    it(`refuses ${what}`, async () => {
      await assertRefused(rawZip([{ name: 'index.js', data: 'x' }, ...entries]));
    });
  }

  it('refuses a write through a link (link first, or file first), even to an inside target', async () => {
    const { canary } = await workspace();
    for (const target of [canary, '../canary', '.']) {
      await assertRefused(rawZip([link('link', target), { name: 'link/pwned', data: 'x' }]));
      await assertRefused(rawZip([{ name: 'link/pwned', data: 'x' }, link('link', target)]));
    }
    assert.deepEqual(await tree(canary), ['keep.txt']);
  });

  it('refuses a name that is both a file and a directory', async () => {
    await assertRefused(rawZip([{ name: 'a', data: 'x' }, { name: 'a/' }]));
  });
});

describe('size limits', () => {
  const MiB = 1024 * 1024;
  let bomb: { body: Buffer; crc: number; size: number };
  before(() => {
    const zeros = Buffer.alloc(50 * MiB);
    bomb = { body: deflateRawSync(zeros, { level: 9 }), crc: crc32(zeros), size: zeros.length };
  });

  it('refuses a bomb (50 KB inflating to 50 MB) with the unzipped-size error, quickly', async () => {
    assert.ok(bomb.body.length < 100_000);
    const start = performance.now();
    await assertRefused(
      rawZip([{ name: 'zeros', body: bomb.body, crc: bomb.crc, declaredSize: bomb.size }]),
      `Unzipped size must be smaller than ${MiB} bytes`,
    );
    assert.ok(performance.now() - start < 1000);
  });

  it('catches a header that understates the size, without inflating the rest', async () => {
    const start = performance.now();
    await assertRefused(rawZip([{ name: 'zeros', body: bomb.body, crc: bomb.crc, declaredSize: 10 }]));
    assert.ok(performance.now() - start < 1000);
  });

  it('catches headers that lie either way, stored or deflated', async () => {
    for (const method of [0, 8] as const) {
      await assertRefused(rawZip([{ name: 'x', data: 'x'.repeat(100), method, declaredSize: 10 }]));
      await assertRefused(rawZip([{ name: 'x', data: 'x'.repeat(10), method, declaredSize: 100 }]));
    }
  });

  it('adds up all entries, and allows exactly the limit', async () => {
    const entries = [0, 1, 2].map((i) => ({ name: `f${i}`, data: Buffer.alloc(1000) }));
    assert.deepEqual(await inspectZip(rawZip(entries), { maxUnzippedBytes: 3000 }), {
      files: 3,
      unzippedBytes: 3000,
    });
    await assertRefused(rawZip(entries), 'Unzipped size must be smaller than 2999 bytes', {
      maxUnzippedBytes: 2999,
    });
  });

  it('never passes on a byte past the budget, whatever the headers said', async () => {
    const budget = new ByteBudget(10_000);
    let passed = 0;
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        passed += chunk.length;
        callback();
      },
    });
    const chunks = Array.from({ length: 100 }, () => Buffer.alloc(999));
    await rejectsWith(
      pipeline(Readable.from(chunks), meter(budget, 0), sink),
      /Unzipped size must be smaller than 10000/,
    );
    assert.equal(passed, 9990);
    assert.ok(budget.used <= budget.limit);
  });
});

describe('entry count', () => {
  it('refuses more entries than allowed', async () => {
    const entries = Array.from({ length: 20 }, (_, i) => ({ name: `f${i}`, data: 'x' }));
    await assertRefused(rawZip(entries), UNZIP_MESSAGE, { ...LIMITS, maxEntries: 10 });
    assert.equal((await inspectZip(rawZip(entries), { ...LIMITS, maxEntries: 20 })).files, 20);
  });

  it('refuses an end record claiming a huge directory before reading it', async () => {
    const start = performance.now();
    await assertRefused(rawZip([{ name: 'a', data: 'x' }], 65_535), UNZIP_MESSAGE, {
      ...LIMITS,
      maxEntries: 1000,
    });
    assert.ok(performance.now() - start < 500);
  });
});
