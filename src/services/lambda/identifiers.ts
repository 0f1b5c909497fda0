/**
 * Lambda identifiers: function names / partial ARNs / full ARNs with qualifiers, layer ARNs,
 * taggable resource ARNs, and the small name validators (alias, statement id, role), with the
 * error types and messages real AWS Lambda returns (see `test_lambda_api.snapshot.json`).
 *
 * Why patterns are kept as AWS's own strings: the ValidationException message quotes the
 * pattern verbatim, so the string is both the matcher (compiled with Java `matches()`
 * semantics, i.e. anchored) and the message text — they can never drift apart.
 *
 * Inferred, not recorded (documented so they can be checked against AWS later):
 * - which part a create-time "length ≤ 64" IPVE quotes when the input is an ARN (we quote the name);
 * - the order of the region/account/name-length/qualifier-mismatch checks after validation;
 * - max 256 for namespaced names (service model; recorded: 233 characters pass);
 * - `my-app-1:live` read as NAME:QUALIFIER rather than REGION:NAME (see splitFunctionName);
 * - the unqualified-name, plain/published qualifier and LayerName patterns (taken from the
 *   service model, without the `(eusc-)?` AWS added to the recorded ones, except unqualified).
 */
import {
  AccessDeniedException,
  InvalidParameterValueException,
  ResourceNotFoundException,
  ValidationException,
  validationMessage,
} from './errors.js';

export const PARTITION = 'aws';

/** The caller's account and region (from the request's credentials and SigV4 scope). */
export interface Scope {
  accountId: string;
  region: string;
}

/** A resolved function reference; `qualifier` is `$LATEST`, a version number, or an alias name. */
export interface FunctionRef {
  name: string;
  qualifier?: string;
}

/**
 * Operations whose identifier handling differs: `create` validates against the CreateFunction
 * shape and limits the name to 64; `delete` refuses `$LATEST` and aliases up front;
 * `get`/`delete`/`invoke` differ in the ARN their "Function not found" message quotes.
 */
export type FunctionOp = 'get' | 'delete' | 'invoke' | 'create' | 'other';

// ---------------------------------------------------------------------------------------------
// AWS's patterns (the recorded message text), and constraint checking with AWS's wording.

const REGION = String.raw`((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?`;
const PREFIX = String.raw`(arn:(aws[a-zA-Z-]*)?:lambda:)?${REGION}(\d{12}:)?(function:)?`;

/** GetFunction, Invoke, DeleteFunction, AddPermission, event-invoke configs, ESMs, ... (max 256). */
export const NAMESPACED_FUNCTION_NAME_PATTERN = String.raw`${PREFIX}([a-zA-Z0-9-_\.]+)(:(\$LATEST(\.PUBLISHED)?|[a-zA-Z0-9-_]+))?`;
/** CreateFunction, aliases, URL configs, concurrency, PublishVersion, Update* (max 140). */
export const FUNCTION_NAME_PATTERN = String.raw`${PREFIX}([a-zA-Z0-9-_]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?`;
/** Recursion and scaling configs (max 140). */
export const UNQUALIFIED_FUNCTION_NAME_PATTERN = `${PREFIX}([a-zA-Z0-9-_]+)`;

/** The `Qualifier` query parameter of most function operations. */
export const QUALIFIER_PATTERN = String.raw`\$(LATEST(\.PUBLISHED)?)|[a-zA-Z0-9-_$]+`;
/** Function URL configs: an alias only (not a number, not `$LATEST`). */
export const URL_QUALIFIER_PATTERN = String.raw`((?!^\d+$)^[0-9a-zA-Z-_]+$)`;
/** Provisioned concurrency configs. */
export const PLAIN_QUALIFIER_PATTERN = '(|[a-zA-Z0-9$_-]+)';
/** Scaling configs. */
export const PUBLISHED_QUALIFIER_PATTERN = String.raw`(\$LATEST\.PUBLISHED|[0-9]+)`;

