/**
 * Resolves the layer version ARNs a function references: AWS's syntactic checks (at most
 * five, same region, no two versions of one layer) in identifiers.ts, then existence here.
 */
import { InvalidParameterValueException } from './errors.js';
import { parseFunctionLayers } from './identifiers.js';
import type { LambdaStore, Scope } from './store.js';

export interface ResolvedLayer {
  arn: string;
  name: string;
  version: number;
  codeSize: number;
  unzippedSize: number;
  codeKey: string | undefined;
}

export function resolveLayers(
  store: LambdaStore,
  scope: Scope,
  arns: readonly string[],
  options: { allowDeleted?: boolean } = {},
): ResolvedLayer[] {
  return parseFunctionLayers(arns, scope).map((parsed, i) => {
    const arn = arns[i] ?? '';
    const stored = store.getLayerVersion(scope, parsed.layerName, parsed.version);
    if (!stored) {
      // A function keeps working with a layer version deleted after it was attached.
      if (options.allowDeleted) {
        return {
          arn,
          name: parsed.layerName,
          version: parsed.version,
          codeSize: 0,
          unzippedSize: 0,
          codeKey: undefined,
        };
      }
      throw new InvalidParameterValueException(`Layer version ${arn} does not exist.`);
    }
    return {
      arn,
      name: parsed.layerName,
      version: parsed.version,
      codeSize: stored.config.Content.CodeSize,
      unzippedSize: stored.config._unzippedSize,
      codeKey: stored.codeKey,
    };
  });
}
