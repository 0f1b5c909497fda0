/**
 * What IAM checks for each Lambda operation (AWS's Service Authorization Reference for
 * Lambda): the action, and the resource ARN the request names — the function (qualified when
 * the request names a version or alias), the layer or layer version, the tagged resource, or
 * `*` for account-wide operations. Actions are `lambda:<Operation>` except where AWS names
 * them otherwise (ACTION_NAMES).
 */
import { type CompiledPolicy, compilePolicy, parsePolicyDocument } from '../../iam/policy/index.js';
import type { Operation, OperationAuthz, RequestContext } from '../../protocols/types.js';
import { scopeOf } from './deps.js';
import { authzFunctionArn, layerArn, layerVersionArn } from './identifiers.js';
import type { LambdaStore } from './store.js';

const ACTION_NAMES: Readonly<Record<string, string>> = {
  Invoke: 'lambda:InvokeFunction',
  InvokeWithResponseStream: 'lambda:InvokeFunction',
  GetLayerVersionByArn: 'lambda:GetLayerVersion',
};

/** Operations that name no resource: IAM checks them against `*`. */
const ACCOUNT_WIDE = new Set(['ListFunctions', 'GetAccountSettings', 'ListLayers', 'ListLayerVersions']);

/** The ARN(s) a Lambda request touches, read from its (decoded, validated) input. */
export function lambdaResources(op: string, input: Record<string, unknown>, ctx: RequestContext): string[] {
  if (ACCOUNT_WIDE.has(op)) return ['*'];
  const scope = scopeOf(ctx);
  const str = (k: string) => (typeof input[k] === 'string' ? (input[k] as string) : undefined);
  const resource = str('Resource') ?? str('Arn');
  if (resource) return [resource];
  const fn = str('FunctionName');
  if (fn !== undefined) return [authzFunctionArn(fn, str('Qualifier'), scope) ?? '*'];
  const layer = str('LayerName');
  if (layer === undefined) return ['*'];
  const version = typeof input.VersionNumber === 'number' ? input.VersionNumber : undefined;
  if (layer.startsWith('arn:')) return [version === undefined ? layer : `${layer}:${version}`];
  if (!/^[a-zA-Z0-9-_]+$/.test(layer)) return ['*'];
  return [version === undefined ? layerArn(scope, layer) : layerVersionArn(scope, layer, version)];
}

export function lambdaAuthz(op: Operation): OperationAuthz {
  return {
    action: ACTION_NAMES[op.name] ?? `lambda:${op.name}`,
    resources: (input, ctx) => lambdaResources(op.name, input, ctx),
  };
}

/** Every operation with its IAM declaration attached. */
export function withAuthz(ops: readonly Operation[]): Operation[] {
  return ops.map((op) => ({ ...op, authz: op.authz ?? lambdaAuthz(op) }));
}

const FUNCTION_ARN = /^arn:aws[a-z-]*:lambda:([a-z0-9-]+):(\d{12}):function:([^:]+)(?::([^:]+))?$/;
const MAX_COMPILED = 1000;

/**
 * Function policies (AddPermission) as the evaluator's resource policies. The policy is read
 * from the store each time (one indexed row; only requests of IAM users and role sessions get
 * here, never the root keys'), and compiled once per distinct text.
 */
export function functionPolicies(
  store: Pick<LambdaStore, 'getPolicy'>,
): (arn: string) => CompiledPolicy | undefined {
  const compiled = new Map<string, CompiledPolicy>();
  return (arn) => {
    const m = FUNCTION_ARN.exec(arn);
    if (!m) return undefined;
    const [, region, accountId, name, qualifier] = m as unknown as [string, string, string, string, string?];
    const policy = store.getPolicy({ accountId, region }, name, qualifier ?? '');
    if (!policy) return undefined;
    const text = JSON.stringify({ Version: '2012-10-17', Statement: policy.statements });
    let found = compiled.get(text);
    if (!found) {
      if (compiled.size >= MAX_COMPILED) compiled.clear();
      found = compilePolicy(parsePolicyDocument(text, { kind: 'resource' }));
      compiled.set(text, found);
    }
    return found;
  };
}
