/**
 * Sandbox networking on the host's side. Every Linux sandbox has a network namespace of its
 * own (the launcher makes it): loopback, and relays that carry the Runtime API's and the
 * platform's ports from the sandbox's 127.0.0.1 to the host's. So a function reaches nothing
 * else of the host's loopback, none of the host's abstract unix sockets and no other
 * function's Runtime API.
 *
 * A function with outbound access also gets a veth pair: eth0 inside with a /30 address, its
 * peer `lbn<uid in hex>` on the host. The host routes and masquerades what comes from the
 * peers (an nftables table, `inet lambent`, shared by every Lambent on the host and made once)
 * and drops everything they send to the host itself (its own addresses, and so its
 * services), to other sandboxes and to link-local addresses (a cloud's instance metadata).
 * The pair is made by the launcher with one netlink message and ends with the namespace.
 * Measured here: ~0.5 ms for the namespace, ~1 ms more with the veth pair.
 *
 * Without nftables (or where the table cannot be made), functions with outbound access keep
 * the host's namespace: they still reach networks beyond the host, but also the host's
 * loopback; the Runtime API then tells sandboxes apart by the peer's uid (peer-uid.ts).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import type { SandboxNetwork } from './sandbox.js';
import { findTool } from './tmp-volumes.js';

/** Default block for the veth pairs: one /30 per uid (mod 4096) in a /18. */
export const DEFAULT_SANDBOX_SUBNET = '10.250.0.0/18';
const SLOTS = 4096;
/** Host ends of the pairs: `lbn` + the sandbox's uid in hex (15 characters at most). */
const IF_PREFIX = 'lbn';
const TABLE = 'lambent';

export interface NetworkPlan {
  /** Whether outbound sandboxes get a namespace of their own (veth + NAT). */
  readonly isolatedOutbound: boolean;
  /** Why not, when they do not. */
  readonly note?: string;
  readonly subnet: string;
  net(uid: number, outbound: boolean): SandboxNetwork;
  describe(): string;
}

/**
 * Makes the firewall table (once per host) and turns on IPv4 forwarding, or says why outbound
 * sandboxes must share the host's namespace.
 */
export async function planNetwork(subnet: string = DEFAULT_SANDBOX_SUBNET): Promise<NetworkPlan> {
  const base = parseSubnet(subnet);
  const nft = findTool('nft');
  let note: string | undefined;
  if (!nft) note = 'nftables is not installed (Debian: nftables)';
  else {
    try {
      await ensureTable(nft);
    } catch (err) {
      note = `the nftables table could not be made: ${(err as Error).message.split('\n')[0]}`;
    }
  }
  const isolatedOutbound = note === undefined;
  return {
    isolatedOutbound,
    ...(note ? { note } : {}),
    subnet,
    net(uid, outbound) {
      if (!outbound) return { network: 'none' };
      if (!isolatedOutbound) return { network: 'host' };
      const slot = (uid % SLOTS) * 4;
      return {
        network: 'veth',
        veth: {
          hostIf: `${IF_PREFIX}${uid.toString(16)}`,
          hostIp: ipOf(base + slot + 1),
          sandboxIp: ipOf(base + slot + 2),
        },
      };
    },
    describe() {
      return isolatedOutbound
        ? `a namespace per sandbox: loopback + relayed Runtime API and platform ports; outbound: veth + NAT from ${subnet} (nftables table inet ${TABLE}: nothing to the host, other sandboxes or link-local)`
        : `a namespace per sandbox without outbound; WITH outbound the host's namespace (REDUCED: host loopback and abstract sockets reachable) because ${note}`;
    },
  };
}

function parseSubnet(subnet: string): number {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(subnet);
  const bytes = m ? m.slice(1, 5).map(Number) : [];
  if (!m || bytes.some((b) => b > 255) || Number(m[5]) > 18)
    throw new Error(`sandbox subnet ${subnet}: an IPv4 block of /18 or larger is needed (4096 /30s)`);
  return (((bytes[0] ?? 0) << 24) | ((bytes[1] ?? 0) << 16) | ((bytes[2] ?? 0) << 8) | (bytes[3] ?? 0)) >>> 0;
}

function ipOf(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/**
 * The table, made or brought up to date in one transaction (servers share it; it stays when
 * they stop: remove it with `nft delete table inet lambent`). Where IPv4 forwarding was off
 * before the first of them, nothing but sandbox traffic is forwarded (a bare `drop` closing
 * the forward chain, kept across reloads).
 */
async function ensureTable(nft: string): Promise<void> {
  const existing = await run(nft, ['list', 'table', 'inet', TABLE]).catch(() => undefined);
  const forwarding = '/proc/sys/net/ipv4/ip_forward';
  const wasForwarding = fs.readFileSync(forwarding, 'utf8').trim() === '1';
  const onlyOurs =
    existing !== undefined ? existing.split('\n').some((l) => l.trim() === 'drop') : !wasForwarding;
  const rules = `table inet ${TABLE}
delete table inet ${TABLE}
table inet ${TABLE} {
  chain input {
    type filter hook input priority -10; policy accept;
    iifname "${IF_PREFIX}*" drop
  }
  chain forward {
    type filter hook forward priority -10; policy accept;
    iifname "${IF_PREFIX}*" oifname "${IF_PREFIX}*" drop
    iifname "${IF_PREFIX}*" ip daddr 169.254.0.0/16 drop
    iifname "${IF_PREFIX}*" meta nfproto ipv4 accept
    iifname "${IF_PREFIX}*" drop
    oifname "${IF_PREFIX}*" ct state established,related accept
    oifname "${IF_PREFIX}*" drop
${onlyOurs ? '    drop\n' : ''}  }
  chain postrouting {
    type nat hook postrouting priority 100; policy accept;
    iifname "${IF_PREFIX}*" oifname != "${IF_PREFIX}*" masquerade
  }
}
`;
  await run(nft, ['-f', '-'], rules);
  if (!wasForwarding) fs.writeFileSync(forwarding, '1');
}

function run(cmd: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { timeout: 10_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(stderr.trim() || err.message));
      else resolve(stdout);
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}
