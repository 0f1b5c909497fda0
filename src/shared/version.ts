/** The package version, read once from the nearest package.json above this module. */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findPackageJson(from: string): string {
  let dir = from;
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('package.json not found');
    dir = parent;
  }
  return path.join(dir, 'package.json');
}

const pkg = JSON.parse(
  readFileSync(findPackageJson(path.dirname(fileURLToPath(import.meta.url))), 'utf8'),
) as {
  version: string;
};
export const VERSION: string = pkg.version;
