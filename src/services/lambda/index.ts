/**
 * AWS Lambda, API version 2015-03-31 (rest-json).
 *
 * Implements: CreateFunction, GetFunction, GetFunctionConfiguration, ListFunctions,
 * UpdateFunctionCode, UpdateFunctionConfiguration, DeleteFunction, PublishVersion,
 * ListVersionsByFunction, CreateAlias, GetAlias, UpdateAlias, DeleteAlias, ListAliases,
 * PublishLayerVersion, GetLayerVersion, GetLayerVersionByArn, ListLayers, ListLayerVersions,
 * DeleteLayerVersion, AddPermission, RemovePermission, GetPolicy, TagResource,
 * UntagResource, ListTags, GetAccountSettings, Invoke (RequestResponse, Event, DryRun,
 * LogType Tail; aliases with weighted routing), InvokeAsync, InvokeWithResponseStream (event stream,
 * chunks as the handler writes them); Put/Get/DeleteFunctionConcurrency
 * (reserved and account concurrency, scaling rate and host memory, throttling with AWS's 429
 * bodies); Put/Get/Delete/ListProvisionedConcurrencyConfig(s) (environments initialised
 * ahead of time and kept, served first; status as AWS reports it; re-provisioned on start);
 * Put/Get/Update/Delete/ListFunctionEventInvokeConfig(s) with async retries, maximum event
 * age and destinations (Lambda targets); code download URLs; Create/Get/Update/Delete/
 * ListFunctionUrlConfig(s) (served by event-sources/http/function-url-door.ts).
 *
 * Not yet (see docs/parity/lambda.md): SQS/SNS/EventBridge/S3 destinations and dead-letter
 * queues (accepted, not delivered), event source mappings, layer permissions, code signing,
 * container images, code from S3.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { FunctionInvoker } from '../../event-sources/function-invoker.js';
import type { FunctionUrlDirectory } from '../../event-sources/http/function-url-directory.js';
import type { Authorizer } from '../../iam/authorizer.js';
import type { IdentityStore } from '../../iam/store.js';
import {
  type AsyncEvent,
  type AsyncObserver,
  type AttemptResult,
  createAsyncQueue,
} from '../../invoke/async/queue.js';
import { createDestinations } from '../../invoke/destinations.js';
import type { Invoker } from '../../invoke/invoker.js';
import { familyOf } from '../../invoke/runtimes.js';
import type { Metrics } from '../../metrics/index.js';
import type { LambdaMetrics } from '../../metrics/lambda.js';
import { createRestJsonCodec } from '../../protocols/rest-json/codec.js';
import { RestRouter } from '../../protocols/rest-json/router.js';
import type { RequestContext } from '../../protocols/types.js';
import type { Config } from '../../shared/config.js';
import { AwsError } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import type { BlobStore } from '../../storage/blob-store.js';
import type { Db } from '../../storage/db.js';
import type { Service } from '../service.js';
import { createActivator } from './activator.js';
import { asyncOutcomes, lambdaDestinationTarget } from './async-outcomes.js';
import { functionPolicies, statementPrincipals, withAuthz } from './authz.js';
import type { CodeObjects } from './code-from-s3.js';
import { createConcurrencyStore } from './concurrency-store.js';
import type { LambdaDeps } from './deps.js';
import { AccessDeniedException, RequestEntityTooLargeException, TooManyRequestsException } from './errors.js';
import { createEventInvokeConfigStore } from './event-invoke-config-store.js';
import { executionRoleCheck } from './execution-role.js';
import { createFunctionInvoker } from './function-invoker.js';
import { aliasOperations } from './operations/aliases.js';
import { concurrencyOperations, loadReservations, withReservations } from './operations/concurrency.js';
import { eventInvokeConfigOperations, withEventInvokeConfigs } from './operations/event-invoke-configs.js';
import { functionUrlOperations, withFunctionUrls } from './operations/function-urls.js';
import { functionOperations } from './operations/functions.js';
import { asyncEventRunner, invokeOperations } from './operations/invoke.js';
import { invokeStreamOperations } from './operations/invoke-stream.js';
import { layerOperations } from './operations/layers.js';
import { permissionOperations } from './operations/permissions.js';
import {
  loadProvisioned,
  provisionedConcurrencyOperations,
  withProvisioned,
} from './operations/provisioned-concurrency.js';
import { tagAndAccountOperations } from './operations/tags-and-account.js';
import { createProvisionedStore } from './provisioned-store.js';
import { createLambdaStore } from './store.js';
import { createUrlConfigStore } from './url-config-store.js';

const CODE_URL_PREFIX = '/_lambent/lambda/code/';
const CODE_URL_TTL_SECONDS = 600;

/** The Lambda service, and the way event sources invoke its functions. */
export interface LambdaService extends Service {
  readonly functions: FunctionInvoker;
  /** Function URLs by id, for their front door. */
  readonly functionUrls: FunctionUrlDirectory;
}