export const ALIAS_NAME_PATTERN = '(?!^[0-9]+$)([a-zA-Z0-9-_]+)';
export const STATEMENT_ID_PATTERN = '([a-zA-Z0-9-_]+)';
/** RemovePermission's statement id also allows dots. */
export const NAMESPACED_STATEMENT_ID_PATTERN = '([a-zA-Z0-9-_.]+)';
export const ROLE_ARN_PATTERN = String.raw`arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+`;
export const LAYER_VERSION_ARN_PATTERN = String.raw`(arn:(aws[a-zA-Z-]*)?:lambda:(eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:\d{12}:layer:[a-zA-Z0-9-_]+:[0-9]+)|(arn:[a-zA-Z0-9-]+:lambda:::awslayer:[a-zA-Z0-9-_]+)`;
export const LAYER_NAME_PATTERN = String.raw`(arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\d{12}:layer:[a-zA-Z0-9-_]+)|[a-zA-Z0-9-_]+`;
export const TAGGABLE_RESOURCE_PATTERN = String.raw`arn:(aws[a-zA-Z-]*):lambda:(eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:\d{12}:(function:[a-zA-Z0-9-_]+(:(\$LATEST|[a-zA-Z0-9-_]+))?|layer:([a-zA-Z0-9-_]+)|code-signing-config:csc-[a-z0-9]{17}|event-source-mapping:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|capacity-provider:[a-zA-Z0-9-_]+)`;

/** A string member's modeled constraints. */
export interface StringShape {
  min?: number;
  max?: number;
  pattern?: string;
}

const compiled = new Map<string, RegExp>();
/** Java's `String.matches`: the whole value must match. */
function matchesWhole(pattern: string, value: string): boolean {
  let re = compiled.get(pattern);
  if (!re) {
    re = new RegExp(`^(?:${pattern})$`);
    compiled.set(pattern, re);
  }
  return re.test(value);
}

/** The "Value '...' at 'field' failed to satisfy constraint: ..." lines for one member, in AWS's order. */
export function constraintFailures(field: string, value: string, shape: StringShape): string[] {
  const at = `Value '${value}' at '${field}' failed to satisfy constraint: Member must`;
  const failures: string[] = [];
  if (shape.max !== undefined && value.length > shape.max) {
    failures.push(`${at} have length less than or equal to ${shape.max}`);
  }
  if (shape.min !== undefined && value.length < shape.min) {
    failures.push(`${at} have length greater than or equal to ${shape.min}`);
  }
  if (shape.pattern !== undefined && !matchesWhole(shape.pattern, value)) {
    failures.push(`${at} satisfy regular expression pattern: ${shape.pattern}`);
  }
  return failures;
}

/** Throws AWS's ValidationException ("N validation error(s) detected: ...") if there are failures. */
export function throwIfInvalid(failures: readonly string[]): void {
  if (failures.length > 0) throw new ValidationException(validationMessage(failures));
}

export const NAME_SHAPES = {
  namespaced: { min: 1, max: 256, pattern: NAMESPACED_FUNCTION_NAME_PATTERN },
  function: { min: 1, max: 140, pattern: FUNCTION_NAME_PATTERN },
  unqualified: { min: 1, max: 140, pattern: UNQUALIFIED_FUNCTION_NAME_PATTERN },
} as const satisfies Record<string, StringShape>;

export const QUALIFIER_SHAPES = {
  namespaced: { min: 1, max: 128, pattern: QUALIFIER_PATTERN },
  url: { min: 1, max: 128, pattern: URL_QUALIFIER_PATTERN },
  plain: { min: 1, max: 128, pattern: PLAIN_QUALIFIER_PATTERN },
  published: { min: 1, max: 128, pattern: PUBLISHED_QUALIFIER_PATTERN },
} as const satisfies Record<string, StringShape>;

export type FunctionNameShape = keyof typeof NAME_SHAPES;
export type QualifierShape = keyof typeof QUALIFIER_SHAPES;

// ---------------------------------------------------------------------------------------------
// Functions.

/** Splits a name that already passed validation, with the groups of AWS's patterns in the same
 * order (so the same backtracking choices: `123456789012:f` is account + name). */
