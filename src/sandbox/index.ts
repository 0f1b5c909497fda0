/**
 * Execution environments (sandboxes).
 *
 * Implemented
 * - sandbox.ts: the Sandbox / SandboxProvider contract; conformance.ts: the one suite every
 *   implementation passes (start/exit, exact env, live output, exec failure, signals,
 *   freeze/thaw, kill of a frozen sandbox and of all descendants, peak memory, /tmp kept
 *   across sandboxes; for linux also containment with hostile processes: OOM, fork bomb,
 *   /tmp fill, other code and the data dir invisible, /proc, uid, read-only mounts, network).
 * - linux/: the isolated implementation, used when running as root on Linux with cgroups.
 *   A perl launcher (perl-base, Essential on Debian) makes raw syscalls: new mount, pid,
 *   ipc, uts and cgroup namespaces; pivot_root into a skeleton root with /usr, /lib*, CA
 *   certificates, /etc/alternatives and resolv.conf read-only; /var/task, /opt, /var/runtime
 *   (its node_modules: the AWS SDK) and /var/lang (the function's language, from
 *   invoke/runtimes.ts; blanks over the host's node and python for provided.*) read-only; /tmp a per-tmpDir ext4 loop volume
 *   capped at EphemeralStorage that outlives the environment (tmpfs only as a fallback: its
 *   pages count against the memory limit); a fresh /proc; an unprivileged uid unique on the host, no_new_privs, nosuid everywhere;
 *   exactly the given environment; RLIMIT_NOFILE 1024; pid 1 forwards signals and reaps.
 *   Launchers are started ahead of time and parked in their cgroups (joining a cgroup costs
 *   an RCU grace period), so a start costs ~2.5 ms over a bare spawn of the same command.
 * - linux/prewarm.ts: pools of pre-started, function-agnostic sandboxes (SandboxSpec.pool,
 *   SandboxProvider.definePools): the runtime boots ahead of time; at a start the launcher
 *   moves the function's code, layers and /tmp into the sandbox's mount namespace and the
 *   runtime gets its environment on stdin. Single-use; refilled one at a time at low priority
 *   while the CPUs are not busy. Spare /tmp volumes are formatted ahead of time for them.
 * - cgroups/: memory (+memsw/swap.max), pids.max, CPU share by memory (1769 MB = 1024
 *   shares = one core under contention; hard quota optional), freeze/thaw, kill-all, OOM
 *   count, peak memory; v1, v2 and hybrid (v1 resources + cgroup2 freeze/kill).
 * - Network (linux/network.ts): a network namespace per sandbox, where the listed
 *   `loopbackPorts` (Runtime API, platform endpoint) are relayed to the host's 127.0.0.1 by a
 *   relay running as the sandbox's uid, with a cap of connections per port; the Runtime
 *   API's relay authenticates with a token. With outbound access (as on Lambda) also a veth
 *   pair, routed and masqueraded by an nftables table that drops what a sandbox sends to the
 *   host itself, to other sandboxes and to link-local addresses.
 * - process/: the fallback (macOS, unprivileged containers): plain child processes in their
 *   own process group, rlimits via prlimit/ulimit, SIGSTOP/SIGCONT as freezer; selected with
 *   one loud warning.
 *
 * Gaps
 * - Root is required for the Linux sandbox (no rootless/user-namespace mode yet).
 * - No seccomp filter: a function can create user namespaces and use every syscall the
 *   kernel lets an unprivileged user use (Docker's default profile would block some).
 * - Without nftables, functions with outbound access share the host's network namespace:
 *   they reach the host's loopback services and abstract unix sockets (other functions'
 *   Runtime APIs still refuse them, by the peer socket's uid). Said loudly and by doctor.
 * - DNS inside a sandbox uses the host's resolv.conf: a resolver on the host's loopback
 *   (systemd-resolved's 127.0.0.53) is out of reach. No IPv6 beyond the host.
 * - /proc shows host-wide facts (meminfo, cpuinfo) as Docker does; no /sys, no /dev/shm
 *   (Lambda has no /dev/shm either).
 * - Node and Python do not see the cgroup memory limit (no /sys/fs/cgroup inside): the
 *   runtimes should size their heaps from AWS_LAMBDA_FUNCTION_MEMORY_SIZE, as AWS's do.
 * - Pure cgroup v2 hosts are covered by the driver but only its freeze/kill half is
 *   exercised on this (hybrid) machine.
 * - The process fallback isolates nothing but resources; see process/provider.ts.
 */

import { DataDirInUseError } from '../shared/data-dir-lock.js';
import type { LinuxProviderOptions } from './linux/provider.js';
import { createLinuxProvider, LinuxUnavailableError } from './linux/provider.js';
import { createProcessProvider } from './process/provider.js';
import type { SandboxIsolation, SandboxProvider } from './sandbox.js';

export type {
  OutputStream,
  PoolDefinition,
  PoolStatus,
  ProviderDescription,
  Sandbox,
  SandboxExit,
  SandboxIsolation,
  SandboxLayout,
  SandboxProvider,
  SandboxSpec,
  SandboxStartFailure,
  SandboxState,
} from './sandbox.js';
export { DEFAULT_PIDS_MAX, MB_PER_CORE, SandboxStartError } from './sandbox.js';

export interface SandboxProviderOptions {
  /** 'process' skips the Linux probe. Default: linux when the host allows it. */
  prefer?: SandboxIsolation;
  dataDir: string;
  logger: { warn(message: string): void };
  linux?: Omit<LinuxProviderOptions, 'dataDir'>;
}

/** Probes the host once; falls back to plain processes with one loud warning. */
export async function createSandboxProvider(options: SandboxProviderOptions): Promise<SandboxProvider> {
  let missing: string[];
  if (options.prefer === 'process') {
    missing = ['process isolation was requested'];
  } else {
    try {
      return await createLinuxProvider({
        warn: (m) => options.logger.warn(m),
        ...options.linux,
        dataDir: options.dataDir,
      });
    } catch (err) {
      // Another server's data dir is no reason to run with less isolation: say so instead.
      if (err instanceof DataDirInUseError) throw err;
      missing = err instanceof LinuxUnavailableError ? err.missing : [(err as Error).message];
    }
  }
  options.logger.warn(
    `ISOLATION REDUCED: functions run as plain child processes (${missing.join('; ')}). ` +
      'They can read the host files this user can, share its uid and network, and /tmp is not capped; ' +
      'only rlimits contain them. Run Lambent as root on Linux with cgroups for isolated sandboxes ' +
      '(`lambent doctor` shows what is missing).',
  );
  return createProcessProvider({ dataDir: options.dataDir, missing });
}
