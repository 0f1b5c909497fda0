/**
 * Event invoke configs: PutFunctionEventInvokeConfig, GetFunctionEventInvokeConfig,
 * UpdateFunctionEventInvokeConfig, DeleteFunctionEventInvokeConfig,
 * ListFunctionEventInvokeConfigs — the retry, maximum-age and destination settings of a
 * function version's or alias's asynchronous invocations. They end with the version, alias or
 * function they belong to (DeleteFunction, DeleteAlias).
 *
 * Messages and the order of checks follow the recordings of
 * `TestLambdaEventInvokeConfig::*` (test_lambda_api.snapshot.json).
 */
import type { Operation, RequestContext } from '../../../protocols/types.js';
import { type Member, structure } from '../../../shared/shapes.js';
import { type LambdaDeps, scopeOf } from '../deps.js';
import { InvalidParameterValueException, ResourceNotFoundException } from '../errors.js';
import type {
  EventInvokeConfig,
  EventInvokeConfigStore,
  StoredEventInvokeConfig,
} from '../event-invoke-config-store.js';
import { functionArn, parseFunctionRef, qualifierKind } from '../identifiers.js';
import * as S from '../shapes.js';
import type { Scope } from '../store.js';
import { pageOf } from './pagination.js';

type Input = Record<string, unknown>;

/** The service model's Destination pattern (recorded in put_destination_invalid_arn_pattern). */
const DESTINATION_PATTERN = String.raw`$|kafka://([^.]([a-zA-Z0-9\-_.]{0,248}))|arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\-])+:((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1})?:(\d{12})?:(.*)`;
const destination: Member = {
  type: 'structure',
  members: { Destination: { type: 'string', min: 0, max: 350, pattern: DESTINATION_PATTERN } },
};

const configMembers = {
  FunctionName: S.functionNameLabel,
  Qualifier: S.qualifierQuery,
  MaximumRetryAttempts: { type: 'integer', min: 0, max: 2 },
  MaximumEventAgeInSeconds: { type: 'integer', min: 60, max: 21600 },
  DestinationConfig: {
    type: 'structure',
    members: { OnSuccess: destination, OnFailure: destination },
  },
} satisfies Record<string, Member>;

/** Services an asynchronous invocation can deliver its record to (AWS's list). */
const DESTINATION_SERVICES = new Set(['lambda', 'sqs', 'sns', 'events', 's3']);

const NO_SETTING = 'You must specify at least one of error handling or destination setting.';
const functionMissing = () => new ResourceNotFoundException("The function doesn't exist.");
const configMissing = (scope: Scope, name: string, qualifier: string) =>
  new ResourceNotFoundException(
    `The function ${functionArn(scope, name, qualifier)} doesn't have an EventInvokeConfig`,
  );

/** The shape of a config in a response. */
export function eventInvokeConfigView(scope: Scope, c: StoredEventInvokeConfig): Record<string, unknown> {
  return {
    FunctionArn: functionArn(scope, c.name, c.qualifier),
    LastModified: c.lastModified / 1000,
    ...(c.maximumRetryAttempts !== undefined ? { MaximumRetryAttempts: c.maximumRetryAttempts } : {}),
    ...(c.maximumEventAgeInSeconds !== undefined
      ? { MaximumEventAgeInSeconds: c.maximumEventAgeInSeconds }
      : {}),
    DestinationConfig: {
      OnSuccess: c.onSuccess ? { Destination: c.onSuccess } : {},
      OnFailure: c.onFailure ? { Destination: c.onFailure } : {},
    },
  };
}

