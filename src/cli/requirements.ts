/**
 * What this machine has of what Lambent needs, for `lambent doctor`: the Node version, the
 * native SQLite binding, the tools the Linux sandbox runs, and the build tools better-sqlite3
 * needs where no prebuilt binary can be downloaded. Each line says what a missing piece costs.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { findTool } from '../sandbox/linux/tmp-volumes.js';

export interface Requirement {
  what: string;
  ok: boolean;
  /** What was found, or what is missing and what that costs. */
  detail: string;
}

const SUPPORTED_NODE_MAJORS = [20, 22, 24];

export function checkRequirements(): Requirement[] {
  const major = Number(process.versions.node.split('.')[0]);
  const out: Requirement[] = [
    {
      what: 'node',
      ok: SUPPORTED_NODE_MAJORS.includes(major),
      detail: `${process.version} at ${process.execPath} (supported: ${SUPPORTED_NODE_MAJORS.join(', ')})`,
    },
    sqlite(),
  ];
  const tool = (name: string, pkg: string, without: string): Requirement => {
    const at = findTool(name);
    return { what: name, ok: at !== undefined, detail: at ?? `not installed (Debian: ${pkg}): ${without}` };
  };
  out.push(
    tool('perl', 'perl-base', 'no Linux sandbox (functions run as plain processes)'),
    tool('mount', 'mount', 'no Linux sandbox'),
    tool('mkfs.ext4', 'e2fsprogs', "/tmp is tmpfs, counted in the function's memory"),
    {
      what: 'loop devices',
      ok: fs.existsSync('/dev/loop-control'),
      detail: fs.existsSync('/dev/loop-control')
        ? '/dev/loop-control'
        : "no /dev/loop-control: /tmp is tmpfs, counted in the function's memory",
    },
    tool('nft', 'nftables', "functions with outbound access share the host's network namespace"),
    tool('python3', 'python3', 'python3.x functions cannot run'),
  );
  // Only needed when npm install compiles better-sqlite3 (no prebuilt binary could be had).
  for (const name of ['make', 'g++']) {
    const r = tool(
      name,
      name === 'g++' ? 'g++' : 'make',
      'needed only to compile better-sqlite3 on npm install',
    );
    out.push({ ...r, ok: true });
  }
  return out;
}

function sqlite(): Requirement {
  try {
    const require = createRequire(import.meta.url);
    const Database = require('better-sqlite3') as new (file: string) => { close(): void };
    new Database(':memory:').close();
    const { version } = require('better-sqlite3/package.json') as { version: string };
    return { what: 'better-sqlite3', ok: true, detail: `${version}, native binding loads` };
  } catch (err) {
    return {
      what: 'better-sqlite3',
      ok: false,
      detail: `native binding does not load (${(err as Error).message.split('\n')[0]}): run npm install again with python3, make and g++ installed`,
    };
  }
}
