/**
 * The sandbox's seccomp-BPF filter, built here and installed by the launcher (drop(), after
 * no_new_privs and before the command's exec; pid 1, the command and the relay all carry it,
 * and every child inherits it).
 *
 * What it refuses, and why. A function runs as an unprivileged uid, so most privileged calls
 * already fail; the exception that matters is the user namespace: `unshare -U -r` hands a
 * process a full capability set inside the new namespace, and with it mount (tmpfs, cgroupfs),
 * netfilter, and every other namespace — a large kernel attack surface no function needs and
 * that Lambda does not expose. So the filter refuses:
 *   - new namespaces: unshare and clone with any CLONE_NEW* flag, setns; clone3 gets ENOSYS
 *     (its flags are in memory, out of a filter's reach), and libc falls back to clone, as
 *     it does under Docker's and runc's profiles;
 *   - the mount API (mount, umount2, pivot_root, the fd-based open_tree/move_mount/fs*);
 *   - calls that reach kernel subsystems a function has no use for and that carry a history
 *     of local privilege escalations: keyrings (also item 8: keys outlive a sandbox and
 *     follow the uid), bpf, perf_event_open, userfaultfd, io_uring (Fargate and Docker refuse
 *     it too; libuv falls back to its thread pool), modules, kexec, reboot, swap, acct,
 *     quotas, lookup_dcookie, open_by_handle_at.
 * Each answers EPERM (ENOSYS for clone3), not a kill, so that runtimes which probe degrade
 * gracefully. Another ABI on the same kernel (i386 or x32 on x86_64, arm32 on arm64) has
 * other numbers and would slip past the list: a call through one kills the process.
 *
 * ptrace stays allowed: AWS documents that Lambda filters syscalls with seccomp-bpf but not
 * which ones, and within a sandbox a function can only trace its own processes (other
 * sandboxes have other uids and pid namespaces; pid 1 and the relay dropped from root, so
 * the kernel marks them non-dumpable).
 *
 * Cost: the kernel (5.11+) learns which calls the filter allows whatever their arguments and
 * skips it for those; the rest walk a short list.
 */
import os from 'node:os';

/** AUDIT_ARCH_* of <linux/audit.h>: the architecture a syscall was made with. */
const AUDIT_ARCH_X86_64 = 0xc000003e;
const AUDIT_ARCH_AARCH64 = 0xc00000b7;
/** x32 system calls carry this bit in their number on x86_64. */
const X32_SYSCALL_BIT = 0x4000_0000;

/** Syscalls refused with EPERM, by name; numbers per architecture below. */
export const REFUSED = [
  'setns',
  'mount',
  'umount2',
  'pivot_root',
  'open_tree',
  'move_mount',
  'fsopen',
  'fsconfig',
  'fsmount',
  'fspick',
  'mount_setattr',
  'open_tree_attr',
  'keyctl',
  'add_key',
  'request_key',
  'bpf',
  'perf_event_open',
  'userfaultfd',
  'io_uring_setup',
  'io_uring_enter',
  'io_uring_register',
  'init_module',
  'finit_module',
  'delete_module',
  'kexec_load',
  'kexec_file_load',
  'reboot',
  'swapon',
  'swapoff',
  'acct',
  'quotactl',
  'quotactl_fd',
  'lookup_dcookie',
  'open_by_handle_at',
] as const;

type Named = (typeof REFUSED)[number] | 'clone' | 'clone3' | 'unshare';

export interface SeccompArch {
  auditArch: number;
  /** x86_64: refuse x32 calls (same AUDIT_ARCH, numbers with X32_SYSCALL_BIT). */
  x32: boolean;
  numbers: Record<Named, number>;
}

/**
 * By `process.arch` (checked against <asm/unistd_64.h> and <asm-generic/unistd.h>; the
 * calls from fsopen on have the same number everywhere).
 */