export function eventInvokeConfigOperations(deps: LambdaDeps, configs: EventInvokeConfigStore): Operation[] {
  const { store } = deps;

  function refOf(ctx: RequestContext, input: Input) {
    const scope = scopeOf(ctx);
    const ref = parseFunctionRef(
      String(input.FunctionName),
      input.Qualifier as string | undefined,
      scope,
      'other',
    );
    return { scope, name: ref.name, qualifier: ref.qualifier ?? '$LATEST' };
  }

  /** Whether the version or alias a qualifier names exists. */
  function targetExists(scope: Scope, name: string, qualifier: string): boolean {
    if (!store.functionExists(scope, name)) return false;
    const kind = qualifierKind(qualifier);
    if (kind === 'latest') return true;
    if (kind === 'version') return store.getVersion(scope, name, qualifier) !== undefined;
    if (kind === 'alias') return store.getAlias(scope, name, qualifier) !== undefined;
    return false;
  }

  /** AWS's checks of OnSuccess/OnFailure destinations (recorded messages). */
  function checkDestinations(scope: Scope, name: string, dc: Input | undefined): void {
    if (!dc) return;
    const onSuccess = (dc.OnSuccess as Input | undefined)?.Destination as string | undefined;
    const onFailure = (dc.OnFailure as Input | undefined)?.Destination as string | undefined;
    const invalidConfig = () =>
      new InvalidParameterValueException(
        `The provided destination config DestinationConfig(onSuccess=${
          dc.OnSuccess ? `OnSuccess(destination=${onSuccess ?? 'null'})` : 'null'
        }, onFailure=${dc.OnFailure ? `OnFailure(destination=${onFailure ?? 'null'})` : 'null'}) is invalid.`,
      );
    for (const arn of [onSuccess, onFailure]) {
      if (!arn) continue;
      const parts = arn.split(':');
      const service = parts[2] ?? '';
      if (!arn.startsWith('arn:') || !DESTINATION_SERVICES.has(service)) throw invalidConfig();
      if (service !== 'lambda') continue;
      // arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]
      const [, , , region, account, type, target] = parts;
      const here = region === scope.region && account === scope.accountId;
      if (type !== 'function' || !target) throw invalidConfig();
      if (here && target === name) {
        throw new InvalidParameterValueException(
          "You can't specify the function as a destination for itself.",
        );
      }
      if (!here || !store.functionExists(scope, target)) {
        throw new InvalidParameterValueException(`The destination ARN ${arn} is invalid.`);
      }
    }
  }

  function settingsOf(input: Input): Omit<EventInvokeConfig, 'lastModified'> {
    const dc = input.DestinationConfig as Input | undefined;
    const onSuccess = (dc?.OnSuccess as Input | undefined)?.Destination as string | undefined;
    const onFailure = (dc?.OnFailure as Input | undefined)?.Destination as string | undefined;
    return {
      ...(input.MaximumRetryAttempts !== undefined
        ? { maximumRetryAttempts: Number(input.MaximumRetryAttempts) }
        : {}),
      ...(input.MaximumEventAgeInSeconds !== undefined
        ? { maximumEventAgeInSeconds: Number(input.MaximumEventAgeInSeconds) }
        : {}),
      ...(onSuccess ? { onSuccess } : {}),
      ...(onFailure ? { onFailure } : {}),
    };
  }

  function hasSetting(input: Input): boolean {
    return (
      input.MaximumRetryAttempts !== undefined ||
      input.MaximumEventAgeInSeconds !== undefined ||
      input.DestinationConfig !== undefined
    );
  }

  const put: Operation = {
    name: 'PutFunctionEventInvokeConfig',
    http: { method: 'PUT', path: '/2019-09-25/functions/{FunctionName}/event-invoke-config', status: 200 },
    input: structure(configMembers),
    handler(input, ctx) {
      if (!hasSetting(input)) throw new InvalidParameterValueException(NO_SETTING);
      const { scope, name, qualifier } = refOf(ctx, input);
      if (!targetExists(scope, name, qualifier)) throw functionMissing();
      checkDestinations(scope, name, input.DestinationConfig as Input | undefined);
      // Put replaces the whole config: settings it leaves out are gone.
      const stored = configs.put(scope, name, qualifier, { ...settingsOf(input), lastModified: Date.now() });
      return eventInvokeConfigView(scope, stored);
    },
  };

  const update: Operation = {
    name: 'UpdateFunctionEventInvokeConfig',
    http: { method: 'POST', path: '/2019-09-25/functions/{FunctionName}/event-invoke-config', status: 200 },
    input: structure(configMembers),
    handler(input, ctx) {
      if (!hasSetting(input)) throw new InvalidParameterValueException(NO_SETTING);
      const { scope, name, qualifier } = refOf(ctx, input);
      if (!targetExists(scope, name, qualifier)) throw functionMissing();
      const before = configs.get(scope, name, qualifier);
      if (!before) throw configMissing(scope, name, qualifier);
      checkDestinations(scope, name, input.DestinationConfig as Input | undefined);
      const { name: _n, qualifier: _q, ...kept } = before;
      const given = settingsOf(input);
      // Update changes what it names; a DestinationConfig given replaces both destinations.
      const merged: EventInvokeConfig = { ...kept, ...given, lastModified: Date.now() };
      if (input.DestinationConfig !== undefined) {
        if (!given.onSuccess) delete merged.onSuccess;
        if (!given.onFailure) delete merged.onFailure;
      }
      return eventInvokeConfigView(scope, configs.put(scope, name, qualifier, merged));
    },
  };

  const get: Operation = {
    name: 'GetFunctionEventInvokeConfig',
    http: { method: 'GET', path: '/2019-09-25/functions/{FunctionName}/event-invoke-config', status: 200 },
    input: structure({ FunctionName: S.functionNameLabel, Qualifier: S.qualifierQuery }),
    handler(input, ctx) {
      const { scope, name, qualifier } = refOf(ctx, input);
      const config = configs.get(scope, name, qualifier);
      if (!config || !targetExists(scope, name, qualifier)) throw configMissing(scope, name, qualifier);
      return eventInvokeConfigView(scope, config);
    },
  };

  const remove: Operation = {
    name: 'DeleteFunctionEventInvokeConfig',
    http: {
      method: 'DELETE',
      path: '/2019-09-25/functions/{FunctionName}/event-invoke-config',
      status: 204,
    },
    input: structure({ FunctionName: S.functionNameLabel, Qualifier: S.qualifierQuery }),
    handler(input, ctx) {
      const { scope, name, qualifier } = refOf(ctx, input);
      if (!configs.get(scope, name, qualifier)) throw configMissing(scope, name, qualifier);
      configs.remove(scope, name, qualifier);
      return {};
    },
  };

  const list: Operation = {
    name: 'ListFunctionEventInvokeConfigs',
    http: {
      method: 'GET',
      path: '/2019-09-25/functions/{FunctionName}/event-invoke-config/list',
      status: 200,
    },
    input: structure({ FunctionName: S.functionNameLabel, Marker: S.marker, MaxItems: S.maxItems(50) }),
    handler(input, ctx) {
      const { scope, name } = refOf(ctx, { FunctionName: input.FunctionName });
      if (!store.functionExists(scope, name)) throw functionMissing();
      const page = pageOf(
        configs.list(scope, name),
        input.Marker as string | undefined,
        (input.MaxItems as number | undefined) ?? 50,
        (c) => c.qualifier,
      );
      return {
        FunctionEventInvokeConfigs: page.items.map((c) => eventInvokeConfigView(scope, c)),
        ...(page.nextMarker ? { NextMarker: page.nextMarker } : {}),
      };
    },
  };

  return [put, get, update, remove, list];
}

