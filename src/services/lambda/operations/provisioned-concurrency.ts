/**
 * Provisioned concurrency: Put/Get/Delete/ListProvisionedConcurrencyConfig(s), on a published
 * version or an alias (never $LATEST), with AWS's recorded errors; and where configs end or
 * move — DeleteFunction (whole or a version), DeleteAlias, UpdateAlias (the config moves with
 * the alias: the new version is provisioned, the old one released once it is ready).
 *
 * Configs are stored (provisioned-store.ts) and their environments kept by the invoke layer
 * (src/invoke/provisioned.ts), which also holds their status; on start every stored config
 * is provisioned again.
 *
 * Limits (recorded messages): a function with reserved concurrency cannot provision more than
 * its reservation in total; without one, the account's unreserved pool must keep its minimum.
 */
import { accountKeyOf, functionIdOf } from '../../../invoke/concurrency.js';
import type { ProvisionedConcurrency, ProvisionedView } from '../../../invoke/provisioned.js';
import type { Operation, RequestContext } from '../../../protocols/types.js';
import { structure } from '../../../shared/shapes.js';
import { type LambdaDeps, scopeOf } from '../deps.js';
import {
  InvalidParameterValueException,
  ProvisionedConcurrencyConfigNotFoundException,
  ResourceConflictException,
} from '../errors.js';
import {
  aliasNotFound,
  functionArn,
  functionNotFound,
  parseFunctionRef,
  qualifierKind,
} from '../identifiers.js';
import { lambdaTimestamp } from '../model.js';
import type { ProvisionedConfig, ProvisionedStore } from '../provisioned-store.js';
import * as S from '../shapes.js';
import type { Scope } from '../store.js';
import { target } from './invoke.js';
import { decodeMarker, encodeMarker } from './pagination.js';

type Input = Record<string, unknown>;

const NOT_FOUND = 'No Provisioned Concurrency Config found for this function';
const LATEST_MESSAGE = 'The function resource provided must be an alias or a published version.';
const PUT_LATEST_MESSAGE =
  'Provisioned Concurrency Configs cannot be applied to unpublished function versions.';

const qualifierRequired = { ...S.qualifierQuery, required: true };

/** The manager's key of a config: `account/region/name/qualifier`. */
export function provisionedId(scope: Scope, name: string, qualifier: string): string {
  return `${functionIdOf(scope.accountId, scope.region, name)}/${qualifier}`;
}

export interface ProvisionedDeps {
  configs: ProvisionedStore;
  manager: ProvisionedConcurrency;
}

/**
 * Hands a stored config to the manager with the version it runs now (an alias's version).
 * A version still being activated is provisioned once its code is unpacked.
 */
export function applyConfig(deps: LambdaDeps, p: ProvisionedDeps, c: ProvisionedConfig): void {
  const id = provisionedId(c, c.name, c.qualifier);
  const resolveVersion = () => {
    const alias =
      qualifierKind(c.qualifier) === 'alias' ? deps.store.getAlias(c, c.name, c.qualifier) : undefined;
    return deps.store.getVersion(c, c.name, alias ? alias.functionVersion : c.qualifier);
  };
  const arn = functionArn(c, c.name, c.qualifier);
  const apply = () => {
    const current = p.configs.get(c, c.name, c.qualifier);
    if (!current) return;
    // Resolved again for every environment started: tags (outbound) may change its configuration.
    const version = resolveVersion();
    if (!version) return;
    p.manager.set(
      id,
      () => {
        const now = deps.store.getVersion(c, c.name, version.version);
        return now && target(deps, c, now, arn);
      },
      current.requested,
    );
  };
  if (resolveVersion()?.config.State === 'Active') apply();
  else void deps.activator.idle().then(apply);
}

/** Provisions every stored config again (at start); drops those whose function or alias is gone. */
export function loadProvisioned(deps: LambdaDeps, p: ProvisionedDeps): void {
  for (const c of p.configs.all()) {
    const exists =
      qualifierKind(c.qualifier) === 'alias'
        ? deps.store.getAlias(c, c.name, c.qualifier) !== undefined
        : deps.store.getVersion(c, c.name, c.qualifier) !== undefined;
    if (exists) applyConfig(deps, p, c);
    else p.configs.remove(c, c.name, c.qualifier);
  }
}

function view(c: ProvisionedConfig, v: ProvisionedView | undefined): Record<string, unknown> {
  const state = v ?? { requested: c.requested, allocated: 0, available: 0, status: 'IN_PROGRESS' };
  return {
    RequestedProvisionedConcurrentExecutions: c.requested,
    AvailableProvisionedConcurrentExecutions: state.available,
    AllocatedProvisionedConcurrentExecutions: state.allocated,
    Status: state.status,
    ...(state.statusReason !== undefined ? { StatusReason: state.statusReason } : {}),
    LastModified: c.lastModified,
  };
}