const FUNCTION_REF_RE =
  /^(?<arn>arn:(?:aws[a-zA-Z-]*)?:lambda:)?(?:(?<region>(?:eusc-)?[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d):)?(?:(?<account>\d{12}):)?(?<prefix>function:)?(?<name>[a-zA-Z0-9_.-]+)(?::(?<qualifier>\$LATEST(?:\.PUBLISHED)?|[a-zA-Z0-9_-]+))?$/;
/** The documented shorthand NAME[:QUALIFIER]. */
const SHORTHAND_RE = /^(?<name>[a-zA-Z0-9_.-]+)(?::(?<qualifier>\$LATEST(?:\.PUBLISHED)?|[a-zA-Z0-9_-]+))?$/;

/**
 * Taken literally, the patterns read `my-app-1:live` as region `my-app-1` + name `live`, a form
 * AWS documents nowhere, while NAME:QUALIFIER is documented (and recorded with names such as
 * `fn-eventinvoke-<uid>:1`). A region therefore only counts inside an ARN or before an account
 * or `function:`; otherwise the input is read as NAME:QUALIFIER (for shapes that allow one).
 */
function splitFunctionName(
  input: string,
  qualified: boolean,
): { region?: string; account?: string; name?: string; qualifier?: string } {
  const g = FUNCTION_REF_RE.exec(input)?.groups ?? {};
  const bareRegion = g.region !== undefined && g.arn === undefined && g.account === undefined;
  if (qualified && bareRegion && g.prefix === undefined) {
    const shorthand = SHORTHAND_RE.exec(input)?.groups;
    if (shorthand) return shorthand;
  }
  return g;
}

/**
 * The ARN IAM checks for a FunctionName as given (name, partial or full ARN, `name:qualifier`),
 * with the Qualifier parameter if any; undefined when no function name can be read from it.
 * Lenient by design: validation with AWS's messages is parseFunctionRef's job, later.
 */
export function authzFunctionArn(
  input: string,
  qualifier: string | undefined,
  scope: Scope,
): string | undefined {
  const g = splitFunctionName(input, true);
  if (!g.name) return undefined;
  const q = qualifier ?? g.qualifier;
  const region = g.region ?? scope.region;
  const account = g.account ?? scope.accountId;
  return `arn:${PARTITION}:lambda:${region}:${account}:function:${g.name}${q ? `:${q}` : ''}`;
}

const MAX_CREATE_NAME = 64;

export interface ParseFunctionOptions {
  /** Model shape of FunctionName. Default: `function` for create, else `namespaced`.
   * `function`: aliases, URL configs, concurrency, provisioned concurrency, PublishVersion,
   * UpdateFunctionCode/Configuration. `unqualified`: recursion and scaling configs. */
  name?: FunctionNameShape;
  /** Model shape of Qualifier. Default `namespaced`; `url` for URL configs, `plain` for
   * provisioned concurrency, `published` for scaling configs. */
  qualifier?: QualifierShape;
}

/**
 * Validates and resolves a FunctionName (+ optional Qualifier parameter) the way AWS does:
 * 1. ValidationException listing every failed constraint, Qualifier's before FunctionName's;
 * 2. an ARN for another region → 404 "Functions from 'X' are not reachable in this region ('Y')",
 *    for another account → 403 AccessDeniedException (no cross-account resource policies yet);
 * 3. create: a name over 64 characters → InvalidParameterValueException;
 * 4. a qualifier in the name that differs from Qualifier → InvalidParameterValueException;
 * 5. delete: `$LATEST` or an alias → InvalidParameterValueException.
 * CreateFunction accepts a qualifier in the name (AWS creates it); it is returned, callers ignore it.
 */
export function parseFunctionRef(
  input: string,
  qualifierParam: string | undefined,
  scope: Scope,
  op: FunctionOp,
  options: ParseFunctionOptions = {},
): FunctionRef {
  const failures: string[] = [];
  if (qualifierParam !== undefined) {
    failures.push(
      ...constraintFailures('qualifier', qualifierParam, QUALIFIER_SHAPES[options.qualifier ?? 'namespaced']),
    );
  }
  const nameShape = NAME_SHAPES[options.name ?? (op === 'create' ? 'function' : 'namespaced')];
  failures.push(...constraintFailures('functionName', input, nameShape));
  throwIfInvalid(failures);

  const groups = splitFunctionName(input, nameShape !== NAME_SHAPES.unqualified);
  const name = groups.name;
  if (name === undefined) throw new Error(`unreachable: '${input}' passed validation but did not parse`);
  checkScope(groups.region, groups.account, scope);

  if (op === 'create' && name.length > MAX_CREATE_NAME) {
    throw new InvalidParameterValueException(
      validationMessage([
        `Value '${name}' at 'functionName' failed to satisfy constraint: Member must have length less than or equal to ${MAX_CREATE_NAME}`,
      ]),
    );
  }
  const derived = groups.qualifier;
  if (derived !== undefined && qualifierParam !== undefined && derived !== qualifierParam) {
    throw new InvalidParameterValueException(
      'The derived qualifier from the function name does not match the specified qualifier.',
    );
  }
  const qualifier = qualifierParam ?? derived;
  if (op === 'delete' && qualifier !== undefined) {
    const kind = qualifierKind(qualifier);
    if (kind === 'latest') {
      throw new InvalidParameterValueException(
        '$LATEST version cannot be deleted without deleting the function.',
      );
    }
    if (kind === 'alias')
      throw new InvalidParameterValueException('Deletion of aliases is not currently supported.');
  }
  return qualifier === undefined ? { name } : { name, qualifier };
}

/** Region and account named in an ARN must be the caller's. */
function checkScope(region: string | undefined, accountId: string | undefined, scope: Scope): void {
  if (region !== undefined && region !== scope.region) {
    throw new ResourceNotFoundException(
      `Functions from '${region}' are not reachable in this region ('${scope.region}')`,
    );
  }
  if (accountId !== undefined && accountId !== scope.accountId) throw new AccessDeniedException();
}

export type QualifierKind = 'latest' | 'version' | 'alias' | 'other';

/** `other` is what passes the Qualifier pattern but is neither (e.g. `$latest`, `a$b`,
 * `$LATEST.PUBLISHED`): AWS reports those as "Function not found", aliases as "Cannot find alias". */
export function qualifierKind(qualifier: string): QualifierKind {
  if (qualifier === '$LATEST') return 'latest';
  if (/^[0-9]+$/.test(qualifier)) return 'version';
  return matchesWhole(ALIAS_NAME_PATTERN, qualifier) ? 'alias' : 'other';
}

/** arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER] */
export function functionArn(scope: Scope, name: string, qualifier?: string): string {
  const arn = `arn:${PARTITION}:lambda:${scope.region}:${scope.accountId}:function:${name}`;
  return qualifier === undefined ? arn : `${arn}:${qualifier}`;
}

/**
 * AWS's "Function not found: ARN" for a reference that does not resolve. The ARN quoted differs
 * by operation (recorded): Invoke adds `:$LATEST` when unqualified, DeleteFunction never shows
 * the qualifier, the rest quote the reference as given.
 */
export function functionNotFound(scope: Scope, ref: FunctionRef, op: FunctionOp): ResourceNotFoundException {
  const qualifier =
    op === 'delete' ? undefined : op === 'invoke' ? (ref.qualifier ?? '$LATEST') : ref.qualifier;
  return new ResourceNotFoundException(`Function not found: ${functionArn(scope, ref.name, qualifier)}`);
}

/** "Cannot find alias arn: ARN" (AddPermission, RemovePermission, provisioned concurrency, GetAlias). */
export function aliasNotFound(scope: Scope, name: string, alias: string): ResourceNotFoundException {
  return new ResourceNotFoundException(`Cannot find alias arn: ${functionArn(scope, name, alias)}`);
}

// ---------------------------------------------------------------------------------------------
// Small validators: each returns its failure lines, to combine with other members' failures.

/** Alias `Name` (CreateAlias, GetAlias, ...): not purely numeric. */
export function aliasNameFailures(name: string, field = 'name'): string[] {
  return constraintFailures(field, name, { min: 1, max: 128, pattern: ALIAS_NAME_PATTERN });
}

/** `StatementId` of AddPermission (`namespaced` for RemovePermission, which allows dots). */
export function statementIdFailures(id: string, namespaced = false): string[] {
  const pattern = namespaced ? NAMESPACED_STATEMENT_ID_PATTERN : STATEMENT_ID_PATTERN;
  return constraintFailures('statementId', id, { min: 1, max: 100, pattern });
}

/** `Role` of CreateFunction / UpdateFunctionConfiguration. */
export function roleArnFailures(role: string): string[] {
  return constraintFailures('role', role, { pattern: ROLE_ARN_PATTERN });
}

// ---------------------------------------------------------------------------------------------
// Layers.

export interface LayerVersionRef {
  region: string;
  accountId: string;
  layerName: string;
  version: number;
}

const LAYER_VERSION_ARN_RE =
  /^arn:[^:]*:lambda:(?<region>[^:]*):(?<account>\d{12}):layer:(?<name>[a-zA-Z0-9_-]+):(?<version>[0-9]+)$/;

/** Splits a layer version ARN that passed validation; undefined for an AWS-managed
 * `arn:aws:lambda:::awslayer:NAME`, which the pattern admits but Lambent does not have. */
function splitLayerVersionArn(arn: string): LayerVersionRef | undefined {
  const g = LAYER_VERSION_ARN_RE.exec(arn)?.groups;
  if (g?.region === undefined || g.account === undefined || g.name === undefined || g.version === undefined) {
    return undefined;
  }
  return { region: g.region, accountId: g.account, layerName: g.name, version: Number(g.version) };
}

/**
 * GetLayerVersionByArn's `Arn` (a layer ARN without `:VERSION` fails the pattern, recorded).
 * Region and account are returned, not checked: layers of other accounts are legitimate.
 */
export function parseLayerVersionArn(arn: string, _scope: Scope): LayerVersionRef {
  throwIfInvalid(constraintFailures('arn', arn, { min: 1, max: 140, pattern: LAYER_VERSION_ARN_PATTERN }));
  const ref = splitLayerVersionArn(arn);
  if (ref === undefined) throw new ResourceNotFoundException('The resource you requested does not exist.');
  return ref;
}

const MAX_LAYERS = 5;

/**
 * A function's `Layers` list (CreateFunction, UpdateFunctionConfiguration): list-level
 * ValidationException quoting the whole list, then > 5 layers, other region, two versions of
 * one layer (all recorded; their relative order is not). Existence stays the caller's check:
 * "Layer version ARN does not exist." (InvalidParameterValueException).
 */
export function parseFunctionLayers(layers: readonly string[], scope: Scope): LayerVersionRef[] {
  const member = { min: 1, max: 2048, pattern: LAYER_VERSION_ARN_PATTERN };
  if (layers.some((arn) => constraintFailures('layers', arn, member).length > 0)) {
    throwIfInvalid([
      `Value '[${layers.join(', ')}]' at 'layers' failed to satisfy constraint: Member must satisfy constraint: ` +
        `[Member must have length less than or equal to 2048, Member must have length greater than or equal to 1, ` +
        `Member must satisfy regular expression pattern: ${LAYER_VERSION_ARN_PATTERN}, Member must not be null]`,
    ]);
  }
  if (layers.length > MAX_LAYERS)
    throw new InvalidParameterValueException(`Cannot reference more than ${MAX_LAYERS} layers.`);
  const refs = layers.map((arn) => {
    const ref = splitLayerVersionArn(arn);
    if (ref === undefined) throw new InvalidParameterValueException(`Layer version ${arn} does not exist.`);
    return ref;
  });
  if (refs.some((ref) => ref.region !== scope.region)) {
    throw new InvalidParameterValueException(
      `Layers are not in the same region as the function. Layers are expected to be in region ${scope.region}.`,
    );
  }
  const seen = new Map<string, string>();
  refs.forEach((ref, i) => {
    const arn = layers[i] ?? '';
    const key = `${ref.accountId}:${ref.layerName}`;
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      throw new InvalidParameterValueException(
        `Two different versions of the same layer are not allowed to be referenced in the same function. ${earlier} and ${arn} are versions of the same layer.`,
      );
    }
    seen.set(key, arn);
  });
  return refs;
}

