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
 * Network (network.ts has the host's side). The sandbox gets a network namespace of its own
 * (`net none`: loopback only; `net veth`: also an eth0 paired with a host interface, made
 * with one netlink message and addressed with ioctls), unless `net host` (the fallback for
 * outbound access without nftables). Relays carry ports of its 127.0.0.1 to the host's: one
 * process (no fork per connection) that makes its listening sockets inside the namespace,
 * returns to the host's, runs as the sandbox's uid, caps the connections of each port, and
 * for the Runtime API opens each connection with the environment's token. A pooled
 * sandbox's relay starts at its assignment, once the Runtime API's port is known.
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
my (%o, @mnt, @env, @argv, @relays, %sys);
while (@t) {
  my $k = shift @t;
  if ($k eq 'ro' || $k eq 'rw' || $k eq 'dev') { push @mnt, [$k, shift @t, shift @t] }
  elsif ($k eq 'env') { push @env, shift @t }
  elsif ($k eq 'arg') { push @argv, shift @t }
  elsif ($k eq 'relay') { push @relays, [split /:/, shift(@t), -1] }
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
my ($hostns, $init, $pr, $pw);
sub orphaned { my $r = ''; vec($r, fileno($lr), 1) = 1; select($r, undef, undef, 0) > 0 }
sub ifup {
  my $f = pack('a16 x24', $_[1]);
  ioctl($_[0], 0x8913, $f) or fail("flags $_[1]");
  ioctl($_[0], 0x8914, pack('a16 s x22', $_[1], unpack('x16 s', $f) | 1)) or fail("up $_[1]");
}
sub ifaddr {
  my ($s, $if, $ip) = @_;
  my $ifr = sub { pack('a16 S n a4 x16', $if, 2, 0, pack('C4', split /\./, $_[0])) };
  ioctl($s, 0x8916, $ifr->($ip)) or fail("address $if");
  ioctl($s, 0x891c, $ifr->('255.255.255.252')) or fail("netmask $if");
}
sub rta { my $l = 4 + length $_[1]; pack('S S', $l, $_[0]) . $_[1] . ("\0" x ((4 - $l % 4) % 4)) }
# RTM_NEWLINK: a veth pair, eth0 here and $_[0] in the namespace of fd $_[1].
sub veth {
  socket(my $nl, 16, 3, 0) or fail('netlink');
  my $ifi = pack('C x S i I I', 0, 0, 0, 0, 0);
  my $peer = $ifi . rta(3, "$_[0]\0") . rta(28, pack('I', $_[1]));
  my $body = $ifi . rta(3, "eth0\0") . rta(18, rta(1, 'veth') . rta(2, rta(1, $peer)));
  my $m = pack('I S S I I', 16 + length $body, 16, 1 | 4 | 0x200 | 0x400, 1, 0) . $body;
  defined send($nl, $m, 0, pack('S x2 I I', 16, 0, 0)) or fail('netlink send');
  defined recv($nl, my $ack, 4096, 0) or fail('netlink recv');
  my ($type, $err) = unpack('x4 S x10 i', $ack);
  if ($type == 2 && $err) { $! = -$err; fail("veth $_[0]") }
  close $nl;
}
# The relay: listening sockets made here, in the sandbox's namespace, served by a process that
# returns to the host's namespace and runs as the sandbox's uid. Each relay is
# [port here, host port, token, most connections at once]: with a token, each connection to
# the host port first sends '<token>\n' and waits for 'K' (the Runtime API's token port), so the
# endpoint knows its sandbox in O(1). At the limit a port is not accepted from until one of its
# connections ends: the rest wait in the sandbox's own backlog, not in the server.
sub relay {
  my @ls;
  for my $r (@_) {
    socket(my $l, 2, 1, 0) or fail('socket');
    setsockopt($l, 1, 2, pack('i', 1));
    bind($l, inet($r->[0])) or fail("bind 127.0.0.1:$r->[0]");
    listen($l, 64) or fail('listen');
    push @ls, [$l, $r->[1], $r->[2], $r->[3] || 64, 0];
  }
  my $outer = $$;
  # At a pooled sandbox's assignment this process's children would be born in the sandbox's
  # pid namespace: the relay belongs to the host's, where the sandbox cannot see it.
  if ($init) {
    open(my $pn, '<', '/proc/self/ns/pid') or fail('open pid namespace');
    sc('setns', fileno($pn), 0x20000000) == 0 or fail('setns pid');
    close $pn;
  }
  my $pid = fork();
  fail('fork') unless defined $pid;
  if ($pid) { close $_->[0] for @ls; return }
  $0 = 'lambent-relay';
  close $lw if $lw;
  close $pw if $pw;
  sc('setns', fileno($hostns), 0x40000000) == 0 or fail('setns');
  close $hostns;
  drop();
  exit 0 if getppid() != $outer;
  sc('close', 3);
  open(STDIN, '<', '/dev/null'); open(STDOUT, '>', '/dev/null'); open(STDERR, '>', '/dev/null');
  $SIG{PIPE} = 'IGNORE';
  # One process, no fork per connection: by fd, its handle, its pair's other fd, bytes waiting
  # to be written to it, whether its reading side has ended, and its listener.
  my (%h, %peer, %out, %eof, %from);
  my $drop = sub {
    my $a = shift;
    my $b = $peer{$a};
    $ls[$from{$a}][4]--;
    for ($a, $b) { close $h{$_}; delete $h{$_}; delete $peer{$_}; delete $out{$_}; delete $eof{$_}; delete $from{$_} }
  };
  while (1) {
    my ($rin, $win) = ('', '');
    for (@ls) { vec($rin, fileno($_->[0]), 1) = 1 if $_->[4] < $_->[3] }
    for my $fd (keys %h) {
      vec($rin, $fd, 1) = 1 if !$eof{$fd} && length($out{$peer{$fd}}) < 262144;
      vec($win, $fd, 1) = 1 if length $out{$fd};
    }
    next unless select(my $rr = $rin, my $ww = $win, undef, undef) > 0;
    for my $i (0 .. $#ls) {
      my $l = $ls[$i];
      next unless vec($rr, fileno($l->[0]), 1);
      accept(my $c, $l->[0]) or next;
      socket(my $u, 2, 1, 0) or next;
      connect($u, inet($l->[1])) or next;
      if ($l->[2] ne '') {
        my $k = '';
        next unless syswrite($u, "$l->[2]\n") && (sysread($u, $k, 1) // 0) == 1 && $k eq 'K';
      }
      for my $x ($c, $u) {
        setsockopt($x, 6, 1, pack('i', 1));
        fcntl($x, 4, 2048);
        $h{fileno $x} = $x; $out{fileno $x} = ''; $from{fileno $x} = $i;
      }
      $peer{fileno $c} = fileno $u; $peer{fileno $u} = fileno $c;
      $l->[4]++;
    }
    for my $fd (keys %h) {
      next unless $h{$fd};
      if (vec($ww, $fd, 1) && length $out{$fd}) {
        my $w = syswrite($h{$fd}, $out{$fd});
        if (!defined $w) { if ($! != 11) { $drop->($fd) } next }
        substr($out{$fd}, 0, $w) = '';
        shutdown($h{$fd}, 1) if !length $out{$fd} && $eof{$peer{$fd}};
      }
      if (vec($rr, $fd, 1) && !$eof{$fd}) {
        my $n = sysread($h{$fd}, my $buf, 65536);
        if (!defined $n) { if ($! != 11) { $drop->($fd) } next }
        if ($n) {
          # Straight through when nothing waits: one select per message, not two.
          my $p = $peer{$fd};
          my $w = length $out{$p} ? 0 : syswrite($h{$p}, $buf);
          if (!defined $w) { if ($! != 11) { $drop->($fd); next } $w = 0 }
          $out{$p} .= substr($buf, $w) if $w < $n;
          next;
        }
        $eof{$fd} = 1;
        shutdown($h{$peer{$fd}}, 1) unless length $out{$peer{$fd}};
      }
      $drop->($fd) if $eof{$fd} && $eof{$peer{$fd}} && !length($out{$fd}) && !length($out{$peer{$fd}});
    }
  }
}

# Network. Every sandbox but the fallback's ('host') gets its own namespace: loopback, plus
# for 'veth' an eth0 whose peer (vif) stays in the host's namespace, addressed here with
# ioctls on a socket of each namespace (sockets keep the namespace they were made in). The
# host's firewall (provider.ts) forwards and NATs the peer's traffic and drops what it sends
# to the host itself. Relayed ports reach the host's loopback (relay() below).
if ($o{net} ne 'host') {
  open($hostns, '<', '/proc/self/ns/net') or fail('open netns');
  my $hs;
  if ($o{net} eq 'veth') { socket($hs, 2, 2, 0) or fail('socket') }
  sc('unshare', 0x40000000) == 0 or fail('unshare net');
  socket(my $s, 2, 2, 0) or fail('socket');
  ifup($s, 'lo');
  if ($o{net} eq 'veth') {
    veth($o{vif}, fileno($hostns));
    ifaddr($hs, $o{vif}, $o{vhost});
    ifup($hs, $o{vif});
    ifaddr($s, 'eth0', $o{vsbx});
    ifup($s, 'eth0');
    my $sin = sub { pack('S n a4 x8', 2, 0, pack('C4', split /\./, $_[0])) };
    # struct rtentry (LP64): the default route via the host's end.
    my $rt = pack('Q a16 a16 a16 S s x4 Q Q s x6 Q Q Q S x6', 0, $sin->('0.0.0.0'), $sin->($o{vhost}),
      $sin->('0.0.0.0'), 3, 0, 0, 0, 0, 0, 0, 0, 0);
    ioctl($s, 0x890B, $rt) or fail('default route');
    close $hs;
  }
  close $s;
  if (!$o{pool}) { relay(@relays) if @relays; close $hostns }
}
# A pooled sandbox's assignment (second message): the function's directories, cloned here in
# the host's mount namespace and moved into pid 1's, then its environment for the runtime,
# which waits for it on stdin. Until now the runtime ran at nice 19; its uid's threads get 0.
sub afail { print $st "error $_[0]: $!\n"; kill 'KILL', $init; waitpid($init, 0); exit 125 }
sub assign {
  my $m = msg();
  unless ($m) { kill 'KILL', $init; return }
  my @a = @$m;
  my (@mv, @hm, @rl, $payload);
  while (@a) {
    my $k = shift @a;
    if ($k eq 'ro' || $k eq 'rw') { push @mv, [$k, shift @a, shift @a] }
    elsif ($k eq 'host') { push @hm, [shift @a, shift @a] }
    elsif ($k eq 'payload') { $payload = shift @a }
    elsif ($k eq 'relay') { push @rl, [split /:/, shift(@a), -1] }
    else { shift @a }
  }
  # The Runtime API's port is known only now: the pooled sandbox's relay starts here.
  if ($hostns) { relay(@rl) if @rl; close $hostns; undef $hostns }
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
close $hostns if $hostns;
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

/** A port of the sandbox's 127.0.0.1 carried to the host's 127.0.0.1. */
export interface Relay {
  port: number;
  hostPort: number;
  /** Sent as `<token>\n` on each connection, which then waits for `K` (the Runtime API's token port). */
  token?: string;
  /** Connections forwarded at once; more wait in the sandbox's backlog. */
  maxConnections: number;
}

export interface VethConfig {
  /** Name of the host's end (the sandbox's is eth0). */
  hostIf: string;
  /** Addresses of a /30: the host's end (the sandbox's gateway) and the sandbox's. */
  hostIp: string;
  sandboxIp: string;
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
  /**
   * `none`: a namespace of its own with loopback only; `veth`: also an eth0 to the host
   * (`veth`), routed by the host's firewall; `host`: the host's namespace (the fallback for
   * outbound access without nftables). Relays are made in the first two (for a pooled
   * sandbox, at its assignment).
   */
  network: 'host' | 'none' | 'veth';
  veth?: VethConfig;
  relays: readonly Relay[];
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
  if (c.network === 'veth') {
    if (!c.veth) throw new Error('a veth network needs its addresses');
    t.push('vif', c.veth.hostIf, 'vhost', c.veth.hostIp, 'vsbx', c.veth.sandboxIp);
  }
  pushRelays(t, c.relays);
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
  relays: readonly Relay[] = [],
): Buffer {
  const t: string[] = [];
  pushRelays(t, relays);
  for (const m of hostMoves) t.push('host', m.from, m.to);
  for (const m of mounts) {
    if (m.kind === 'dev') throw new Error('a device cannot be assigned');
    t.push(m.kind, m.source, m.target);
  }
  t.push('payload', payload);
  return frame(t);
}

function pushRelays(t: string[], relays: readonly Relay[]): void {
  for (const r of relays) {
    if (r.token !== undefined && !/^[0-9a-f]+$/.test(r.token)) throw new Error('a relay token must be hex');
    t.push('relay', `${r.port}:${r.hostPort}:${r.token ?? ''}:${r.maxConnections}`);
  }
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
