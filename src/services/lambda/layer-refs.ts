/**
 * Resolves the layer version ARNs a function references, with AWS's checks: at most five,
 * same region, each existing, no two versions of one layer.
 */
import { InvalidParameterValueException } from './errors.js';
import { parseLayerVersionArn } from './identifiers.js';
import type { LambdaStore, Scope } from './store.js';

export interface ResolvedLayer {
  arn: string;
  name: string;
  version: number;
  codeSize: number;
  unzippedSize: number;
  codeKey: string | undefined;
}

export const MAX_LAYERS = 5;

export function resolveLayers(
  store: LambdaStore,
  scope: Scope,
  arns: readonly string[],
  options: { allowDeleted?: boolean } = {},
): ResolvedLayer[] {
  if (arns.length > MAX_LAYERS) throw new InvalidParameterValueException('Cannot reference more than 5 layers.');
  const seen = new Map<string, string>();
  return arns.map((arn) => {
    const parsed = parseLayerVersionArn(arn, scope);
    const earlier = seen.get(parsed.layerName);
    if (earlier) {
      throw new InvalidParameterValueException(
        `Two different versions of the same layer are not allowed to be referenced in the same function. ${earlier} and ${arn} are versions of the same layer.`,
      );
    }
    seen.set(parsed.layerName, arn);
    const stored = store.getLayerVersion(scope, parsed.layerName, parsed.version);
    if (!stored) {
      // A function keeps working with a layer version deleted after it was attached.
      if (options.allowDeleted) {
        return { arn, name: parsed.layerName, version: parsed.version, codeSize: 0, unzippedSize: 0, codeKey: undefined };
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
