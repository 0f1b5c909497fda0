/** Builds small, real zip files for tests with yazl. */
import yazl from 'yazl';

export function zipOf(
  files: Record<string, string | Buffer>,
  modes: Record<string, number> = {},
): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const [name, content] of Object.entries(files)) {
    zip.addBuffer(Buffer.isBuffer(content) ? content : Buffer.from(content), name, {
      mode: modes[name] ?? 0o100644,
      mtime: new Date('2024-01-01T00:00:00Z'),
    });
  }
  zip.end();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    zip.outputStream.on('data', (c: Buffer) => chunks.push(c));
    zip.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
    zip.outputStream.on('error', reject);
  });
}

export const NODE_HANDLER = 'exports.handler = async (event) => ({ ok: true, event });\n';
