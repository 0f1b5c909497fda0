/**
 * Aliases: CreateAlias, GetAlias, UpdateAlias, DeleteAlias, ListAliases, and how an alias
 * qualifier resolves to the version an invocation runs (RoutingConfig's weighted choice).
 *
 * Matched against the recordings (test_lambda_api: TestLambdaAlias::*,
 * TestLambdaRevisions::test_function_revisions_version_and_alias): shapes, validation order
 * and messages, RevisionId on every create and update (also an update without changes).
 *
 * Inferred, not recorded (documented so they can be checked against AWS later):
 * - GetAlias of a missing function answers "Cannot find alias arn", UpdateAlias "Alias not
 *   found" (both name the alias ARN, as provisioned concurrency does, recorded); ListAliases
 *   and DeleteAlias of a missing function answer "Function not found" (unqualified ARN);
 * - an alias that already exists is reported after the target version is found and before
 *   RoutingConfig is checked;
 * - AWS also requires both versions of a weighted alias to share the execution role and
 *   dead-letter configuration; Lambent does not check that yet.
 */
import { randomUUID } from 'node:crypto';
import type { Operation, RequestContext } from '../../../protocols/types.js';
import { type Member, structure } from '../../../shared/shapes.js';
import { type LambdaDeps, scopeOf } from '../deps.js';
import {
  InvalidParameterValueException,
  PreconditionFailedException,
  ResourceConflictException,
  ResourceNotFoundException,
} from '../errors.js';
import {
  ALIAS_NAME_PATTERN,
  aliasNotFound,
  functionArn,
  functionNotFound,
  parseFunctionRef,
  qualifierKind,
} from '../identifiers.js';
import * as S from '../shapes.js';
import type { LambdaStore, Scope, StoredAlias } from '../store.js';
import { decodeMarker, encodeMarker } from './pagination.js';

type Input = Record<string, unknown>;
type Weights = Record<string, number>;

const aliasName: Member = { type: 'string', required: true, min: 1, max: 128, pattern: ALIAS_NAME_PATTERN };
const aliasNameLabel: Member = { ...aliasName, location: 'uri' };
const functionVersion: Member = {
  type: 'string',
  min: 1,
  max: 1024,
  pattern: '(\\$LATEST(\\.PUBLISHED)?|[0-9]+)',
};
const description: Member = { type: 'string', min: 0, max: 256 };
/** AWS's model: keys are version numbers, weights 0.0–1.0 (its messages list "must not be null" for values only). */
const routingConfig: Member = {
  type: 'structure',
  members: {
    AdditionalVersionWeights: {
      type: 'map',
      key: { type: 'string', min: 1, max: 1024, pattern: '[0-9]+' },
      value: { type: 'double', min: 0, max: 1, required: true },
    },
  },
};

const REVISION_MISMATCH =
  'The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id';

/** AliasConfiguration as AWS returns it (RoutingConfig only when it has a weight). */
export function aliasView(scope: Scope, name: string, a: StoredAlias): Record<string, unknown> {
  return {
    AliasArn: functionArn(scope, name, a.alias),
    Name: a.alias,
    FunctionVersion: a.functionVersion,
    Description: a.description,
    ...(a.weights ? { RoutingConfig: { AdditionalVersionWeights: a.weights } } : {}),
    RevisionId: a.revisionId,
  };
}

/**
 * The version one invocation of an alias runs: each additional version with its weight's
 * probability (a fresh uniform draw per invocation), otherwise the alias's own version.
 */
export function pickVersion(a: StoredAlias, random: () => number = Math.random): string {
  let draw = random();
  for (const [version, weight] of Object.entries(a.weights ?? {})) {
    if (draw < weight) return version;
    draw -= weight;
  }
  return a.functionVersion;
}

/**
 * What a qualifier names: for an alias, the alias and the version it points to (an
 * invocation then draws with `pickVersion`); for anything else the qualifier itself
 * ($LATEST when absent). Undefined when the alias does not exist.
 */
