/**
 * The platform as one object: storage opened, the sandbox provider probed, services
 * created, the gateway ready. `createLambent(config)` does not listen; `start()` does.
 * `stop()` finishes in-flight requests, stops execution environments, lets background work
 * settle, then closes storage. The data dir is locked from creation to stop (a second server on
 * it is refused): what a kill -9'd run left there is reclaimed by the next one, see
 * shared/data-dir-lock.ts and sandbox/linux/provider.ts.
 */
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { FunctionInvoker } from './event-sources/function-invoker.js';
import { createApiGatewayFrontDoor } from './event-sources/http/api-gateway.js';
import { createFunctionUrlDoor } from './event-sources/http/function-url-door.js';
import { createRestApiDoor } from './event-sources/http/rest-api-door.js';
import { createLambdaDeliverer, LAMBDA_KIND } from './event-sources/outbox/lambda-deliverer.js';
import { createOutbox } from './event-sources/outbox/outbox.js';
import { createGateway } from './gateway/server.js';
import { createAuthenticator } from './iam/authenticator.js';
import { createAuthorizer } from './iam/authorizer.js';
import { loadAwsManagedPolicies } from './iam/aws-managed.js';
import { executionRoleCredentials } from './iam/execution-role.js';
import { identityPolicySource } from './iam/identity-policies.js';
import { createLogPermission } from './iam/log-permission.js';
import { createIdentityStore } from './iam/store.js';
import { createInvoker } from './invoke/invoker.js';
import { LogBudget } from './invoke/log-budget.js';
import { findNodeSdk, nodeSdkTree } from './invoke/node-sdk.js';
import { createRuntimeCatalog } from './invoke/runtimes.js';
import { createMetrics, renderPrometheus } from './metrics/index.js';
import { createSandboxProvider, type SandboxProvider } from './sandbox/index.js';
import { createServices } from './services/registry.js';
import { type Config, iamEnforced } from './shared/config.js';
import { acquireDataDirLock } from './shared/data-dir-lock.js';
import { createLogger, type Logger } from './shared/logger.js';
import { packageRoot, VERSION } from './shared/version.js';
import { createBlobStore } from './storage/blob-store.js';
import { openDatabase } from './storage/db.js';

export interface Lambent {
  readonly config: Config;
  /** Listens on config.host:config.port; returns the real address (port 0 picks one). */
  start(): Promise<AddressInfo & { url: string }>;
  stop(): Promise<void>;
  /** How event sources and front doors invoke functions (FunctionInvoker); tests drive it too. */
  readonly functions: FunctionInvoker;
}

