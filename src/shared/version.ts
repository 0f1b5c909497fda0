/** The package version and root, read once from the nearest package.json above this module. */
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

const packageJson = findPackageJson(path.dirname(fileURLToPath(import.meta.url)));
const pkg = JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string };
export const VERSION: string = pkg.version;
/** The installed package's root (where src/runtimes lives, shipped as plain JS/Python). */
export const packageRoot: string = path.dirname(packageJson);
