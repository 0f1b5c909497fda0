// Finds and loads the handler named by _HANDLER the way AWS's Node runtime does:
//   "dir/sub/file.fn.nested" -> module root "dir/sub/", module "file", function path "fn.nested"
// and, relative to LAMBDA_TASK_ROOT: an extensionless file (require), "file.js" (require, or import when
// the nearest package.json says "type": "module"), "file.mjs" (import), "file.cjs" (require), then the
// module name resolved like require() from the task root (node_modules).

import { fs, Module, path, url } from './builtins.mjs';
import {
  HandlerNotFound,
  ImportModuleError,
  MalformedHandlerName,
  MalformedStreamingHandler,
  UserCodeSyntaxError,
} from './errors.mjs';

const { existsSync, readFileSync } = fs;
const { basename, dirname, join, resolve } = path;
const { pathToFileURL } = url;

const FUNCTION_EXPR = /^([^.]*)\.(.*)$/;
export const HANDLER_STREAMING = Symbol.for('aws.lambda.runtime.handler.streaming');
export const HANDLER_HIGHWATERMARK = Symbol.for('aws.lambda.runtime.handler.streaming.highWaterMark');
export const STREAM_RESPONSE = 'response';

// Requires are made "from" the runtime's index.mjs so that a missing module reads as on Lambda:
// "Error: Cannot find module 'index'\nRequire stack:\n- /var/runtime/index.mjs".
const runtimeDir = process.env.LAMBDA_RUNTIME_DIR || '/var/runtime';
const require = Module.createRequire(join(runtimeDir, 'index.mjs'));

/**
 * @param {string} appRoot LAMBDA_TASK_ROOT
 * @param {string} fullHandlerString _HANDLER
 * @param {{ defaultExportFallback?: boolean }} options nodejs24.x also looks in the module's default export
 */
export async function load(appRoot, fullHandlerString, options = {}) {
  if (fullHandlerString.includes('..')) {
    throw new MalformedHandlerName(
      `'${fullHandlerString}' is not a valid handler name. Use absolute paths when specifying root directories in handler names.`,
    );
  }
  const handlerString = basename(fullHandlerString);
  const moduleRoot = fullHandlerString.substring(0, fullHandlerString.indexOf(handlerString));
  const match = handlerString.match(FUNCTION_EXPR);
  if (match?.length !== 3) throw new MalformedHandlerName('Bad handler');
  const [, moduleName, handlerPath] = match;

  const userApp = await loadUserApp(appRoot, moduleRoot, moduleName);
  let handler = resolveHandler(userApp, handlerPath);
  if (
    !handler &&
    options.defaultExportFallback &&
    userApp &&
    typeof userApp === 'object' &&
    'default' in userApp
  ) {
    handler = resolveHandler(userApp.default, handlerPath);
  }
  if (!handler) throw new HandlerNotFound(`${fullHandlerString} is undefined or not exported`);
  if (typeof handler !== 'function') throw new HandlerNotFound(`${fullHandlerString} is not a function`);
  return handler;
}

export function handlerMetadata(handler) {
  const streaming = handler[HANDLER_STREAMING];
  if (streaming && streaming !== STREAM_RESPONSE) {
    throw new MalformedStreamingHandler('Only response streaming is supported.');
  }
  const hwm = Number.parseInt(handler[HANDLER_HIGHWATERMARK], 10);
  let isAsync = false;
  try {
    isAsync = handler.constructor?.name === 'AsyncFunction';
  } catch {}
  return {
    streaming: streaming === STREAM_RESPONSE,
    highWaterMark: Number.isNaN(hwm) ? undefined : hwm,
    isAsync,
    argsNum: handler.length,
  };
}

function resolveHandler(object, nestedProperty) {
  return nestedProperty.split('.').reduce((nested, key) => nested?.[key], object);
}

async function loadUserApp(appRoot, moduleRoot, moduleName) {
  try {
    return await tryLoad(appRoot, moduleRoot, moduleName);
  } catch (e) {
    if (e instanceof SyntaxError) throw new UserCodeSyntaxError(e);
    if (e?.code === 'MODULE_NOT_FOUND') throw new ImportModuleError(e);
    throw e;
  }
}

async function tryLoad(appRoot, moduleRoot, moduleName) {
  const lambdaStylePath = resolve(appRoot, moduleRoot, moduleName);
  const requireIfExists = (ext) =>
    existsSync(lambdaStylePath + ext) ? require(lambdaStylePath + ext) : undefined;
  const importIfExists = async (ext) =>
    existsSync(lambdaStylePath + ext) ? await import(pathToFileURL(lambdaStylePath + ext).href) : undefined;

  const extensionless = requireIfExists('');
  if (extensionless) return extensionless;

  const typeModule = hasTypeModule(dirname(lambdaStylePath));
  if (!typeModule) {
    const loaded = requireIfExists('.js');
    if (loaded) return loaded;
  }
  const loaded =
    (typeModule && (await importIfExists('.js'))) ||
    (await importIfExists('.mjs')) ||
    requireIfExists('.cjs');
  if (loaded) return loaded;

  // Not a file next to the task root: resolve it like require() would (e.g. a package in node_modules).
  return require(require.resolve(moduleName, { paths: [appRoot, resolve(appRoot, moduleRoot)] }));
}

/** The nearest package.json's "type" decides (a node_modules folder or / ends the search). */
function hasTypeModule(folder) {
  for (let dir = folder; ; dir = resolve(dir, '..')) {
    if (dir.endsWith('/node_modules')) return false;
    const pj = join(dir, 'package.json');
    if (existsSync(pj)) {
      try {
        return JSON.parse(readFileSync(pj, 'utf8'))?.type === 'module';
      } catch (e) {
        console.warn(`${pj} cannot be read, it will be ignored for ES module detection purposes.`, e);
        return false;
      }
    }
    if (dir === '/') return false;
  }
}