export async function createLambent(config: Config, logger: Logger = createLogger()): Promise<Lambent> {
  fs.mkdirSync(config.dataDir, { recursive: true });
  // Before anything touches the data dir: the blob store's and the sandboxes' clean-ups of a
  // crashed run would wreck a live server's state.
  const lock = acquireDataDirLock(config.dataDir);
  let sandboxes: SandboxProvider;
  let db: ReturnType<typeof openDatabase>;
  let blobs: ReturnType<typeof createBlobStore>;
  const sdkDir = builtInSdk(config, logger);
  try {
    db = openDatabase(path.join(config.dataDir, 'lambent.db'));
    blobs = createBlobStore(path.join(config.dataDir, 'blobs'));
    sandboxes = await createSandboxProvider({
      ...(config.sandbox === 'auto' ? {} : { prefer: config.sandbox }),
      dataDir: config.dataDir,
      logger,
      // Interpreters from npm and the built-in SDK are bound into sandboxes: hide their host paths.
      linux: {
        viewDirs: [path.join(config.cacheDir, 'node'), ...(sdkDir ? [sdkDir] : [])],
        sandboxSubnet: config.sandboxSubnet,
      },
    });
  } catch (err) {
    lock.release();
    throw err;
  }
  const identities = createIdentityStore(db, loadAwsManagedPolicies());
  // No environment outlives its server: sessions still here belong to a run that ended
  // without revoking them (kill -9). The data-directory lock says no other server uses them.
  const revoked = identities.revokeEnvironmentSessions();
  if (revoked > 0) logger.info(`revoked ${revoked} execution-role session(s) left by the previous run`);
  const identityPolicies = identityPolicySource(identities);
  const logPermission = createLogPermission({ enforced: iamEnforced(config), identityPolicies, logger });
  const metrics = createMetrics({ db, logger });
  const logBudget = new LogBudget({ ...config.logs, dataDir: config.dataDir });
  // Functions reach the platform on loopback, whatever address the gateway listens on.
  let endpointUrl = `http://127.0.0.1:${config.port}`;
  const invoker = createInvoker({
    sandboxes,
    logs: undefined,
    logger,
    runtimeDir: path.join(packageRoot, 'src', 'runtimes'),
    ...(sdkDir ? { sdkDir } : {}),
    runtimes: createRuntimeCatalog(config),
    credentials: executionRoleCredentials(identities, { logPermission }),
    tmpRoot: path.join(config.dataDir, 'lambda', 'tmp'),
    endpointUrl: () => endpointUrl,
    billingGranularityMs: config.lambda.billingGranularityMs,
    freezeDelayMs: config.lambda.freezeDelayMs,
    outbound: config.lambda.outbound,
    maxStreamedResponseBytes: config.lambda.maxStreamedResponseBytes,
    keepAliveMs: config.lambda.keepAliveSeconds * 1000,
    limits: config.lambda,
    metrics: metrics.lambda,
    prewarm: config.lambda.prewarmPoolSize,
    logBudget,
  });
  const authorizer = createAuthorizer({
    enforced: iamEnforced(config),
    logger,
    identityPolicies,
  });
  // Services record the events their writes cause here, in the writes' transactions; delivery
  // starts with the server (the deliverers need the services).
  const outbox = createOutbox({ db, logger });
  // Known once listening (port 0 picks one): function URLs name it.
  let publicPort = config.port;
  const { services, logs, functions, functionUrls, httpApis, restApis } = createServices({
    config,
    db,
    blobs,
    logger,
    invoker,
    metrics,
    identities,
    authorizer,
    outbox,
    publicPort: () => publicPort,
  });
  invoker.attachLogs(logs);
  const authenticator = createAuthenticator(config.credentials, identities);
  logBudget.attachStore(() => logs.storedBytes());
  const started = Date.now();
  // Health is unauthenticated: it shows no host paths (the data directory, the launcher, the
  // interpreters, cgroup mounts). `lambent doctor`, run on the host, prints those.
  const gateway = createGateway({
    config,
    services,
    logger,
    authorizer,
    authenticator,
    frontDoors: [
      createFunctionUrlDoor({
        urls: functionUrls,
        functions,
        authenticator,
        logger,
        bodyIdleTimeoutMs: config.gateway.bodyIdleTimeoutMs,
      }),
      // REST APIs before HTTP APIs: both use `<id>.execute-api.` and `/_aws/execute-api/`; the
      // REST door claims only its own ids, the HTTP API door everything else there.
      createRestApiDoor({
        directory: restApis,
        functions,
        logger,
        bodyIdleTimeoutMs: config.gateway.bodyIdleTimeoutMs,
      }),
      createApiGatewayFrontDoor({
        store: httpApis,
        functions,
        logger,
        bodyIdleTimeoutMs: config.gateway.bodyIdleTimeoutMs,
      }),
    ],
    health: ({ local }) => {
      const sandbox = sandboxes.describe();
      const budget = logBudget.status();
      return {
        version: VERSION,
        status: 'ok',
        uptimeSeconds: Math.round((Date.now() - started) / 1000),
        parts: {
          gateway: { status: 'ok' },
          storage: { status: db.open ? 'ok' : 'closed' },
          sandbox: { status: 'ok', ...sandbox, details: withoutHostPaths(sandbox.details) },
          invoke: { status: 'ok', ...invoker.stats(), provisioned: invoker.provisioned.usageAll() },
          // Events services recorded and not yet delivered (event-sources/outbox).
          eventSources: { status: 'ok', outboxPending: outbox.pending() },
          // Function output kept or dropped (log-budget.ts): degraded while the disk is short.
          // Which functions and roles lack log permission names an account's resources: listed
          // only to this machine (`lambent doctor`), counted for others.
          functionLogs: {
            ...budget,
            withoutPermission: local
              ? logPermission.withoutPermission()
              : logPermission.withoutPermission().length,
          },
          ...Object.fromEntries(services.map((s) => [s.name, s.health()])),
        },
      };
    },
    metrics: () =>
      renderPrometheus(metrics.lambda, invoker.stats(), Math.round((Date.now() - started) / 1000), logBudget),
  });
  let stopped = false;

  return {
    config,
    functions,
    async start() {
      const address = await gateway.listen();
      endpointUrl = `http://127.0.0.1:${address.port}`;
      publicPort = address.port;
      // Provisioned environments start once they can reach the platform.
      invoker.provisioned.resume();
      outbox.start({ [LAMBDA_KIND]: createLambdaDeliverer(functions) });
      const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      return { ...address, url: `http://${host}:${address.port}` };
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      // Every step runs whatever an earlier one threw: sandboxes hold mounts, loop devices and
      // cgroups that must go even when, say, an in-flight request failed to finish.
      const failures: unknown[] = [];
      const step = async (fn: () => unknown) => {
        try {
          await fn();
        } catch (err) {
          failures.push(err);
        }
      };
      await step(() => gateway.close());
      await step(() => outbox.close());
      await step(() => invoker.close());
      await step(() => Promise.all(services.map((s) => s.close())));
      await step(() => sandboxes.close());
      await step(() => logBudget.close());
      await step(() => metrics.close());
      await step(() => db.close());
      lock.release();
      if (failures.length > 0) throw failures[0];
    },
  };
}

/** The provider's details without those that name a host path (values with an absolute path in them). */
function withoutHostPaths(details: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(details).filter(([, v]) => !/(^|[\s=:(])\//.test(v)));
}

/**
 * The directory Node functions see at /var/runtime/node_modules: the pinned AWS SDK and its
 * dependencies only (node-sdk.ts), built into the cache directory on first use.
 */
function builtInSdk(config: Config, logger: Logger): string | undefined {
  const sdk = findNodeSdk();
  if (!sdk) {
    logger.warn('the AWS SDK for JavaScript is not installed: Node functions must bundle their own');
    return undefined;
  }
  try {
    return nodeSdkTree(sdk, config.cacheDir);
  } catch (err) {
    logger.warn(
      `the AWS SDK for JavaScript could not be prepared in ${config.cacheDir} (${(err as Error).message}): Node functions must bundle their own`,
    );
    return undefined;
  }
}