/**
 * Ends configs with what they belong to: DeleteFunction of the whole function drops all of
 * them, of a version that version's; DeleteAlias the alias's.
 */
export function withEventInvokeConfigs(
  deps: LambdaDeps,
  configs: EventInvokeConfigStore,
  operations: Operation[],
): Operation[] {
  const { store } = deps;
  const decorate: Record<string, (op: Operation) => Operation['handler']> = {
    DeleteFunction: (op) => async (input, ctx) => {
      const out = await op.handler(input, ctx);
      const scope = scopeOf(ctx);
      const ref = parseFunctionRef(
        String(input.FunctionName),
        input.Qualifier as string | undefined,
        scope,
        'delete',
      );
      if (!store.functionExists(scope, ref.name)) configs.removeFunction(scope, ref.name);
      else if (ref.qualifier !== undefined && !store.getVersion(scope, ref.name, ref.qualifier))
        configs.remove(scope, ref.name, ref.qualifier);
      return out;
    },
    DeleteAlias: (op) => async (input, ctx) => {
      const out = await op.handler(input, ctx);
      const scope = scopeOf(ctx);
      const { name } = parseFunctionRef(String(input.FunctionName), undefined, scope, 'other', {
        name: 'function',
      });
      const alias = String(input.Name);
      if (!store.getAlias(scope, name, alias)) configs.remove(scope, name, alias);
      return out;
    },
  };
  return operations.map((op) => {
    const wrap = decorate[op.name];
    return wrap ? { ...op, handler: wrap(op) } : op;
  });
}
