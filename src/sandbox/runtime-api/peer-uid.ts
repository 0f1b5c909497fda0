/**
 * Who is on the other end of a loopback TCP connection: the uid that owns the peer's socket, read from
 * /proc/net/tcp and /proc/net/tcp6 (the peer's socket is the row whose local end is our remote end and
 * whose remote end is our local end). Works when both ends live in the network namespace this process
 * reads /proc/net from; for a peer behind a relay it names the relay's uid, and it answers `undefined`
 * when no row matches (another namespace, connection already gone, not Linux).
 */
import { readFile } from 'node:fs/promises';
import { isIPv4, isIPv6, type Socket } from 'node:net';

const PROC_TABLES = ['/proc/net/tcp', '/proc/net/tcp6'] as const;

export async function peerUidOf(socket: Socket): Promise<number | undefined> {
  const { remoteAddress, remotePort, localAddress, localPort } = socket;
  if (!remoteAddress || !remotePort || !localAddress || !localPort) return undefined;
  const peerLocal = endpointKey(remoteAddress, remotePort);
  const peerRemote = endpointKey(localAddress, localPort);
  if (!peerLocal || !peerRemote) return undefined;
  for (const table of PROC_TABLES) {
    let text: string;
    try {
      text = await readFile(table, 'latin1');
    } catch {
      continue;
    }
    const uid = findUid(text, peerLocal, peerRemote);
    if (uid !== undefined) return uid;
  }
  return undefined;
}

/** Scans one /proc/net/tcp{,6} table for the row `local -> remote`; exported for tests. */
export function findUid(table: string, local: string, remote: string): number | undefined {
  let lineStart = table.indexOf('\n') + 1; // skip the header
  while (lineStart > 0 && lineStart < table.length) {
    let lineEnd = table.indexOf('\n', lineStart);
    if (lineEnd === -1) lineEnd = table.length;
    const fields = table.slice(lineStart, lineEnd).trim().split(/\s+/);
    // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ...
    const rowLocal = fields[1];
    const rowRemote = fields[2];
    const uid = fields[7];
    if (rowLocal && rowRemote && uid !== undefined) {
      if (procEndpointKey(rowLocal) === local && procEndpointKey(rowRemote) === remote) return Number(uid);
    }
    lineStart = lineEnd + 1;
  }
  return undefined;
}

/**
 * A canonical `address:port` key: IPv4 and IPv4-mapped IPv6 (`::ffff:a.b.c.d`) become the same
 * `4:<8 hex>` form, other IPv6 addresses `6:<32 hex>`, both in network byte order.
 */
export function endpointKey(address: string, port: number): string | undefined {
  const bytes = isIPv4(address) ? ipv4Bytes(address) : isIPv6(address) ? ipv6Bytes(address) : undefined;
  if (!bytes) return undefined;
  return `${bytesKey(bytes)}:${port}`;
}

/** The same key from /proc's `HEXADDR:HEXPORT`, whose address words are in host (little-endian) order. */
export function procEndpointKey(field: string): string | undefined {
  const colon = field.indexOf(':');
  if (colon === -1) return undefined;
  const hex = field.slice(0, colon);
  const port = Number.parseInt(field.slice(colon + 1), 16);
  if ((hex.length !== 8 && hex.length !== 32) || !Number.isFinite(port)) return undefined;
  const bytes: number[] = [];
  for (let word = 0; word < hex.length; word += 8) {
    // Each 32-bit word is printed as %08X of a host-order (little-endian) value: reverse its bytes.
    for (let b = 3; b >= 0; b--) bytes.push(Number.parseInt(hex.slice(word + b * 2, word + b * 2 + 2), 16));
  }
  return `${bytesKey(bytes)}:${port}`;
}

function bytesKey(bytes: number[]): string {
  const mapped =
    bytes.length === 16 &&
    bytes.slice(0, 10).every((b) => b === 0) &&
    bytes[10] === 0xff &&
    bytes[11] === 0xff;
  const significant = mapped ? bytes.slice(12) : bytes;
  const family = significant.length === 4 ? '4' : '6';
  return `${family}:${significant.map((b) => b.toString(16).padStart(2, '0')).join('')}`;
}

function ipv4Bytes(address: string): number[] {
  return address.split('.').map(Number);
}

function ipv6Bytes(address: string): number[] | undefined {
  const zone = address.indexOf('%');
  let text = zone === -1 ? address : address.slice(0, zone);
  let tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  const last = text.slice(lastColon + 1);
  if (isIPv4(last)) {
    // Embedded IPv4 (e.g. ::ffff:127.0.0.1): its 4 bytes stand for the last two groups.
    tail = ipv4Bytes(last);
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parse = (part: string | undefined) =>
    part ? part.split(':').map((g) => Number.parseInt(g, 16)) : [];
  const head = parse(halves[0]);
  const rest = halves.length === 2 ? parse(halves[1]) : [];
  const zeros = 8 - head.length - rest.length;
  if (zeros < 0 || (halves.length === 1 && zeros !== 0)) return undefined;
  const groups = [...head, ...new Array<number>(zeros).fill(0), ...rest];
  const bytes: number[] = [];
  for (const g of groups) bytes.push((g >> 8) & 0xff, g & 0xff);
  if (tail.length === 4) bytes.splice(12, 4, ...tail);
  return bytes;
}
