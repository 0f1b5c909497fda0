import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { entryKind, fileMode, parseLinkTarget, Rejected, safeEntryPath, TreeModel } from './entry-rules.js';

describe('safeEntryPath', () => {
  it('normalises harmless spellings', () => {
    assert.equal(safeEntryPath('a/b.js'), 'a/b.js');
    assert.equal(safeEntryPath('./a//b/'), 'a/b');
    assert.equal(safeEntryPath('./'), '');
    assert.equal(safeEntryPath('a\\b.js'), 'a/b.js');
    assert.equal(safeEntryPath('..a/b..'), '..a/b..'); // dots inside a name are just a name
  });

  it('refuses absolute, climbing, NUL, empty and over-long names', () => {
    const bad = [
      '',
      '/etc/x',
      '\\x',
      '\\\\srv\\x',
      'C:\\x',
      'c:x',
      '../x',
      'a/../../x',
      'a/..',
      '..\\x',
      'a\0b',
    ];
    for (const name of bad) assert.throws(() => safeEntryPath(name), Rejected, JSON.stringify(name));
    assert.throws(() => safeEntryPath(`${'a'.repeat(256)}/x`), Rejected);
    assert.throws(() => safeEntryPath(Array(2100).fill('ab').join('/')), Rejected);
  });
});

describe('entryKind and fileMode', () => {
  it('reads kind from the trailing slash and the unix type bits', () => {
    assert.equal(entryKind('d/', 0), 'dir');
    assert.equal(entryKind('l', (0o120777 << 16) >>> 0), 'symlink');
    assert.equal(entryKind('f', (0o100644 << 16) >>> 0), 'file');
    assert.equal(entryKind('f', 0x20), 'file'); // MS-DOS archive bit, no unix mode
  });

  it('keeps only the execute bit', () => {
    assert.equal(fileMode((0o100755 << 16) >>> 0), 0o755);
    assert.equal(fileMode((0o104700 << 16) >>> 0), 0o755); // setuid dropped
    assert.equal(fileMode((0o100600 << 16) >>> 0), 0o644); // made readable
    assert.equal(fileMode(0), 0o644);
  });
});

describe('TreeModel', () => {
  function link(model: TreeModel, path: string, target: string) {
    const node = model.add(path, 'symlink');
    node.target = parseLinkTarget(target);
    return node;
  }

  it('refuses entries below a file or a symlink, in either order', () => {
    const m1 = new TreeModel();
    m1.add('link', 'symlink');
    assert.throws(() => m1.add('link/x', 'file'), Rejected);
    const m2 = new TreeModel();
    m2.add('link/x', 'file');
    assert.throws(() => m2.add('link', 'symlink'), Rejected);
    const m3 = new TreeModel();
    m3.add('f', 'file');
    assert.throws(() => m3.add('f', 'dir'), Rejected);
  });

  it('allows a repeated file or directory, not a repeated symlink', () => {
    const m = new TreeModel();
    m.add('a/b', 'file');
    m.add('a/b', 'file');
    m.add('a', 'dir');
    m.add('l', 'symlink');
    assert.throws(() => m.add('l', 'symlink'), Rejected);
  });

  it('resolves links physically, through other links', () => {
    const m = new TreeModel();
    m.add('lib/real.js', 'file');
    const ok = link(m, 'node_modules/.bin/tool', '../../lib/real.js');
    const out = link(m, 'a/up', '../../x');
    const s = link(m, 's', '.');
    const sneaky = link(m, 'l', 's/x/../..'); // lexically '.', physically the root's parent
    const dangling = link(m, 'd', 'nothing/here');
    const climbMissing = link(m, 'm', 'nothing/../..');
    assert.equal(m.linkStaysInside(ok), true);
    assert.equal(m.linkStaysInside(out), false);
    assert.equal(m.linkStaysInside(s), true);
    assert.equal(m.linkStaysInside(sneaky), false);
    assert.equal(m.linkStaysInside(dangling), true);
    assert.equal(m.linkStaysInside(climbMissing), false);
  });

  it('refuses link loops', () => {
    const m = new TreeModel();
    const a = link(m, 'a', 'b');
    link(m, 'b', 'a');
    assert.equal(m.linkStaysInside(a), false);
  });

  it('lists every directory, parents first', () => {
    const m = new TreeModel();
    m.add('a/b/c.js', 'file');
    m.add('d', 'dir'); // paths come normalised from safeEntryPath
    m.add('l', 'symlink');
    const dirs = [...m.directories()];
    assert.deepEqual([...dirs].sort(), ['a', 'a/b', 'd']);
    assert.ok(dirs.indexOf('a') < dirs.indexOf('a/b'));
  });

  it('refuses absolute and empty link targets', () => {
    assert.throws(() => parseLinkTarget('/etc/passwd'), Rejected);
    assert.throws(() => parseLinkTarget(''), Rejected);
  });
});