/** `LayerName` path parameter: a name or a layer ARN (possibly of another account). */
export function parseLayerName(
  input: string,
  scope: Scope,
): { region: string; accountId: string; layerName: string } {
  throwIfInvalid(constraintFailures('layerName', input, { min: 1, max: 140, pattern: LAYER_NAME_PATTERN }));
  const g = /^arn:[^:]*:lambda:(?<region>[^:]*):(?<account>\d{12}):layer:(?<name>.+)$/.exec(input)?.groups;
  if (g?.region === undefined || g.account === undefined || g.name === undefined) {
    return { region: scope.region, accountId: scope.accountId, layerName: input };
  }
  return { region: g.region, accountId: g.account, layerName: g.name };
}

/** `VersionNumber` of layer operations (recorded for -1 and 0). */
export function checkLayerVersionNumber(version: number): void {
  if (version < 1) throw new InvalidParameterValueException('Layer Version Cannot be less than 1');
}

export function layerArn(scope: Scope, name: string): string {
  return `arn:${PARTITION}:lambda:${scope.region}:${scope.accountId}:layer:${name}`;
}

export function layerVersionArn(scope: Scope, name: string, version: number): string {
  return `${layerArn(scope, name)}:${version}`;
}

// ---------------------------------------------------------------------------------------------
// Taggable resources (TagResource, UntagResource, ListTags).

