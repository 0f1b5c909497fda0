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

/** The principal a stored function-policy statement names, for RemovePermission's `lambda:Principal`. */
export type StatementPrincipal = (input: Record<string, unknown>, ctx: RequestContext) => string | undefined;

type ContextValues = Record<string, string | readonly string[]>;

/**
 * The condition keys the service authorization reference defines for Lambda's actions, where
 * our operations have the value:
 *
 * - `lambda:Principal`: AddPermission (the Principal given), RemovePermission (the principal of
 *   the statement being removed);
 * - `lambda:FunctionUrlAuthType`: AddPermission;
 * - `lambda:Layer` (every layer version ARN, for `ForAllValues`), `lambda:SubnetIds`,
 *   `lambda:SecurityGroupIds`: CreateFunction, UpdateFunctionConfiguration — `lambda:VpcIds` is
 *   not filled: it comes from the subnets' VPC, which Lambent does not know;
 * - `lambda:CodeSigningConfigArn`: CreateFunction;
 * - `aws:RequestTag/<key>` and `aws:TagKeys`: CreateFunction, TagResource, UntagResource.
 *
 * - `lambda:FunctionUrlAuthType`: CreateFunctionUrlConfig, UpdateFunctionUrlConfig (the AuthType
 *   given; an SCP can refuse public URLs with it);
 * - `lambda:FunctionArn`: the function URL config operations (the unqualified function's ARN).
 *
 * `lambda:FunctionArn` also belongs to event source mapping operations, which this service does
 * not have (yet). `lambda:SourceFunctionArn` is set for
 * every request signed with a function's execution-role credentials (src/iam/policy/evaluate.ts).
 */
export function lambdaContext(
  op: string,
  input: Record<string, unknown>,
  ctx: RequestContext,
  statementPrincipal?: StatementPrincipal,
): ContextValues {
  const out: ContextValues = {};
  const strings = (v: unknown): string[] =>
    Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  switch (op) {
    case 'AddPermission':
      if (typeof input.Principal === 'string') out['lambda:Principal'] = input.Principal;
      if (typeof input.FunctionUrlAuthType === 'string')
        out['lambda:FunctionUrlAuthType'] = input.FunctionUrlAuthType;
      break;
    case 'CreateFunctionUrlConfig':
    case 'UpdateFunctionUrlConfig':
    case 'GetFunctionUrlConfig':
    case 'DeleteFunctionUrlConfig':
    case 'ListFunctionUrlConfigs': {
      if (typeof input.AuthType === 'string') out['lambda:FunctionUrlAuthType'] = input.AuthType;
      const arn =
        typeof input.FunctionName === 'string'
          ? authzFunctionArn(input.FunctionName, undefined, scopeOf(ctx))
          : undefined;
      // The key names the function, never a qualifier.
      if (arn) out['lambda:FunctionArn'] = arn.split(':').slice(0, 7).join(':');
      break;
    }
    case 'RemovePermission': {
      const principal = statementPrincipal?.(input, ctx);
      if (principal !== undefined) out['lambda:Principal'] = principal;
      break;
    }
    case 'CreateFunction':
    case 'UpdateFunctionConfiguration': {
      if (input.Layers !== undefined) out['lambda:Layer'] = strings(input.Layers);
      const vpc = input.VpcConfig as { SubnetIds?: unknown; SecurityGroupIds?: unknown } | undefined;
      if (vpc?.SubnetIds !== undefined) out['lambda:SubnetIds'] = strings(vpc.SubnetIds);
      if (vpc?.SecurityGroupIds !== undefined) out['lambda:SecurityGroupIds'] = strings(vpc.SecurityGroupIds);
      if (typeof input.CodeSigningConfigArn === 'string')
        out['lambda:CodeSigningConfigArn'] = input.CodeSigningConfigArn;
      break;
    }
  }
  if ((op === 'CreateFunction' || op === 'TagResource') && input.Tags && typeof input.Tags === 'object') {
    const tags = input.Tags as Record<string, unknown>;
    for (const [k, v] of Object.entries(tags)) if (typeof v === 'string') out[`aws:RequestTag/${k}`] = v;
    out['aws:TagKeys'] = Object.keys(tags);
  }
  if (op === 'UntagResource') out['aws:TagKeys'] = strings(input.TagKeys);
  return out;
}

export function lambdaAuthz(op: Operation, statementPrincipal?: StatementPrincipal): OperationAuthz {
  return {
    action: ACTION_NAMES[op.name] ?? `lambda:${op.name}`,
    resources: (input, ctx) => lambdaResources(op.name, input, ctx),
    context: (input, ctx) => lambdaContext(op.name, input, ctx, statementPrincipal),
  };
}

/** Every operation with its IAM declaration attached. */
export function withAuthz(ops: readonly Operation[], statementPrincipal?: StatementPrincipal): Operation[] {
  return ops.map((op) => ({ ...op, authz: op.authz ?? lambdaAuthz(op, statementPrincipal) }));
}

/**
 * RemovePermission's `lambda:Principal`: the principal of the statement it removes, read from
 * the function's policy (one indexed row; only for IAM users and role sessions).
 */
export function statementPrincipals(store: Pick<LambdaStore, 'getPolicy'>): StatementPrincipal {
  return (input, ctx) => {
    const arn = lambdaResources('RemovePermission', input, ctx)[0];
    const m = arn ? FUNCTION_ARN.exec(arn) : null;
    if (!m) return undefined;
    const [, region, accountId, name, qualifier] = m as unknown as [string, string, string, string, string?];
    const policy = store.getPolicy({ accountId, region }, name, qualifier ?? '');
    const statement = policy?.statements.find((s) => s.Sid === input.StatementId);
    const p = statement?.Principal;
    if (p === undefined) return undefined;
    return typeof p === 'string' ? p : (p.Service ?? p.AWS);
  };
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