export function createLambdaService(opts: {
  config: Config;
  db: Db;
  blobs: BlobStore;
  logger: Logger;
  invoker: Invoker;
  /** Where the async queue's AsyncEventAge and AsyncEventsDropped go. */
  metrics?: Metrics;
  /** IAM's roles, for the execution-role check at CreateFunction when enforcement is on. */
  identities?: IdentityStore;
  /** Decides event sources' callers against function policies (absent: every caller is allowed). */
  authorizer?: Authorizer;
  /** The port clients reach the platform on, for FunctionUrl (default: config.port). */
  publicPort?: () => number;
  /** Code packages named by S3 location (S3's objects). */
  codeObjects?: CodeObjects;
}): LambdaService {
  const { config, db, blobs, logger, invoker } = opts;
  const store = createLambdaStore(db);
  const eventInvokeConfigs = createEventInvokeConfigStore(db);
  const activator = createActivator({
    store,
    blobs,
    codeRoot: path.join(config.dataDir, 'lambda', 'code'),
    maxUnzippedBytes: config.lambda.maxUnzippedCodeBytes,
    logger,
    prepareRuntime: async (runtime) => {
      if (familyOf(runtime)) await invoker.runtimes.ensure(runtime);
    },
  });
  // After a restart, the pools of the interpreters that existing functions run on (another
  // Node major, a Python) are defined now rather than at each one's first cold start.
  invoker.runtimes.adopt(store.runtimesInUse());
  const urlKey = Buffer.from(
    store.setting('code-url-key', () => randomBytes(32).toString('hex')),
    'hex',
  );
  const sign = (codeKey: string, expires: number) =>
    createHmac('sha256', urlKey).update(`${codeKey}:${expires}`).digest('hex');

  const tooLarge = (limit: number, operation = 'InvokeFunction') =>
    new RequestEntityTooLargeException(
      `Request must be smaller than ${limit} bytes for the ${operation} operation`,
    );
  // The queue may start running events left from before a restart once this function returns.
  let runAsync: (event: AsyncEvent) => Promise<AttemptResult> = async () => ({ kind: 'gone' });
  let outcomes: ReturnType<typeof asyncOutcomes> | undefined;
  const destinations = createDestinations({ logger });
  const deps: LambdaDeps = {
    store,
    blobs,
    limits: config.lambda,
    activator,
    logger,
    invoker,
    tooLarge,
    asyncQueue: createAsyncQueue({
      db,
      logger,
      concurrency: config.lambda.asyncConcurrency,
      capacity: invoker.concurrency,
      run: (event) => runAsync(event),
      policy: (event) => outcomes?.policy(event),
      onFinal: async (event, condition, response) => outcomes?.onFinal(event, condition, response),
      retryDelayScale: config.lambda.asyncRetryDelayScale,
      ...(opts.metrics ? { observe: asyncObserver(opts.metrics.lambda) } : {}),
    }),
    codeLocation(ctx: RequestContext, codeKey: string) {
      const expires = Math.floor(Date.now() / 1000) + CODE_URL_TTL_SECONDS;
      return `${ctx.endpoint}${CODE_URL_PREFIX}${codeKey}?Expires=${expires}&Signature=${sign(codeKey, expires)}`;
    },
    checkExecutionRole: executionRoleCheck(config, opts.identities, opts.authorizer),
    ...(opts.codeObjects ? { codeObjects: opts.codeObjects } : {}),
  };
  runAsync = asyncEventRunner(deps);
  outcomes = asyncOutcomes(deps, eventInvokeConfigs, destinations);
  destinations.register('lambda', lambdaDestinationTarget(deps));

  const reservations = createConcurrencyStore(db);
  loadReservations(deps, reservations);

  const provisioned = { configs: createProvisionedStore(db), manager: invoker.provisioned };
  loadProvisioned(deps, provisioned);

  const urls = createUrlConfigStore(db);
  const publicPort = opts.publicPort ?? (() => config.port);
  // AWS's host is <url-id>.lambda-url.<region>.on.aws; `.localhost` names resolve to loopback
  // without any DNS set-up (RFC 6761), and the gateway routes them by Host as AWS does.
  const functionUrl = (urlId: string, region: string) =>
    `http://${urlId}.lambda-url.${region}.localhost:${publicPort()}/`;

  const router = new RestRouter(
    withAuthz(
      withProvisioned(
        deps,
        provisioned,
        withEventInvokeConfigs(
          deps,
          eventInvokeConfigs,
          withReservations(
            deps,
            reservations,
            withFunctionUrls(deps, urls, [
              ...functionOperations(deps),
              ...aliasOperations(deps),
              ...layerOperations(deps),
              ...permissionOperations(deps),
              ...tagAndAccountOperations(deps),
              ...invokeOperations(deps),
              ...invokeStreamOperations(deps),
              ...concurrencyOperations(deps, reservations),
              ...provisionedConcurrencyOperations(deps, provisioned),
              ...eventInvokeConfigOperations(deps, eventInvokeConfigs),
              ...functionUrlOperations(deps, urls, { functionUrl }),
            ]),
          ),
        ),
      ),
      statementPrincipals(store),
    ),
  );

  const policyOf = functionPolicies(store);
  return {
    functions: createFunctionInvoker(deps, { authorizer: opts.authorizer, policyOf }),
    functionUrls: {
      find(urlId) {
        const c = urls.byUrlId(urlId);
        if (!c) return undefined;
        return {
          urlId,
          accountId: c.accountId,
          region: c.region,
          functionName: c.name,
          ...(c.qualifier ? { qualifier: c.qualifier } : {}),
          authType: c.authType,
          ...(c.cors ? { cors: c.cors } : {}),
          invokeMode: c.invokeMode ?? 'BUFFERED',
        };
      },
      retired: (urlId) => urls.isRetired(urlId),
    },
    name: 'lambda',
    signingName: 'lambda',
    codec: createRestJsonCodec(),
    route: (req) => router.match(req.method, req.rawPath, req.query),
    pathPrefixes: [
      '/2015-03-31/',
      '/2016-08-19/',
      '/2017-03-31/',
      '/2017-10-31/',
      '/2018-10-31/',
      '/2019-09-25/',
      '/2019-09-30/',
      '/2021-10-31/',
      '/2021-11-15/',
    ],
    // AWS names Invoke "InvokeFunction" in this message.
    requestTooLarge: (op, limit) =>
      tooLarge(limit, op?.name === 'Invoke' ? 'InvokeFunction' : (op?.name ?? 'requested')),
    throttled: () => new TooManyRequestsException('Rate Exceeded.', 'CallerRateLimitExceeded', 1),
    unknownOperation: (method, rawPath) =>
      new AwsError('UnknownOperationException', `Unknown operation ${method} ${rawPath}`, 404),
    accessDenied: (message) => new AccessDeniedException(message),
    resourcePolicy: policyOf,
    internalRoutes: [
      {
        method: 'GET',
        prefix: CODE_URL_PREFIX,
        // Presigned like S3's URLs: whoever holds the URL may download until it expires.
        handle(_req, res, url) {
          const codeKey = url.pathname.slice(CODE_URL_PREFIX.length);
          const expires = Number(url.searchParams.get('Expires'));
          const given = Buffer.from(url.searchParams.get('Signature') ?? '', 'hex');
          const expected = Buffer.from(sign(codeKey, expires), 'hex');
          const valid =
            /^[0-9a-f]{64}$/.test(codeKey) &&
            expires * 1000 > Date.now() &&
            given.length === expected.length &&
            timingSafeEqual(given, expected) &&
            blobs.has(codeKey);
          if (!valid) {
            res.writeHead(403, { 'content-type': 'application/xml' });
            res.end(
              '<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Request has expired or is invalid</Message></Error>',
            );
            return;
          }
          const file = blobs.pathOf(codeKey);
          res.writeHead(200, {
            'content-type': 'application/zip',
            'content-length': String(fs.statSync(file).size),
          });
          fs.createReadStream(file).pipe(res);
        },
      },
    ],
    health: () => ({ status: 'ok', operations: router.size }),
    close: async () => {
      await deps.asyncQueue.close();
      await activator.idle();
    },
  };
}

/** The async queue's moments as Lambda's metrics: age at each attempt, events given up. */
function asyncObserver(metrics: LambdaMetrics): AsyncObserver {
  return {
    eventAge: (functionId, qualifier, ageMs) => metrics.asyncEventAge(functionId, qualifier, ageMs),
    dropped: (functionId, qualifier) => metrics.asyncEventDropped(functionId, qualifier),
  };
}