interface ResourceBase {
  region: string;
  accountId: string;
}
export type TaggableResource = ResourceBase &
  (
    | { kind: 'function'; name: string }
    | { kind: 'layer'; layerName: string }
    | { kind: 'code-signing-config'; id: string }
    | { kind: 'event-source-mapping'; uuid: string }
    | { kind: 'capacity-provider'; name: string }
  );

const TAGGABLE_RE =
  /^arn:[^:]*:lambda:(?<region>[^:]+):(?<account>\d{12}):(?<kind>function|layer|code-signing-config|event-source-mapping|capacity-provider):(?<id>[^:]+)(?::(?<qualifier>.+))?$/;

/**
 * Validates a `Resource` ARN. Versions and aliases cannot be tagged (recorded: `:1`, `:$LATEST`,
 * `:v1` all → InvalidParameterValueException). A function ARN of another region/account gets the
 * same answer as any function ARN (inferred, not recorded).
 */
export function parseTaggableResource(arn: string, scope: Scope): TaggableResource {
  throwIfInvalid(
    constraintFailures('resource', arn, { min: 1, max: 256, pattern: TAGGABLE_RESOURCE_PATTERN }),
  );
  const g = TAGGABLE_RE.exec(arn)?.groups;
  if (g?.region === undefined || g.account === undefined || g.kind === undefined || g.id === undefined) {
    throw new Error(`unreachable: '${arn}' passed validation but did not parse`);
  }
  const base = { region: g.region, accountId: g.account };
  switch (g.kind) {
    case 'function':
      if (g.qualifier !== undefined) {
        throw new InvalidParameterValueException(
          'Tags on function aliases and versions are not supported. Please specify a function ARN.',
        );
      }
      checkScope(g.region, g.account, scope);
      return { ...base, kind: 'function', name: g.id };
    case 'layer':
      return { ...base, kind: 'layer', layerName: g.id };
    case 'code-signing-config':
      return { ...base, kind: 'code-signing-config', id: g.id };
    case 'event-source-mapping':
      return { ...base, kind: 'event-source-mapping', uuid: g.id };
    default:
      return { ...base, kind: 'capacity-provider', name: g.id };
  }
}
