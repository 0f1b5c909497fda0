/**
 * A minimal zip writer for parity tests that need exact or extreme sizes: stored (uncompressed)
 * entries of a known total size, or one deflated chunk repeated under many names (a small zip
 * that unzips to hundreds of MB). No extra fields, no data descriptors, so sizes are predictable:
 * each entry costs 30 + 46 + 2 × name bytes of headers, plus 22 bytes of end record.
 */
import zlib from 'node:zlib';

export interface ZipEntry {
  name: string;
  /** Bytes as stored in the archive. */
  data: Buffer;
  /** 0 = stored, 8 = deflated. */
  method: 0 | 8;
  crc: number;
  uncompressedSize: number;
}

export function storedEntry(name: string, content: Buffer | string): ZipEntry {
  const data = Buffer.isBuffer(content) ? content : Buffer.from(content);
  return { name, data, method: 0, crc: zlib.crc32(data) >>> 0, uncompressedSize: data.length };
}

export function deflatedEntry(name: string, content: Buffer): ZipEntry {
  return {
    name,
    data: zlib.deflateRawSync(content),
    method: 8,
    crc: zlib.crc32(content) >>> 0,
    uncompressedSize: content.length,
  };
}

const DOS_TIME = 0; // 00:00:00
const DOS_DATE = ((2024 - 1980) << 9) | (1 << 5) | 1; // 2024-01-01

export function buildZip(entries: readonly ZipEntry[]): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(e.method, 8);
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(e.crc, 14);
    local.writeUInt32LE(e.data.length, 18);
    local.writeUInt32LE(e.uncompressedSize, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    parts.push(local, name, e.data);

    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE((3 << 8) | 20, 4); // made by unix, 2.0
    cd.writeUInt16LE(20, 6);
    cd.writeUInt16LE(0x0800, 8);
    cd.writeUInt16LE(e.method, 10);
    cd.writeUInt16LE(DOS_TIME, 12);
    cd.writeUInt16LE(DOS_DATE, 14);
    cd.writeUInt32LE(e.crc, 16);
    cd.writeUInt32LE(e.data.length, 20);
    cd.writeUInt32LE(e.uncompressedSize, 24);
    cd.writeUInt16LE(name.length, 28);
    cd.writeUInt16LE(0, 30); // extra
    cd.writeUInt16LE(0, 32); // comment
    cd.writeUInt16LE(0, 34); // disk
    cd.writeUInt16LE(0, 36); // internal attrs
    cd.writeUInt32LE((0o100644 << 16) >>> 0, 38); // external attrs: regular file, rw-r--r--
    cd.writeUInt32LE(offset, 42);
    central.push(cd, name);
    offset += 30 + name.length + e.data.length;
  }
  const centralSize = central.reduce((n, b) => n + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, ...central, end]);
}

/** A one-file stored zip of exactly `totalBytes`, the file `prefix` padded with `pad`. */
export function zipOfExactSize(fileName: string, prefix: string, totalBytes: number, pad = '#'): Buffer {
  const overhead = 98 + 2 * Buffer.byteLength(fileName);
  const contentLength = totalBytes - overhead;
  if (contentLength < Buffer.byteLength(prefix))
    throw new Error(`${totalBytes} bytes is too small for ${fileName}`);
  const content = Buffer.concat([
    Buffer.from(prefix),
    Buffer.alloc(contentLength - Buffer.byteLength(prefix), pad),
  ]);
  const zip = buildZip([storedEntry(fileName, content)]);
  if (zip.length !== totalBytes) throw new Error(`zip is ${zip.length} bytes, wanted ${totalBytes}`);
  return zip;
}
