/**
 * The launcher: a perl script (perl-base is Essential on Debian, so always present) that
 * builds a sandbox with raw syscalls in one process, no exec until the command's. Measured
 * here: perl start-up ~2.5 ms (done ahead of time, see below) and ~2 ms from configuration
 * to the command's exec, against ~0.7 ms per exec of a `mount`-style helper (a shell
 * script of mounts costs 20+ ms) and ~4.5 ms for bubblewrap (which would also need a
 * package). It loads no module: strict.pm and warnings.pm alone cost ~3 ms.
 *
 * Protocol. argv: the cgroup.procs files to join, joined at once; then stdin: the
 * configuration as NUL-separated tokens after their byte count (see encodeLaunch). A pooled
 * sandbox (`pool`) gets a second message after its command runs: the assignment
 * (encodeAssign), answered by `assigned`. Joining a cgroup
 * waits for an RCU grace period (~7 ms here) when the kernel's cgroup lock is idle, so the
 * provider starts launchers ahead of time: they join a fresh cgroup and park on stdin,
 * and a sandbox's start only pays for the configuration and the syscalls after it.
 * fd 3: one line per event, in order:
 *   `parked`                joined the cgroup, waiting for the configuration
 *   `init <pid>`            host pid of the namespace's pid 1 (signals go there, it forwards)
 *   `ready`                 the command's exec succeeded
 *   `execfail <errno> <m>`  the command's exec failed
 *   `assigned`              (pooled) directories mounted and payload delivered
 *   `error <what>: <m>`     setup failed (exit 125)
 *   `exit <n>` | `signal <n>`              how the command's process ended
 *   `initexit <n>` | `initsignal <n>`      how pid 1 ended (killed with the cgroup: `initsignal 9`)
 *
 * Processes, all in the sandbox's cgroup. outer (host pid namespace: waits and reports) →
 * pid 1 of the new pid namespace (mounts, pivots, drops to the uid, forwards signals, reaps
 * orphans) → the command. When the command ends, pid 1 exits and the kernel
 * kills whatever is left in the namespace. Each level dies with its parent (PDEATHSIG,
 * re-armed after the uid change, plus a lifeline pipe for the race before it); a parked
 * launcher ends when its stdin closes with the server.
 *
 * Without outbound access, the sandbox also gets a private network namespace with only
 * loopback, and a relay: listening sockets created inside that namespace on
 * 127.0.0.1:<port> for each allowed port, served by a process that lives in the host's
 * namespace, runs as the sandbox's uid (so the Runtime API's peer-uid check still holds) and
 * forwards each connection to the host's 127.0.0.1:<port>.
 *
 * Dropping to the uid (drop(): pid 1 and the relay) also gives the process a fresh session
 * keyring, empties the uid's own keyrings, sets no_new_privs and installs the seccomp filter
 * (seccomp.ts), which everything started after inherits.
 */

