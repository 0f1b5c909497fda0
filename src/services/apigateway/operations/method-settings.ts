/**
 * A stage's method settings (UpdateStage paths `/{resourcePath}/{httpMethod}/<group>/<name>`,
 * `*` `/` `*` for all methods): stored and returned as AWS returns them, not enforced (no
 * throttling, caching or execution logging happens). A new entry for one method starts from
 * the `*` `/` `*` entry when there is one (recorded: `test/GET` inherits `cachingEnabled`).
 */
import { BadRequestException } from '../errors.js';
import { unescapePointer } from './define.js';

export type MethodSetting = Record<string, string | number | boolean>;

const DEFAULTS: MethodSetting = {
  metricsEnabled: false,
  dataTraceEnabled: false,
  throttlingBurstLimit: 5000,
  throttlingRateLimit: 10000,
  cachingEnabled: false,
  cacheTtlInSeconds: 300,
  cacheDataEncrypted: false,
  requireAuthorizationForCacheControl: true,
  unauthorizedCacheControlHeaderStrategy: 'SUCCEED_WITH_RESPONSE_HEADER',
};

const FIELDS: Readonly<Record<string, [string, 'boolean' | 'integer' | 'double' | 'string']>> = {
  'metrics/enabled': ['metricsEnabled', 'boolean'],
  'logging/dataTrace': ['dataTraceEnabled', 'boolean'],
  'logging/loglevel': ['loggingLevel', 'string'],
  'throttling/burstLimit': ['throttlingBurstLimit', 'integer'],
  'throttling/rateLimit': ['throttlingRateLimit', 'double'],
  'caching/ttlInSeconds': ['cacheTtlInSeconds', 'integer'],
  'caching/enabled': ['cachingEnabled', 'boolean'],
  'caching/dataEncrypted': ['cacheDataEncrypted', 'boolean'],
  'caching/requireAuthorizationForCacheControl': ['requireAuthorizationForCacheControl', 'boolean'],
  'caching/unauthorizedCacheControlHeaderStrategy': ['unauthorizedCacheControlHeaderStrategy', 'string'],
};

/**
 * Applies one patch operation if its path is a method setting; returns false when it is not
 * (the caller reports the invalid path).
 */
export function applyMethodSetting(
  settings: Record<string, MethodSetting>,
  op: string,
  path: string,
  value: string | undefined,
): boolean {
  const parts = path.split('/').slice(1);
  if (parts.length !== 2 && parts.length !== 4) return false;
  const [resource, method, group, name] = parts as [string, string, string?, string?];
  const key = `${unescapePointer(resource).replace(/^\//, '')}/${method}`;
  if (parts.length === 2) {
    if (op !== 'remove') return false;
    if (!settings[key]) {
      throw new BadRequestException(
        `Cannot remove method setting ${key} because there is no method setting for this method `,
      );
    }
    delete settings[key];
    return true;
  }
  const field = FIELDS[`${group}/${name}`];
  if (!field) return false;
  const [member, type] = field;
  const entry = settings[key] ?? { ...(settings['*/*'] ?? DEFAULTS) };
  if (op === 'remove') {
    delete entry[member];
  } else {
    const v = value ?? '';
    if (type === 'boolean') entry[member] = v === 'true';
    else if (type === 'integer' || type === 'double') {
      const n = Number(v);
      if (v === '' || !Number.isFinite(n) || (type === 'integer' && !Number.isInteger(n))) {
        throw new BadRequestException(`Invalid value for ${member}: ${v}`);
      }
      entry[member] = n;
    } else entry[member] = v;
  }
  settings[key] = entry;
  return true;
}