export function provisionedConcurrencyOperations(deps: LambdaDeps, p: ProvisionedDeps): Operation[] {
  const { store } = deps;
  const accounting = deps.invoker.concurrency;

  /**
   * The version or alias a request names, in AWS's order (recorded): an alias that does not
   * exist is "Cannot find alias" even when the function does not exist; a missing version (or
   * function) "Function not found"; $LATEST is refused once the function is known.
   */
  function resolve(ctx: RequestContext, input: Input, op: 'put' | 'other') {
    const scope = scopeOf(ctx);
    const ref = parseFunctionRef(
      String(input.FunctionName),
      input.Qualifier as string | undefined,
      scope,
      'other',
      {
        name: 'function',
        qualifier: 'plain',
      },
    );
    const qualifier = ref.qualifier ?? '$LATEST';
    const kind = qualifierKind(qualifier);
    if (kind === 'alias') {
      const alias = store.getAlias(scope, ref.name, qualifier);
      if (!alias) throw aliasNotFound(scope, ref.name, qualifier);
      return { scope, name: ref.name, qualifier, version: alias.functionVersion, alias: true };
    }
    if (!store.functionExists(scope, ref.name))
      throw functionNotFound(scope, { name: ref.name, qualifier }, 'other');
    if (kind === 'latest') {
      throw new InvalidParameterValueException(op === 'put' ? PUT_LATEST_MESSAGE : LATEST_MESSAGE);
    }
    if (kind !== 'version' || !store.getVersion(scope, ref.name, qualifier)) {
      throw functionNotFound(scope, { name: ref.name, qualifier }, 'other');
    }
    return { scope, name: ref.name, qualifier, version: qualifier, alias: false };
  }

  /** The config (other than `except`) that already provisions `version`, through an alias or directly. */
  function configsOnVersion(scope: Scope, name: string, version: string, except: string) {
    return p.configs.ofFunction(scope, name).filter((c) => {
      if (c.qualifier === except) return false;
      if (qualifierKind(c.qualifier) !== 'alias') return c.qualifier === version;
      return store.getAlias(scope, name, c.qualifier)?.functionVersion === version;
    });
  }

  function checkLimits(scope: Scope, name: string, qualifier: string, requested: number): void {
    const fid = functionIdOf(scope.accountId, scope.region, name);
    const current = p.configs.get(scope, name, qualifier)?.requested ?? 0;
    const reserved = accounting.reservation(fid);
    if (reserved !== undefined) {
      if (accounting.provisionedTotal(fid) - current + requested > reserved) {
        throw new InvalidParameterValueException(
          'Requested Provisioned Concurrency should not be greater than the reservedConcurrentExecution for function',
        );
      }
      return;
    }
    const account = accountKeyOf(scope.accountId, scope.region);
    const unreserved = accounting.accountLimit - accounting.reservedTotal(account);
    const total = accounting.unreservedProvisioned(account) - current + requested;
    if (total > unreserved) {
      throw new InvalidParameterValueException(
        `Specified ConcurrentExecutions for function is greater than account's unreserved concurrency [${unreserved}].`,
        { type: null },
      );
    }
    const minimum = deps.limits.minimumUnreservedConcurrency;
    if (total > unreserved - minimum) {
      throw new InvalidParameterValueException(
        `Specified ConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [${minimum}].`,
        { type: null },
      );
    }
  }

  const put: Operation = {
    name: 'PutProvisionedConcurrencyConfig',
    http: {
      method: 'PUT',
      path: '/2019-09-30/functions/{FunctionName}/provisioned-concurrency',
      status: 202,
    },
    input: structure({
      FunctionName: S.functionNameLabel,
      Qualifier: qualifierRequired,
      ProvisionedConcurrentExecutions: { type: 'integer', required: true, min: 1 },
    }),
    handler(input, ctx) {
      const r = resolve(ctx, input, 'put');
      const requested = Number(input.ProvisionedConcurrentExecutions);
      return store.transaction(() => {
        const others = configsOnVersion(r.scope, r.name, r.version, r.qualifier);
        if (others.length > 0) {
          throw new ResourceConflictException(
            r.alias
              ? "Alias can't be used for Provisioned Concurrency configuration on an already Provisioned version"
              : 'Version is pointed by a Provisioned Concurrency alias',
          );
        }
        checkLimits(r.scope, r.name, r.qualifier, requested);
        const config: ProvisionedConfig = {
          ...r.scope,
          name: r.name,
          qualifier: r.qualifier,
          requested,
          lastModified: lambdaTimestamp(),
        };
        p.configs.put(config);
        applyConfig(deps, p, config);
        return view(config, p.manager.view(provisionedId(r.scope, r.name, r.qualifier)));
      });
    },
  };

  const get: Operation = {
    name: 'GetProvisionedConcurrencyConfig',
    http: {
      method: 'GET',
      path: '/2019-09-30/functions/{FunctionName}/provisioned-concurrency',
      status: 200,
    },
    input: structure({ FunctionName: S.functionNameLabel, Qualifier: qualifierRequired }),
    handler(input, ctx) {
      const r = resolve(ctx, input, 'other');
      const config = p.configs.get(r.scope, r.name, r.qualifier);
      if (!config) throw new ProvisionedConcurrencyConfigNotFoundException(NOT_FOUND);
      return view(config, p.manager.view(provisionedId(r.scope, r.name, r.qualifier)));
    },
  };

  const remove: Operation = {
    name: 'DeleteProvisionedConcurrencyConfig',
    http: {
      method: 'DELETE',
      path: '/2019-09-30/functions/{FunctionName}/provisioned-concurrency',
      status: 204,
    },
    input: structure({ FunctionName: S.functionNameLabel, Qualifier: qualifierRequired }),
    handler(input, ctx) {
      const r = resolve(ctx, input, 'other');
      // Recorded: deleting a config that does not exist succeeds.
      p.configs.remove(r.scope, r.name, r.qualifier);
      p.manager.remove(provisionedId(r.scope, r.name, r.qualifier));
      return {};
    },
  };

  const list: Operation = {
    name: 'ListProvisionedConcurrencyConfigs',
    http: {
      method: 'GET',
      path: '/2019-09-30/functions/{FunctionName}/provisioned-concurrency?List=ALL',
      status: 200,
    },
    input: structure({ FunctionName: S.functionNameLabel, Marker: S.marker, MaxItems: S.maxItems(50) }),
    handler(input, ctx) {
      const scope = scopeOf(ctx);
      const ref = parseFunctionRef(String(input.FunctionName), undefined, scope, 'other', {
        name: 'function',
      });
      if (!store.functionExists(scope, ref.name)) throw functionNotFound(scope, { name: ref.name }, 'other');
      const limit = (input.MaxItems as number | undefined) ?? 50;
      const [after] = decodeMarker(input.Marker as string | undefined);
      const all = p.configs
        .ofFunction(scope, ref.name)
        .filter((c) => after === undefined || c.qualifier > after);
      const items = all.slice(0, limit);
      const last = items[items.length - 1];
      return {
        ProvisionedConcurrencyConfigs: items.map((c) => ({
          FunctionArn: functionArn(scope, ref.name, c.qualifier),
          ...view(c, p.manager.view(provisionedId(scope, ref.name, c.qualifier))),
        })),
        ...(all.length > limit && last ? { NextMarker: encodeMarker([last.qualifier]) } : {}),
      };
    },
  };

  return [put, get, remove, list];
}

