/**
 * Reserved concurrency: PutFunctionConcurrency, GetFunctionConcurrency,
 * DeleteFunctionConcurrency, and where reservations show elsewhere — GetFunction's
 * `Concurrency`, GetAccountSettings' `UnreservedConcurrentExecutions` — or end (DeleteFunction).
 *
 * Reservations are stored in their own table and mirrored in the invoke layer's accounting,
 * which the invoke path reads without touching the database.
 */
import { accountKeyOf, functionIdOf } from '../../../invoke/concurrency.js';
import type { Operation, RequestContext } from '../../../protocols/types.js';
import { structure } from '../../../shared/shapes.js';
import type { ConcurrencyStore } from '../concurrency-store.js';
import { type LambdaDeps, scopeOf } from '../deps.js';
import { InvalidParameterValueException } from '../errors.js';
import { functionNotFound, parseFunctionRef } from '../identifiers.js';
import * as S from '../shapes.js';
import type { Scope } from '../store.js';

type Input = Record<string, unknown>;

/** Recorded (`put_function_concurrency_with_qualified_arn`). */
const QUALIFIED_MESSAGE =
  'This operation is permitted on Lambda functions only. Aliases and versions do not support this operation. Please specify either a function name or an unqualified function ARN.';

/** Loads the stored reservations into the accounting; drops those of functions that no longer exist. */
export function loadReservations(deps: LambdaDeps, reservations: ConcurrencyStore): void {
  for (const r of reservations.all()) {
    if (deps.store.functionExists(r, r.name)) {
      deps.invoker.concurrency.setReservation(functionIdOf(r.accountId, r.region, r.name), r.reserved);
    } else {
      // The function was deleted and the process ended before its reservation was.
      reservations.remove(r, r.name);
    }
  }
}

export function concurrencyOperations(deps: LambdaDeps, reservations: ConcurrencyStore): Operation[] {
  const { store } = deps;
  const accounting = deps.invoker.concurrency;

  /** The function a FunctionName names (unqualified only), or AWS's errors. */
  function resolve(ctx: RequestContext, input: Input, op: 'put' | 'other'): { scope: Scope; name: string } {
    const scope = scopeOf(ctx);
    const ref = parseFunctionRef(String(input.FunctionName), undefined, scope, 'other', { name: 'function' });
    if (ref.qualifier !== undefined) throw new InvalidParameterValueException(QUALIFIED_MESSAGE);
    if (!store.functionExists(scope, ref.name)) {
      // Recorded: Put quotes `…:function:NAME:$LATEST`, Get the unqualified ARN.
      throw functionNotFound(scope, op === 'put' ? { name: ref.name, qualifier: '$LATEST' } : ref, 'other');
    }
    return { scope, name: ref.name };
  }

  const put: Operation = {
    name: 'PutFunctionConcurrency',
    http: { method: 'PUT', path: '/2017-10-31/functions/{FunctionName}/concurrency', status: 200 },
    input: structure({
      FunctionName: S.functionNameLabel,
      ReservedConcurrentExecutions: { type: 'integer', required: true, min: 0 },
    }),
    handler(input, ctx) {
      const { scope, name } = resolve(ctx, input, 'put');
      const reserved = Number(input.ReservedConcurrentExecutions);
      const fid = functionIdOf(scope.accountId, scope.region, name);
      const others =
        accounting.reservedTotal(accountKeyOf(scope.accountId, scope.region)) -
        (accounting.reservation(fid) ?? 0);
      const provisioned = accounting.provisionedTotal(fid);
      if (reserved < provisioned) {
        // Recorded, spaces included.
        throw new InvalidParameterValueException(
          ` ReservedConcurrentExecutions  ${reserved} should not be lower than function's total provisioned concurrency [${provisioned}].`,
          { type: null },
        );
      }
      const { concurrentExecutions, minimumUnreservedConcurrency } = deps.limits;
      // 0 always succeeds (it reserves nothing from the pool).
      if (reserved > 0 && others + reserved > concurrentExecutions - minimumUnreservedConcurrency) {
        throw new InvalidParameterValueException(
          `Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [${minimumUnreservedConcurrency}].`,
          { type: null },
        );
      }
      reservations.put(scope, name, reserved);
      accounting.setReservation(fid, reserved);
      return { ReservedConcurrentExecutions: reserved };
    },
  };

  const get: Operation = {
    name: 'GetFunctionConcurrency',
    http: { method: 'GET', path: '/2019-09-30/functions/{FunctionName}/concurrency', status: 200 },
    input: structure({ FunctionName: S.functionNameLabel }),
    handler(input, ctx) {
      const { scope, name } = resolve(ctx, input, 'other');
      const reserved = accounting.reservation(functionIdOf(scope.accountId, scope.region, name));
      return reserved === undefined ? {} : { ReservedConcurrentExecutions: reserved };
    },
  };

  const remove: Operation = {
    name: 'DeleteFunctionConcurrency',
    http: { method: 'DELETE', path: '/2017-10-31/functions/{FunctionName}/concurrency', status: 204 },
    input: structure({ FunctionName: S.functionNameLabel }),
    handler(input, ctx) {
      const { scope, name } = resolve(ctx, input, 'other');
      reservations.remove(scope, name);
      accounting.setReservation(functionIdOf(scope.accountId, scope.region, name), undefined);
      return {};
    },
  };

  return [put, get, remove];
}

/**
 * Adds reservations to the operations that show or end them, so that the function and
 * account operations stay unaware of concurrency: GetFunction gains `Concurrency`,
 * GetAccountSettings' `UnreservedConcurrentExecutions` subtracts the reservations, and
 * DeleteFunction (of the whole function) drops the function's reservation.
 */
export function withReservations(
  deps: LambdaDeps,
  reservations: ConcurrencyStore,
  operations: Operation[],
): Operation[] {
  const accounting = deps.invoker.concurrency;
  const decorate: Record<string, (op: Operation) => Operation['handler']> = {
    GetFunction: (op) => async (input, ctx) => {
      const out = await op.handler(input, ctx);
      const name = (out.Configuration as { FunctionName?: string } | undefined)?.FunctionName;
      if (name === undefined) return out;
      const reserved = accounting.reservation(functionIdOf(ctx.accountId, ctx.region, name));
      return reserved === undefined
        ? out
        : { ...out, Concurrency: { ReservedConcurrentExecutions: reserved } };
    },
    GetAccountSettings: (op) => async (input, ctx) => {
      const out = await op.handler(input, ctx);
      const limit = out.AccountLimit as Record<string, unknown> | undefined;
      if (!limit) return out;
      const reserved = accounting.reservedTotal(accountKeyOf(ctx.accountId, ctx.region));
      return {
        ...out,
        AccountLimit: { ...limit, UnreservedConcurrentExecutions: accounting.accountLimit - reserved },
      };
    },
    DeleteFunction: (op) => async (input, ctx) => {
      const out = await op.handler(input, ctx);
      const scope = scopeOf(ctx);
      const ref = parseFunctionRef(
        String(input.FunctionName),
        input.Qualifier as string | undefined,
        scope,
        'delete',
      );
      if (!deps.store.functionExists(scope, ref.name)) {
        reservations.remove(scope, ref.name);
        accounting.forget(functionIdOf(scope.accountId, scope.region, ref.name));
      }
      return out;
    },
  };
  return operations.map((op) => {
    const wrap = decorate[op.name];
    return wrap ? { ...op, handler: wrap(op) } : op;
  });
}