export function resolveQualifier(
  store: LambdaStore,
  scope: Scope,
  name: string,
  qualifier: string | undefined,
): { version: string; alias?: StoredAlias } | undefined {
  if (qualifier === undefined || qualifierKind(qualifier) !== 'alias')
    return { version: qualifier ?? '$LATEST' };
  const alias = store.getAlias(scope, name, qualifier);
  return alias && { version: alias.functionVersion, alias };
}

function weightsOf(routing: unknown): Weights | undefined {
  const weights = (routing as { AdditionalVersionWeights?: Weights } | undefined)?.AdditionalVersionWeights;
  return weights && Object.keys(weights).length ? { ...weights } : undefined;
}

export function aliasOperations(deps: LambdaDeps): Operation[] {
  const { store } = deps;

  /** The function an alias operation names (`function` name format; a qualifier in it is ignored). */
  function functionOf(ctx: RequestContext, input: Input): { scope: Scope; name: string } {
    const scope = scopeOf(ctx);
    const { name } = parseFunctionRef(String(input.FunctionName), undefined, scope, 'other', {
      name: 'function',
    });
    return { scope, name };
  }

  const versionNotFound = (scope: Scope, name: string, version: string) =>
    functionNotFound(scope, { name, qualifier: version }, 'get');

  /** RoutingConfig's rules beyond the model, in the order AWS reports them (recorded). */
  function checkRouting(scope: Scope, name: string, target: string, weights: Weights | undefined): void {
    const versions = Object.keys(weights ?? {});
    if (versions.length === 0) return;
    if (versions.length > 1) {
      throw new InvalidParameterValueException(
        'Number of items in AdditionalVersionWeights cannot be greater than 1',
      );
    }
    for (const v of versions) {
      if (v === target) {
        throw new InvalidParameterValueException(
          `Invalid function version ${v}. Function version ${v} is already included in routing configuration.`,
        );
      }
    }
    // Recorded without a `Type` member.
    if (target === '$LATEST') {
      throw new InvalidParameterValueException(
        '$LATEST is not supported for an alias pointing to more than 1 version',
        { type: null },
      );
    }
    for (const v of versions) if (!store.getVersion(scope, name, v)) throw versionNotFound(scope, name, v);
  }

  const createAlias: Operation = {
    name: 'CreateAlias',
    http: { method: 'POST', path: '/2015-03-31/functions/{FunctionName}/aliases', status: 201 },
    input: structure({
      FunctionName: S.functionNameLabel,
      Name: aliasName,
      FunctionVersion: { ...functionVersion, required: true },
      Description: description,
      RoutingConfig: routingConfig,
    }),
    handler(input, ctx) {
      const { scope, name } = functionOf(ctx, input);
      const alias = String(input.Name);
      const target = String(input.FunctionVersion);
      const weights = weightsOf(input.RoutingConfig);
      return store.transaction(() => {
        if (!store.getVersion(scope, name, target)) throw versionNotFound(scope, name, target);
        if (store.getAlias(scope, name, alias)) {
          throw new ResourceConflictException(`Alias already exists: ${functionArn(scope, name, alias)}`);
        }
        checkRouting(scope, name, target, weights);
        const created: StoredAlias = {
          alias,
          functionVersion: target,
          description: (input.Description as string | undefined) ?? '',
          ...(weights ? { weights } : {}),
          revisionId: randomUUID(),
        };
        store.putAlias(scope, name, created);
        return aliasView(scope, name, created);
      });
    },
  };

  const getAlias: Operation = {
    name: 'GetAlias',
    http: { method: 'GET', path: '/2015-03-31/functions/{FunctionName}/aliases/{Name}', status: 200 },
    input: structure({ FunctionName: S.functionNameLabel, Name: aliasNameLabel }),
    handler(input, ctx) {
      const { scope, name } = functionOf(ctx, input);
      const alias = String(input.Name);
      const found = store.getAlias(scope, name, alias);
      if (!found) throw aliasNotFound(scope, name, alias);
      return aliasView(scope, name, found);
    },
  };

  const updateAlias: Operation = {
    name: 'UpdateAlias',
    http: { method: 'PUT', path: '/2015-03-31/functions/{FunctionName}/aliases/{Name}', status: 200 },
    input: structure({
      FunctionName: S.functionNameLabel,
      Name: aliasNameLabel,
      FunctionVersion: functionVersion,
      Description: description,
      RoutingConfig: routingConfig,
      RevisionId: { type: 'string' },
    }),
    handler(input, ctx) {
      const { scope, name } = functionOf(ctx, input);
      const alias = String(input.Name);
      return store.transaction(() => {
        const current = store.getAlias(scope, name, alias);
        if (!current) {
          throw new ResourceNotFoundException(`Alias not found: ${functionArn(scope, name, alias)}`);
        }
        if (input.RevisionId !== undefined && input.RevisionId !== current.revisionId) {
          throw new PreconditionFailedException(REVISION_MISMATCH);
        }
        const target = (input.FunctionVersion as string | undefined) ?? current.functionVersion;
        if (input.FunctionVersion !== undefined && !store.getVersion(scope, name, target)) {
          throw versionNotFound(scope, name, target);
        }
        const weights = input.RoutingConfig !== undefined ? weightsOf(input.RoutingConfig) : current.weights;
        checkRouting(scope, name, target, weights);
        // Every update gives a new RevisionId, also one that changes nothing (recorded).
        const updated: StoredAlias = {
          alias,
          functionVersion: target,
          description: (input.Description as string | undefined) ?? current.description,
          ...(weights ? { weights } : {}),
          revisionId: randomUUID(),
        };
        store.putAlias(scope, name, updated);
        return aliasView(scope, name, updated);
      });
    },
  };

  const deleteAlias: Operation = {
    name: 'DeleteAlias',
    http: { method: 'DELETE', path: '/2015-03-31/functions/{FunctionName}/aliases/{Name}', status: 204 },
    input: structure({ FunctionName: S.functionNameLabel, Name: aliasNameLabel }),
    handler(input, ctx) {
      const { scope, name } = functionOf(ctx, input);
      if (!store.functionExists(scope, name)) throw functionNotFound(scope, { name }, 'other');
      // Deleting an alias that does not exist succeeds, as on AWS (recorded).
      store.deleteAlias(scope, name, String(input.Name));
      return {};
    },
  };

  const listAliases: Operation = {
    name: 'ListAliases',
    http: { method: 'GET', path: '/2015-03-31/functions/{FunctionName}/aliases', status: 200 },
    input: structure({
      FunctionName: S.functionNameLabel,
      FunctionVersion: { ...functionVersion, location: 'querystring', locationName: 'FunctionVersion' },
      Marker: S.marker,
      MaxItems: S.maxItems(10000),
    }),
    handler(input, ctx) {
      const { scope, name } = functionOf(ctx, input);
      if (!store.functionExists(scope, name)) throw functionNotFound(scope, { name }, 'other');
      const limit = (input.MaxItems as number | undefined) ?? 50;
      const [after = ''] = decodeMarker(input.Marker as string | undefined);
      const version = input.FunctionVersion as string | undefined;
      const all = store
        .listAliases(scope, name)
        .filter((a) => a.alias > after && (version === undefined || a.functionVersion === version));
      const items = all.slice(0, limit);
      const last = items[items.length - 1];
      return {
        Aliases: items.map((a) => aliasView(scope, name, a)),
        ...(all.length > limit && last ? { NextMarker: encodeMarker([last.alias]) } : {}),
      };
    },
  };

  return [createAlias, getAlias, updateAlias, deleteAlias, listAliases];
}