/**
 * Adds provisioned concurrency to the operations that end or move it, so that the function
 * and alias operations stay unaware of it.
 */
export function withProvisioned(deps: LambdaDeps, p: ProvisionedDeps, operations: Operation[]): Operation[] {
  const decorate: Record<string, (op: Operation) => Operation['handler']> = {
    DeleteFunction: (op) => async (input, ctx) => {
      const scope = scopeOf(ctx);
      const ref = parseFunctionRef(
        String(input.FunctionName),
        input.Qualifier as string | undefined,
        scope,
        'delete',
      );
      const fid = functionIdOf(scope.accountId, scope.region, ref.name);
      // Let go of the environments first, or stopping them would start replacements.
      const whole = ref.qualifier === undefined && deps.store.functionExists(scope, ref.name);
      if (whole) p.manager.removeFunction(fid);
      let out: Record<string, unknown>;
      try {
        out = await op.handler(input, ctx);
      } catch (err) {
        if (whole) for (const c of p.configs.ofFunction(scope, ref.name)) applyConfig(deps, p, c);
        throw err;
      }
      if (!deps.store.functionExists(scope, ref.name)) {
        p.configs.removeFunction(scope, ref.name);
        p.manager.removeFunction(fid);
      } else if (ref.qualifier !== undefined) {
        p.configs.remove(scope, ref.name, ref.qualifier);
        p.manager.remove(provisionedId(scope, ref.name, ref.qualifier));
      }
      return out;
    },
    DeleteAlias: (op) => async (input, ctx) => {
      const out = await op.handler(input, ctx);
      const scope = scopeOf(ctx);
      const ref = parseFunctionRef(String(input.FunctionName), undefined, scope, 'other', {
        name: 'function',
      });
      const alias = String(input.Name);
      p.configs.remove(scope, ref.name, alias);
      p.manager.remove(provisionedId(scope, ref.name, alias));
      return out;
    },
    UpdateAlias: (op) => async (input, ctx) => {
      const out = await op.handler(input, ctx);
      const scope = scopeOf(ctx);
      const ref = parseFunctionRef(String(input.FunctionName), undefined, scope, 'other', {
        name: 'function',
      });
      const config = p.configs.get(scope, ref.name, String(input.Name));
      // The config moves with the alias: AWS provisions the new version.
      if (config) applyConfig(deps, p, config);
      return out;
    },
  };
  return operations.map((op) => {
    const wrap = decorate[op.name];
    return wrap ? { ...op, handler: wrap(op) } : op;
  });
}
