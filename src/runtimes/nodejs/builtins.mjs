// Node built-ins loaded through require(), not `import`: an ESM import of a built-in evaluates every
// getter on it, and node:fs's getters alone load all of node:stream (~5-7 ms of every cold start).

import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export const fs = require('node:fs');
export const net = require('node:net');
export const path = require('node:path');
export const url = require('node:url');
export const util = require('node:util');
export const Module = require('node:module');