export const LAUNCHER_SCRIPT = String.raw`
open(my $st, '>&=', 3) or exit 125;
select((select($st), $| = 1)[0]);
for my $p (@ARGV) { open(my $f, '>', $p) or exit 124; syswrite($f, '0') or exit 124; close $f }
print $st "parked\n";
sub msg {
  my $len = <STDIN>;
  return undef unless defined $len && $len =~ /^(\d+)\n$/;
  my $want = $1 + 0;
  my $c = '';
  my $n = read(STDIN, $c, $want);
  return undef unless defined $n && $n > 0 && $n == $want;
  my @x = split /\0/, $c, -1;
  pop @x;
  return \@x;
}
my $first = msg();
exit 0 unless $first;
my @t = @$first;
my (%o, @mnt, @env, @argv, @port, %sys);
while (@t) {
  my $k = shift @t;
  if ($k eq 'ro' || $k eq 'rw' || $k eq 'dev') { push @mnt, [$k, shift @t, shift @t] }
  elsif ($k eq 'env') { push @env, shift @t }
  elsif ($k eq 'arg') { push @argv, shift @t }
  elsif ($k eq 'port') { push @port, shift(@t) + 0 }
  elsif ($k eq 'sys') { my ($n, $v) = split /=/, shift(@t); $sys{$n} = $v + 0 }
  else { $o{$k} = shift @t }
}
sub fail { print $st "error $_[0]: $!\n"; exit 125 }
my ($RDONLY, $NOSUID, $NODEV, $NOEXEC, $REMOUNT, $BIND, $REC, $PRIVATE) = (1, 2, 4, 8, 32, 4096, 16384, 262144);
sub sc { my ($n, @a) = @_; syscall($sys{$n}, @a) }
my ($uid, $gid) = ($o{uid} + 0, $o{gid} + 0);
# The seccomp filter (seccomp.ts) as a struct sock_fprog: its length, then a pointer to $bpf,
# which stays alive (and, after a fork, at the same address) for the process's life.
my ($bpf, $fprog);
if (defined $o{seccomp}) { $bpf = pack('H*', $o{seccomp}); $fprog = pack('S x![P] P', length($bpf) / 8, $bpf) }
# Keys outlive a sandbox and follow the uid, which a later sandbox gets again: a new anonymous
# session keyring (KEYCTL_JOIN_SESSION_KEYRING, NULL), the uid's user, user-session and
# persistent keyrings emptied (KEYCTL_CLEAR @u, @us; KEYCTL_GET_PERSISTENT links the last into
# the session keyring, unlinked after). ENOSYS: no keys; EOPNOTSUPP: no persistent keyrings.
sub keyring { sc('keyctl', $_[0], $_[1], 0, 0, 0) >= 0 || $! == 38 or fail("keyctl $_[0]") }
sub keyrings {
  keyring(1, 0);
  keyring(7, -4);
  keyring(7, -5);
  my $p = sc('keyctl', 22, -1, -3, 0, 0);
  if ($p < 0) { $! == 38 || $! == 95 or fail('keyctl 22'); return }
  keyring(7, $p);
  sc('keyctl', 9, $p, -3, 0, 0) == 0 or fail('keyctl 9');
}
sub drop {
  sc('setgroups', 0, 0) == 0 or fail('setgroups');
  sc('setresgid', $gid, $gid, $gid) == 0 or fail('setresgid');
  sc('setresuid', $uid, $uid, $uid) == 0 or fail('setresuid');
  keyrings();
  sc('prctl', 38, 1, 0, 0, 0) == 0 or fail('no_new_privs');
  sc('prctl', 1, 9, 0, 0, 0) == 0 or fail('pdeathsig');
  # PR_SET_SECCOMP, SECCOMP_MODE_FILTER: after no_new_privs (required without CAP_SYS_ADMIN).
  if ($fprog) { sc('prctl', 22, 2, $fprog, 0, 0) == 0 or fail('seccomp') }
}
sub inet { pack('S n C4 x8', 2, $_[0], 127, 0, 0, 1) }
sc('prctl', 1, 9, 0, 0, 0) == 0 or fail('pdeathsig');
exit 125 if getppid() != $o{ppid};
pipe(my $lr, my $lw) or fail('pipe');
sub orphaned { my $r = ''; vec($r, fileno($lr), 1) = 1; select($r, undef, undef, 0) > 0 }

if ($o{net} eq 'none') {
  open(my $hostns, '<', '/proc/self/ns/net') or fail('open netns');
  sc('unshare', 0x40000000) == 0 or fail('unshare net');
  socket(my $s, 2, 2, 0) or fail('socket');
  my $ifr = pack('a16 s x22', 'lo', 1);
  ioctl($s, 0x8914, $ifr) or fail('loopback up');
  close $s;
  my @ls;
  for my $p (@port) {
    socket(my $l, 2, 1, 0) or fail('socket');
    setsockopt($l, 1, 2, pack('i', 1));
    bind($l, inet($p)) or fail("bind 127.0.0.1:$p");
    listen($l, 128) or fail('listen');
    push @ls, [$l, $p];
  }
  if (@ls) {
    my $relay = fork();
    fail('fork') unless defined $relay;
    if ($relay == 0) {
      $0 = 'lambent-relay';
      close $lw;
      sc('setns', fileno($hostns), 0x40000000) == 0 or fail('setns');
      drop();
      exit 0 if orphaned();
      sc('close', 3);
      open(STDIN, '<', '/dev/null'); open(STDOUT, '>', '/dev/null'); open(STDERR, '>', '/dev/null');
      $SIG{CHLD} = 'IGNORE';
      while (1) {
        my $rin = '';
        vec($rin, fileno($_->[0]), 1) = 1 for @ls;
        next unless select(my $rout = $rin, undef, undef, undef) > 0;
        for my $l (@ls) {
          next unless vec($rout, fileno($l->[0]), 1);
          accept(my $c, $l->[0]) or next;
          my $pid = fork();
          if (defined $pid && $pid == 0) {
            close $_->[0] for @ls;
            sc('prctl', 1, 9, 0, 0, 0);
            socket(my $u, 2, 1, 0) or exit 1;
            connect($u, inet($l->[1])) or exit 1;
            setsockopt($_, 6, 1, pack('i', 1)) for $c, $u;
            pump($c, $u);
            exit 0;
          }
          close $c;
        }
      }
    }
    close $_->[0] for @ls;
  }
  close $hostns;
}
# A pooled sandbox's assignment (second message): the function's directories, cloned here in
# the host's mount namespace and moved into pid 1's, then its environment for the runtime,
# which waits for it on stdin. Until now the runtime ran at nice 19; its uid's threads get 0.
my ($init, $pr, $pw);
sub afail { print $st "error $_[0]: $!\n"; kill 'KILL', $init; waitpid($init, 0); exit 125 }
sub assign {
  my $m = msg();
  unless ($m) { kill 'KILL', $init; return }
  my @a = @$m;
  my (@mv, @hm, $payload);
  while (@a) {
    my $k = shift @a;
    if ($k eq 'ro' || $k eq 'rw') { push @mv, [$k, shift @a, shift @a] }
    elsif ($k eq 'host') { push @hm, [shift @a, shift @a] }
    elsif ($k eq 'payload') { $payload = shift @a }
    else { shift @a }
  }
  # Host-side moves first (a spare /tmp volume to the function's tmpDir): clone, attach, detach
  # the original; MS_MOVE would refuse a mount under a shared parent.
  for my $h (@hm) {
    my $fd = sc('open_tree', -100, $h->[0], 1 | 0x80000);
    afail("open_tree $h->[0]") if $fd < 0;
    sc('move_mount', $fd, '', -100, $h->[1], 4) == 0 or afail("move_mount $h->[1]");
    sc('close', $fd);
    sc('umount2', $h->[0], 2) == 0 or afail("detach $h->[0]");
  }
  for my $x (@mv) {
    my $fd = sc('open_tree', -100, $x->[1], 1 | 0x80000);
    afail("open_tree $x->[1]") if $fd < 0;
    push @$x, $fd;
  }
  open(my $ns, '<', "/proc/$init/ns/mnt") or afail('open mount namespace');
  sc('setns', fileno($ns), 0x00020000) == 0 or afail('setns mount');
  for my $x (@mv) {
    sc('move_mount', $x->[3], '', -100, $x->[2], 4) == 0 or afail("move_mount $x->[2]");
    my $fl = $BIND | $REMOUNT | $NOSUID | $NODEV;
    $fl |= $RDONLY if $x->[0] eq 'ro';
    sc('mount', 0, $x->[2], 0, $fl, 0) == 0 or afail("remount $x->[2]");
    sc('close', $x->[3]);
  }
  setpriority(2, $uid, 0) or afail('setpriority');
  $payload //= '';
  my $off = 0;
  while ($off < length $payload) {
    my $w = syswrite($pw, $payload, length($payload) - $off, $off);
    afail('write payload') unless $w;
    $off += $w;
  }
  close $pw;
  print $st "assigned\n";
}
sub pump {
  my %peer = (fileno($_[0]) => $_[1], fileno($_[1]) => $_[0]);
  my %open = (fileno($_[0]) => $_[0], fileno($_[1]) => $_[1]);
  my $buf;
  while (%open) {
    my $rin = '';
    vec($rin, $_, 1) = 1 for keys %open;
    next unless select(my $rout = $rin, undef, undef, undef) > 0;
    for my $fd (keys %open) {
      next unless vec($rout, $fd, 1);
      my $n = sysread($open{$fd}, $buf, 65536);
      if (!$n) { shutdown($peer{$fd}, 1); delete $open{$fd}; next }
      my $off = 0;
      while ($off < $n) { my $w = syswrite($peer{$fd}, $buf, $n - $off, $off); return unless $w; $off += $w }
    }
  }
}

# The mount namespace is pid 1's alone (it unshares it below): this process stays in the host's,
# where a pooled sandbox's code is found at its assignment.
sc('unshare', 0x04000000 | 0x08000000 | 0x20000000) == 0 or fail('unshare');
if ($o{pool}) { pipe($pr, $pw) or fail('pipe') }
$init = fork();
fail('fork') unless defined $init;
if ($init) {
  close $lr;
  close $pr if $pr;
  print $st "init $init\n";
  assign() if $o{pool};
  waitpid($init, 0);
  my $s = $?;
  print $st (($s & 127) ? 'initsignal ' . ($s & 127) : 'initexit ' . ($s >> 8)), "\n";
  exit 0;
}
close $lw;
close $pw if $pw;
$0 = '/init';
sc('unshare', 0x00020000 | 0x02000000) == 0 or fail('unshare mount, cgroup');
my $root = $o{root};
sc('mount', 0, '/', 0, $REC | $PRIVATE, 0) == 0 or fail('make / private');
sc('mount', $root, $root, 0, $BIND, 0) == 0 or fail("bind $root");
for my $m (@mnt) {
  my ($kind, $src, $dst) = @$m;
  my $target = $root . $dst;
  sc('mount', $src, $target, 0, $BIND, 0) == 0 or fail("bind $src on $dst");
  my $fl = $BIND | $REMOUNT | $NOSUID;
  $fl |= $NODEV unless $kind eq 'dev';
  $fl |= $RDONLY if $kind eq 'ro';
  sc('mount', 0, $target, 0, $fl, 0) == 0 or fail("remount $dst");
}
sc('mount', 'proc', "$root/proc", 'proc', $NOSUID | $NODEV | $NOEXEC, 0) == 0 or fail('mount proc');
sc('mount', 0, $root, 0, $BIND | $REMOUNT | $RDONLY | $NOSUID | $NODEV, 0) == 0 or fail('remount root');
chdir($root) or fail('chdir root');
sc('pivot_root', '.', '.') == 0 or fail('pivot_root');
sc('umount2', '.', 2) == 0 or fail('detach old root');
chdir('/') or fail('chdir /');
sc('sethostname', $o{hostname}, length $o{hostname}) == 0 or fail('sethostname');
sc('setrlimit', 7, pack('Q Q', $o{nofile}, $o{nofile})) == 0 or fail('rlimit nofile');
sc('setrlimit', 4, pack('Q Q', 0, 0)) == 0 or fail('rlimit core');
open(STDIN, '<', '/dev/null') or fail('stdin');
drop();
exit 125 if orphaned();
pipe(my $er, my $ew) or fail('pipe');
# Handlers go in before the command exists: a signal sent as soon as it runs must not hit
# pid 1 without a handler (the kernel drops it). Until the fork returns, remember it.
our %pending;
our $main;
for my $s (qw(TERM INT HUP QUIT USR1 USR2 ALRM WINCH)) {
  $SIG{$s} = sub { if ($main) { kill $s, $main } elsif (!defined $main) { $pending{$s} = 1 } };
}
$main = fork();
fail('fork') unless defined $main;
if ($main == 0) {
  close $er;
  sc('close', 3);
  %ENV = ();
  for my $e (@env) { my $i = index($e, '='); $ENV{substr($e, 0, $i)} = substr($e, $i + 1) }
  chdir($o{cwd});
  if ($pr) { open(STDIN, '<&', $pr) or exit 127; close $pr; setpriority(0, 0, 19) }
  exec { $argv[0] } @argv;
  syswrite($ew, ($! + 0) . ' ' . $!);
  exit 127;
}
close $ew;
my $msg = '';
sysread($er, $msg, 512);
close $er;
print $st ($msg eq '' ? "ready\n" : "execfail $msg\n");
for my $s (keys %pending) { kill $s, $main }
while (1) {
  my $p = waitpid(-1, 0);
  last if $p == -1;
  next unless $p == $main;
  my $s = $?;
  print $st (($s & 127) ? 'signal ' . ($s & 127) : 'exit ' . ($s >> 8)), "\n";
  exit 0;
}
print $st "exit 255\n";
`;