export const SECCOMP_ARCHES: Record<string, SeccompArch> = {
  x64: {
    auditArch: AUDIT_ARCH_X86_64,
    x32: true,
    numbers: {
      clone: 56,
      clone3: 435,
      unshare: 272,
      setns: 308,
      mount: 165,
      umount2: 166,
      pivot_root: 155,
      open_tree: 428,
      move_mount: 429,
      fsopen: 430,
      fsconfig: 431,
      fsmount: 432,
      fspick: 433,
      mount_setattr: 442,
      open_tree_attr: 467,
      keyctl: 250,
      add_key: 248,
      request_key: 249,
      bpf: 321,
      perf_event_open: 298,
      userfaultfd: 323,
      io_uring_setup: 425,
      io_uring_enter: 426,
      io_uring_register: 427,
      init_module: 175,
      finit_module: 313,
      delete_module: 176,
      kexec_load: 246,
      kexec_file_load: 320,
      reboot: 169,
      swapon: 167,
      swapoff: 168,
      acct: 163,
      quotactl: 179,
      quotactl_fd: 443,
      lookup_dcookie: 212,
      open_by_handle_at: 304,
    },
  },
  arm64: {
    auditArch: AUDIT_ARCH_AARCH64,
    x32: false,
    numbers: {
      clone: 220,
      clone3: 435,
      unshare: 97,
      setns: 268,
      mount: 40,
      umount2: 39,
      pivot_root: 41,
      open_tree: 428,
      move_mount: 429,
      fsopen: 430,
      fsconfig: 431,
      fsmount: 432,
      fspick: 433,
      mount_setattr: 442,
      open_tree_attr: 467,
      keyctl: 219,
      add_key: 217,
      request_key: 218,
      bpf: 280,
      perf_event_open: 241,
      userfaultfd: 282,
      io_uring_setup: 425,
      io_uring_enter: 426,
      io_uring_register: 427,
      init_module: 105,
      finit_module: 273,
      delete_module: 106,
      kexec_load: 104,
      kexec_file_load: 294,
      reboot: 142,
      swapon: 224,
      swapoff: 225,
      acct: 89,
      quotactl: 60,
      quotactl_fd: 443,
      lookup_dcookie: 18,
      open_by_handle_at: 265,
    },
  },
};

/** CLONE_NEW{NS,CGROUP,UTS,IPC,USER,PID,NET}: clone's namespace flags (its low byte is the exit signal). */
export const CLONE_NAMESPACES =
  0x0002_0000 | 0x0200_0000 | 0x0400_0000 | 0x0800_0000 | 0x1000_0000 | 0x2000_0000 | 0x4000_0000;
/** unshare also takes CLONE_NEWTIME (0x80). */
export const UNSHARE_NAMESPACES = CLONE_NAMESPACES | 0x80;

const EPERM = 1;
const ENOSYS = 38;
export const SECCOMP_RET_KILL_PROCESS = 0x8000_0000;
export const SECCOMP_RET_ERRNO = 0x0005_0000;
export const SECCOMP_RET_ALLOW = 0x7fff_0000;

// Classic BPF opcodes (<linux/filter.h>).
const LD_W_ABS = 0x00 | 0x00 | 0x20;
const JMP_JEQ_K = 0x05 | 0x10;
const JMP_JGE_K = 0x05 | 0x30;
const JMP_JSET_K = 0x05 | 0x40;
const RET_K = 0x06;

// struct seccomp_data: int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6].
const OFF_NR = 0;
const OFF_ARCH = 4;
const OFF_ARGS = 16;

type Target = number | string;
interface Insn {
  code: number;
  k: number;
  jt?: Target;
  jf?: Target;
  label?: string;
}

/**
 * The filter for `arch` (a `process.arch`) as the bytes of a `struct sock_filter[]` in this
 * host's byte order, ready for prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER).
 */
