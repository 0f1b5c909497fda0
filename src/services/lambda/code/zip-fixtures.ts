/**
 * Test helper: builds zip archives byte by byte. yazl (used for well-formed archives) refuses
 * the hostile ones we must reject (`../` names, lying sizes, bad CRCs), so this writer does
 * exactly what it is told: any name, any unix mode, any claimed size or CRC.
 * (Named so that `node --test dist/` does not take it for a test file.)
 */
import { Readable } from 'node:stream';
import { crc32, deflateRawSync } from 'node:zlib';
import { ZipFile as YazlZipFile } from 'yazl';

export interface RawEntry {
  name: string | Buffer;
  data?: Buffer | string;
  /** 0 = stored, 8 = deflated (default). */
  method?: 0 | 8;
  /** Unix mode put in the external attributes (`mode << 16`), e.g. 0o100755 or 0o120777. */
  mode?: number;
  /** Claimed uncompressed size (both headers); default the true size. */
  declaredSize?: number;
  /** Claimed CRC-32; default the true one. */
  crc?: number;
  /** Put sizes and CRC in a data descriptor after the data (general purpose bit 3). */
  dataDescriptor?: boolean;
  /** Use these bytes as the stored/compressed data as they are (then give `crc`, `declaredSize`). */
  body?: Buffer;
  /** Extra general purpose flags, e.g. 0x0001 (encrypted). */
  flags?: number;
}

export const S_IFREG = 0o100000;
export const S_IFDIR = 0o040000;
export const S_IFLNK = 0o120000;

/** Builds an archive; `claimedEntryCount` overrides the end record's entry count. */
export function rawZip(entries: readonly RawEntry[], claimedEntryCount?: number): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = typeof e.name === 'string' ? Buffer.from(e.name, 'utf8') : e.name;
    const utf8 = typeof e.name === 'string' && /[^\x20-\x7e]/.test(e.name);
    const data = typeof e.data === 'string' ? Buffer.from(e.data) : (e.data ?? Buffer.alloc(0));
    const method = e.method ?? 8;
    const body = e.body ?? (method === 8 ? deflateRawSync(data) : data);
    const crc = e.crc ?? crc32(data);
    const size = e.declaredSize ?? data.length;
    const isDir = typeof e.name === 'string' && e.name.endsWith('/');
    const mode = e.mode ?? (isDir ? S_IFDIR | 0o755 : S_IFREG | 0o644);
    const flags = (e.dataDescriptor ? 0x0008 : 0) | (utf8 ? 0x0800 : 0) | (e.flags ?? 0);

    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(flags, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(0, 10); // time
    local.writeUInt16LE((45 << 9) | (1 << 5) | 1, 12); // date: 2025-01-01
    local.writeUInt32LE(e.dataDescriptor ? 0 : crc, 14);
    local.writeUInt32LE(e.dataDescriptor ? 0 : body.length, 18);
    local.writeUInt32LE(e.dataDescriptor ? 0 : size, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    const parts = [local, name, body];
    if (e.dataDescriptor) {
      const dd = Buffer.alloc(16);
      dd.writeUInt32LE(0x08074b50, 0);
      dd.writeUInt32LE(crc, 4);
      dd.writeUInt32LE(body.length, 8);
      dd.writeUInt32LE(size, 12);
      parts.push(dd);
    }
    const localBytes = Buffer.concat(parts);

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made by: unix, 2.0
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(flags, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt16LE(0, 12);
    central.writeUInt16LE((45 << 9) | (1 << 5) | 1, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    // extra length, comment length, disk number, internal attributes: 0
    central.writeUInt32LE(((mode << 16) | (isDir ? 0x10 : 0)) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    locals.push(localBytes);
    offset += localBytes.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(claimedEntryCount ?? entries.length, 8);
  end.writeUInt16LE(claimedEntryCount ?? entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

export interface YazlEntry {
  name: string;
  data?: Buffer | string;
  /** Unix mode incl. type bits, e.g. 0o100755. */
  mode?: number;
  /** Add as a stream: yazl then writes a data descriptor. */
  stream?: boolean;
  zip64?: boolean;
}

/** A well-formed archive written by yazl (a real zip writer), directories ending in '/'. */
export async function yazlZip(entries: readonly YazlEntry[]): Promise<Buffer> {
  const zip = new YazlZipFile();
  for (const e of entries) {
    const data = typeof e.data === 'string' ? Buffer.from(e.data) : (e.data ?? Buffer.alloc(0));
    const opts = { forceZip64Format: e.zip64 ?? false, ...(e.mode === undefined ? {} : { mode: e.mode }) };
    if (e.name.endsWith('/')) zip.addEmptyDirectory(e.name, e.mode === undefined ? {} : { mode: e.mode });
    else if (e.stream) zip.addReadStream(Readable.from([data]), e.name, opts);
    else zip.addBuffer(data, e.name, opts);
  }
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