/** Syscall numbers by `process.arch`; other architectures fall back to the process provider. */
export const SYSCALLS: Record<string, Record<string, number>> = {
  x64: {
    close: 3,
    unshare: 272,
    mount: 165,
    umount2: 166,
    pivot_root: 155,
    sethostname: 170,
    setgroups: 116,
    setresuid: 117,
    setresgid: 119,
    prctl: 157,
    setns: 308,
    setrlimit: 160,
    open_tree: 428,
    move_mount: 429,
    keyctl: 250,
  },
  arm64: {
    close: 57,
    unshare: 97,
    mount: 40,
    umount2: 39,
    pivot_root: 41,
    sethostname: 161,
    setgroups: 159,
    setresuid: 147,
    setresgid: 149,
    prctl: 167,
    setns: 268,
    setrlimit: 164,
    open_tree: 428,
    move_mount: 429,
    keyctl: 219,
  },
};

export interface Mount {
  /** `ro`: read-only; `rw`: writable; `dev`: a device node (keeps dev semantics). All nosuid. */
  kind: 'ro' | 'rw' | 'dev';
  /** Host path. */
  source: string;
  /** Path inside the sandbox (absolute); must exist in the root skeleton. */
  target: string;
}

export interface LaunchConfig {
  syscalls: Record<string, number>;
  /** Pid of the process spawning the launcher (it exits if already orphaned). */
  parentPid: number;
  uid: number;
  gid: number;
  root: string;
  hostname: string;
  cwd: string;
  nofile: number;
  mounts: readonly Mount[];
  env: Record<string, string>;
  argv: readonly string[];
  /** `host`: share the host's network namespace; `none`: loopback only, plus relayed ports. */
  network: 'host' | 'none';
  relayPorts: readonly number[];
  /**
   * A pooled sandbox: the command starts without the function's directories and reads its
   * stdin for the assignment (encodeAssign), which the launcher waits for after the start.
   */
  pool?: boolean;
  /**
   * The seccomp filter installed as the process drops to `uid` (buildSeccompFilter): pid 1,
   * the command and the relay all run under it.
   */
  seccomp: Buffer;
}