export function buildSeccompFilter(arch: string, endianness: 'LE' | 'BE' = os.endianness()): Buffer {
  const a = SECCOMP_ARCHES[arch];
  if (!a) throw new Error(`no seccomp table for ${arch}`);
  // The low 32 bits of args[0]: the kernel reads only those of clone's and unshare's flags.
  const arg0Low = OFF_ARGS + (endianness === 'LE' ? 0 : 4);
  const p: Insn[] = [
    { code: LD_W_ABS, k: OFF_ARCH },
    { code: JMP_JEQ_K, k: a.auditArch, jt: 0, jf: 'kill' },
    { code: LD_W_ABS, k: OFF_NR },
  ];
  if (a.x32) p.push({ code: JMP_JGE_K, k: X32_SYSCALL_BIT, jt: 'kill', jf: 0 });
  for (const name of REFUSED) p.push({ code: JMP_JEQ_K, k: a.numbers[name], jt: 'eperm', jf: 0 });
  p.push(
    { code: JMP_JEQ_K, k: a.numbers.clone3, jt: 'enosys', jf: 0 },
    { code: JMP_JEQ_K, k: a.numbers.clone, jt: 'clone', jf: 0 },
    { code: JMP_JEQ_K, k: a.numbers.unshare, jt: 'unshare', jf: 0 },
    { code: RET_K, k: SECCOMP_RET_ALLOW },
    { label: 'clone', code: LD_W_ABS, k: arg0Low },
    { code: JMP_JSET_K, k: CLONE_NAMESPACES, jt: 'eperm', jf: 0 },
    { code: RET_K, k: SECCOMP_RET_ALLOW },
    { label: 'unshare', code: LD_W_ABS, k: arg0Low },
    { code: JMP_JSET_K, k: UNSHARE_NAMESPACES, jt: 'eperm', jf: 0 },
    { code: RET_K, k: SECCOMP_RET_ALLOW },
    { label: 'eperm', code: RET_K, k: SECCOMP_RET_ERRNO | EPERM },
    { label: 'enosys', code: RET_K, k: SECCOMP_RET_ERRNO | ENOSYS },
    { label: 'kill', code: RET_K, k: SECCOMP_RET_KILL_PROCESS },
  );
  return assemble(p, endianness);
}

/** Resolves labels to the forward offsets BPF jumps take (relative to the next instruction, at most 255). */
function assemble(p: Insn[], endianness: 'LE' | 'BE'): Buffer {
  const at = new Map<string, number>();
  p.forEach((insn, i) => {
    if (insn.label) at.set(insn.label, i);
  });
  const offset = (i: number, t: Target | undefined): number => {
    if (t === undefined) return 0;
    if (typeof t === 'number') return t;
    const to = at.get(t);
    if (to === undefined) throw new Error(`seccomp: no label ${t}`);
    const off = to - i - 1;
    if (off < 0 || off > 255) throw new Error(`seccomp: jump to ${t} out of range (${off})`);
    return off;
  };
  const out = Buffer.alloc(p.length * 8);
  p.forEach((insn, i) => {
    const o = i * 8;
    if (endianness === 'LE') {
      out.writeUInt16LE(insn.code, o);
      out.writeUInt32LE(insn.k >>> 0, o + 4);
    } else {
      out.writeUInt16BE(insn.code, o);
      out.writeUInt32BE(insn.k >>> 0, o + 4);
    }
    out.writeUInt8(offset(i, insn.jt), o + 2);
    out.writeUInt8(offset(i, insn.jf), o + 3);
  });
  return out;
}

/**
 * One line for `lambent doctor` and the provider's description. The launcher refuses to start
 * a sandbox whose filter the kernel rejects, so a Linux provider always has it in force.
 */
export function describeSeccomp(arch: string): string {
  const a = SECCOMP_ARCHES[arch];
  if (!a) return `none (no table for ${arch})`;
  return (
    `in every sandbox process (${arch === 'x64' ? 'x86_64' : 'aarch64'}): EPERM for ${REFUSED.length} calls ` +
    '(setns, mounts, keyrings, bpf, perf_event_open, userfaultfd, io_uring, modules, kexec, reboot, swap, acct, quotas, ' +
    'lookup_dcookie, open_by_handle_at) and for unshare/clone with CLONE_NEW*; clone3 ENOSYS; ' +
    `${a.x32 ? 'i386 and x32' : 'arm32'} calls kill the process`
  );
}
