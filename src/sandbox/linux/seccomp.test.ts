/**
 * The BPF program builder, run through a classic-BPF interpreter of the instructions it uses
 * (the kernel's semantics: jumps are relative to the next instruction, ret ends the program).
 * The installed filter itself is exercised in the sandbox conformance suite and
 * test/sandbox-seccomp.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  buildSeccompFilter,
  CLONE_NAMESPACES,
  describeSeccomp,
  REFUSED,
  SECCOMP_ARCHES,
  SECCOMP_RET_ALLOW,
  SECCOMP_RET_ERRNO,
  SECCOMP_RET_KILL_PROCESS,
} from './seccomp.js';

const AUDIT_ARCH_I386 = 0x40000003;
const AUDIT_ARCH_ARM = 0x40000028;
const EPERM = SECCOMP_RET_ERRNO | 1;
const ENOSYS = SECCOMP_RET_ERRNO | 38;

/** struct seccomp_data in the given byte order. */
function seccompData(nr: number, arch: number, args: bigint[] = [], le = true): Buffer {
  const d = Buffer.alloc(64);
  if (le) {
    d.writeInt32LE(nr, 0);
    d.writeUInt32LE(arch, 4);
    for (const [i, a] of args.entries()) d.writeBigUInt64LE(a, 16 + 8 * i);
  } else {
    d.writeInt32BE(nr, 0);
    d.writeUInt32BE(arch, 4);
    for (const [i, a] of args.entries()) d.writeBigUInt64BE(a, 16 + 8 * i);
  }
  return d;
}

/** Runs a filter on one syscall; throws on an opcode it does not know or a fall off the end. */
function run(prog: Buffer, data: Buffer, le = true): number {
  const n = prog.length / 8;
  let a = 0;
  let pc = 0;
  let steps = 0;
  while (pc < n) {
    assert.ok(++steps <= n, 'backward jump'); // cBPF jumps only forward
    const o = pc * 8;
    const code = le ? prog.readUInt16LE(o) : prog.readUInt16BE(o);
    const jt = prog.readUInt8(o + 2);
    const jf = prog.readUInt8(o + 3);
    const k = le ? prog.readUInt32LE(o + 4) : prog.readUInt32BE(o + 4);
    pc++;
    switch (code) {
      case 0x20: // ld [k]
        assert.ok(k % 4 === 0 && k + 4 <= 64, `load at ${k}`);
        a = le ? data.readUInt32LE(k) : data.readUInt32BE(k);
        break;
      case 0x15: // jeq #k
        pc += a === k ? jt : jf;
        break;
      case 0x35: // jge #k
        pc += a >= k ? jt : jf;
        break;
      case 0x45: // jset #k
        pc += (a & k) !== 0 ? jt : jf;
        break;
      case 0x06: // ret #k
        return k;
      default:
        assert.fail(`unknown opcode 0x${code.toString(16)}`);
    }
  }
  assert.fail('fell off the end of the program');
}

for (const [arch, table] of Object.entries(SECCOMP_ARCHES)) {
  describe(`seccomp filter (${arch})`, () => {
    const prog = buildSeccompFilter(arch, 'LE');
    const native = table.auditArch;
    const call = (nr: number, args: bigint[] = []) => run(prog, seccompData(nr, native, args));

    test('is a whole number of instructions that the kernel accepts in size', () => {
      assert.equal(prog.length % 8, 0);
      assert.ok(prog.length / 8 <= 4096); // BPF_MAXINSNS
    });

    test('refuses every listed call with EPERM', () => {
      for (const name of REFUSED) assert.equal(call(table.numbers[name]), EPERM, name);
    });

    test('answers clone3 with ENOSYS, so libc falls back to clone', () => {
      assert.equal(call(table.numbers.clone3), ENOSYS);
    });

    test('refuses clone and unshare with a namespace flag, allows them without', () => {
      const SIGCHLD = 17n;
      const flags = {
        CLONE_NEWNS: 0x20000n,
        CLONE_NEWCGROUP: 0x02000000n,
        CLONE_NEWUTS: 0x04000000n,
        CLONE_NEWIPC: 0x08000000n,
        CLONE_NEWUSER: 0x10000000n,
        CLONE_NEWPID: 0x20000000n,
        CLONE_NEWNET: 0x40000000n,
      };
      for (const [name, f] of Object.entries(flags)) {
        assert.equal(call(table.numbers.clone, [f | SIGCHLD]), EPERM, `clone ${name}`);
        assert.equal(call(table.numbers.unshare, [f]), EPERM, `unshare ${name}`);
      }
      assert.equal(call(table.numbers.unshare, [0x80n]), EPERM, 'unshare CLONE_NEWTIME');
      // fork(), pthread_create() and unshare(CLONE_FILES | CLONE_FS) as glibc makes them.
      assert.equal(call(table.numbers.clone, [0x01200000n | SIGCHLD]), SECCOMP_RET_ALLOW);
      assert.equal(call(table.numbers.clone, [0x003d0f00n]), SECCOMP_RET_ALLOW);
      assert.equal(call(table.numbers.unshare, [0x600n]), SECCOMP_RET_ALLOW);
      // The kernel reads only the low 32 bits of the flags: high bits change nothing.
      assert.equal(call(table.numbers.clone, [(1n << 40n) | SIGCHLD]), SECCOMP_RET_ALLOW);
      assert.equal(call(table.numbers.clone, [(1n << 40n) | flags.CLONE_NEWUSER]), EPERM);
      assert.equal(Number(Object.values(flags).reduce((x, y) => x | y)), CLONE_NAMESPACES);
    });

    test('allows everything else, ptrace and the calls runtimes make', () => {
      const listed = new Set(Object.values(table.numbers));
      for (let nr = 0; nr < 500; nr++) {
        if (listed.has(nr)) continue;
        assert.equal(call(nr), SECCOMP_RET_ALLOW, `syscall ${nr}`);
      }
    });

    test('kills a call made through another ABI', () => {
      const other = arch === 'x64' ? AUDIT_ARCH_I386 : AUDIT_ARCH_ARM;
      for (const nr of [0, 1, 11, table.numbers.unshare, 500])
        assert.equal(run(prog, seccompData(nr, other)), SECCOMP_RET_KILL_PROCESS);
      if (table.x32) {
        // x32: same AUDIT_ARCH, __X32_SYSCALL_BIT in the number (x32's unshare is 0x40000000 + 272).
        assert.equal(call(0x40000000 + 272, [0x10000000n]), SECCOMP_RET_KILL_PROCESS);
        assert.equal(call(0x40000000), SECCOMP_RET_KILL_PROCESS);
      }
    });

    test('reads the flags from the right half on a big-endian host', () => {
      const be = buildSeccompFilter(arch, 'BE');
      const clone = (f: bigint) => run(be, seccompData(table.numbers.clone, native, [f], false), false);
      assert.equal(clone(0x10000000n | 17n), EPERM);
      assert.equal(clone(17n), SECCOMP_RET_ALLOW);
      assert.equal(run(be, seccompData(table.numbers.bpf, native, [], false), false), EPERM);
    });

    test('is described for the doctor', () => {
      const line = describeSeccomp(arch);
      assert.ok(line.includes(`EPERM for ${REFUSED.length} calls`), line);
      assert.ok(line.includes('unshare/clone with CLONE_NEW*'), line);
    });
  });
}

test('an unknown architecture has no filter', () => {
  assert.throws(() => buildSeccompFilter('mips'), /no seccomp table/);
  assert.match(describeSeccomp('mips'), /none/);
});