export function encodeLaunch(c: LaunchConfig): Buffer {
  const t: string[] = [];
  for (const [name, nr] of Object.entries(c.syscalls)) t.push('sys', `${name}=${nr}`);
  t.push('ppid', String(c.parentPid), 'uid', String(c.uid), 'gid', String(c.gid));
  t.push('root', c.root, 'hostname', c.hostname, 'cwd', c.cwd, 'nofile', String(c.nofile), 'net', c.network);
  if (c.pool) t.push('pool', '1');
  t.push('seccomp', c.seccomp.toString('hex'));
  for (const m of c.mounts) t.push(m.kind, m.source, m.target);
  for (const [k, v] of Object.entries(c.env)) {
    if (!k || k.includes('=')) throw new Error(`invalid environment variable name ${JSON.stringify(k)}`);
    t.push('env', `${k}=${v}`);
  }
  for (const a of c.argv) t.push('arg', a);
  for (const p of c.relayPorts) t.push('port', String(p));
  return frame(t);
}

/**
 * A pooled sandbox's assignment: directories moved into its mount namespace (targets must
 * be empty mount points of the skeleton), then `payload` written to the command's stdin.
 */
export function encodeAssign(
  mounts: readonly Mount[],
  payload: string,
  /** Done first, in the host's namespace: mount a clone of `from` at `to`, then detach `from`. */
  hostMoves: ReadonlyArray<{ from: string; to: string }> = [],
): Buffer {
  const t: string[] = [];
  for (const m of hostMoves) t.push('host', m.from, m.to);
  for (const m of mounts) {
    if (m.kind === 'dev') throw new Error('a device cannot be assigned');
    t.push(m.kind, m.source, m.target);
  }
  t.push('payload', payload);
  return frame(t);
}

/** Tokens NUL-terminated, after a decimal byte count line: the launcher reads messages one at a time. */
function frame(t: string[]): Buffer {
  if (t.some((s) => s.includes('\0'))) throw new Error('sandbox configuration values cannot contain NUL');
  const body = Buffer.from(`${t.join('\0')}\0`);
  return Buffer.concat([Buffer.from(`${body.length}\n`), body]);
}

export type LauncherEvent =
  | { kind: 'init'; pid: number }
  | { kind: 'ready' }
  | { kind: 'assigned' }
  | { kind: 'execfail'; errno: number; message: string }
  | { kind: 'error'; message: string }
  | { kind: 'exit'; code: number }
  | { kind: 'signal'; signal: number }
  | { kind: 'initexit'; code: number }
  | { kind: 'initsignal'; signal: number };

export function parseLauncherLine(line: string): LauncherEvent | undefined {
  const space = line.indexOf(' ');
  const word = space < 0 ? line : line.slice(0, space);
  const rest = space < 0 ? '' : line.slice(space + 1);
  const n = Number.parseInt(rest, 10);
  switch (word) {
    case 'init':
      return { kind: 'init', pid: n };
    case 'ready':
      return { kind: 'ready' };
    case 'assigned':
      return { kind: 'assigned' };
    case 'execfail': {
      const sp = rest.indexOf(' ');
      return { kind: 'execfail', errno: n, message: sp < 0 ? rest : rest.slice(sp + 1) };
    }
    case 'error':
      return { kind: 'error', message: rest };
    case 'exit':
      return { kind: 'exit', code: n };
    case 'signal':
      return { kind: 'signal', signal: n };
    case 'initexit':
      return { kind: 'initexit', code: n };
    case 'initsignal':
      return { kind: 'initsignal', signal: n };
    default:
      return undefined;
  }
}
