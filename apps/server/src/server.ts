/** The composition root: configuration in, a listening server out. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { createApp, servedOperations } from './app.js';
import { createKeyRing } from './auth.js';
import { createComposio, type ReadinessResult } from './composio/index.js';
import type { ComposioRequestHook } from './composio/http.js';
import { createCredentialsReader } from './credentials-reader.js';
import type { Config } from './config.js';
import { hardenedServerOptions, hardenHttpServer } from './http-hardening.js';
import { createLogger } from './logging.js';
import { createMetrics } from './metrics.js';
import { openDatabase } from './registry/database.js';
import { sharedProbe } from './probe.js';
import { createRegistry, type Registry } from './registry/registry.js';
import { loadSpec } from './specs.js';
import { createMemoryStore, createRedisStore, type CredentialStore } from './shared/credential-store.js';
import { createSharedCounters } from './shared/rate-limit-store.js';

export interface StartOptions {
  logger?: Logger;
  /**
   * Sees each request to Composio before it is sent, and may add headers. Contract tests use it
   * to pick a Prism example; the production entry point does not pass one.
   */
  onComposioRequest?: ComposioRequestHook;
  /** The registry's clock, in ms (tests move it through the window of unverified entries); `Date.now` otherwise. */
  registryClock?: () => number;
  /** The Aitronos spec to serve instead of the bundled one (tests give altered copies). */
  spec?: Record<string, unknown>;
}

export interface RunningServer {
  url: string;
  port: number;
  server: Server;
  logger: Logger;
  /** The credential registry (the local entry point registers the mock's accounts through it). */
  registry: Registry;
  /** Stops accepting connections, lets in-flight requests finish (up to the shutdown timeout), closes the database and Redis, then resolves. */
  close(): Promise<void>;
}

/** Prefix of every key this server writes to Redis. */
const REDIS_PREFIX = 'cc:';
/** How long a readiness ping of the database is good for. */
const DATABASE_PROBE_MS = 1_000;

export async function startServer(config: Config, options: StartOptions = {}): Promise<RunningServer> {
  // A spec that does not say who may call each operation, or names one without a handler, stops
  // the start before anything is opened.
  const spec = options.spec ?? loadSpec('aitronos');
  const operations = servedOperations(spec);
  const logger = options.logger ?? createLogger(config.logLevel);
  for (const deprecation of config.deprecations) logger.warn(deprecation);
  const metrics = createMetrics();
  const composio = createComposio(config, metrics, options.onComposioRequest);

  const fallback = (operation: string) => metrics.sharedStateFallbacks.inc({ operation });
  const redis = config.redis;
  const shared = redis && createRedisStore({ ...redis, prefix: REDIS_PREFIX, maxLocalEntries: config.cache.maxEntries, onFallback: fallback, onCoalesced: () => metrics.coalesced.inc() });
  const store: CredentialStore = shared || createMemoryStore({ maxEntries: config.cache.maxEntries, onCoalesced: () => metrics.coalesced.inc() });
  const reader = createCredentialsReader(
    composio.gateway,
    store,
    { ttlMs: config.cache.ttlMs, expiryMarginMs: config.cache.expiryMarginMs, deadlineMs: config.composio.timeoutMs, staleIfError: config.staleIfError },
    metrics,
  );
  const { registry: registrySettings } = config;
  if (!registrySettings.databaseUrl && config.env === 'production') {
    logger.warn({ data_dir: registrySettings.dataDir }, 'registry on PGlite in DATA_DIR: set DATABASE_URL (PostgreSQL) to run more than one instance');
  }
  const database = await openDatabase({
    ...(registrySettings.databaseUrl ? { url: registrySettings.databaseUrl } : { dataDir: registrySettings.dataDir }),
    poolSize: registrySettings.poolSize,
    connectTimeoutMs: registrySettings.connectTimeoutMs,
    statementTimeoutMs: registrySettings.statementTimeoutMs,
    onQuery: () => metrics.registryQueries.inc(),
  });
  metrics.databaseUp.set(1);
  const registry = await createRegistry(database, {
    ttlMs: registrySettings.cacheTtlMs,
    staleMaxMs: registrySettings.staleMaxMs,
    retryAfterSeconds: registrySettings.retryAfterSeconds,
    ...(options.registryClock && { now: options.registryClock }),
    maxEntries: registrySettings.cacheMaxEntries,
    // Another instance deleted or turned off a credential: drop what this one keeps of it.
    onRemoteChange: (_id, connectionId) => void reader.forget(connectionId),
    onUnverifiedLookup: () => metrics.registryUnverified.inc(),
    onDatabaseState: (state) => {
      metrics.databaseUp.set(state === 'up' ? 1 : 0);
      if (state === 'down') logger.warn({ stale_max_ms: registrySettings.staleMaxMs }, "registry database lost: kept entries are served, marked, within the window; everything else answers 503");
      else logger.info('registry database back: kept entries forgotten, lookups fresh');
    },
  });

  // However often /readyz is asked (it needs no key), the database is pinged at most once a second.
  const pingDatabase = sharedProbe(() => registry.ping().then(() => 'ok' as const, () => 'down' as const), DATABASE_PROBE_MS);
  async function readiness(): Promise<ReadinessResult> {
    const [upstream, databaseState] = await Promise.all([composio.readiness(), pingDatabase()]);
    const checks: Record<string, string> = { ...upstream.checks, database: databaseState, ...(redis ? { redis: store.health() } : {}) };
    // Changes made through other instances are not heard: entries in memory are served, marked, for a while.
    if (registry.cacheState() === 'unverified') checks.registry_cache = 'unverified';
    return { ready: upstream.ready && checks.database === 'ok', checks };
  }

  const dependencies = {
    logger,
    keyRing: createKeyRing(config.apiKeys),
    registry,
    reader,
    gateway: composio.gateway,
    readiness,
    metrics,
    validateResponses: config.validateResponses,
    rateLimit: config.rateLimit,
    trustProxy: config.trustProxy,
    ...(shared && { rateLimitCounters: createSharedCounters(shared.client, `${REDIS_PREFIX}ratelimit:`, config.rateLimit, fallback) }),
    spec,
    operations,
  };
  let app: ReturnType<typeof createApp>;
  try {
    app = createApp(dependencies);
  } catch (error) {
    // A spec the validator refuses: nothing is left open behind the error.
    await Promise.allSettled([registry.close(), store.close(), composio.close()]);
    throw error;
  }

  const server = createServer(hardenedServerOptions(config.http), app);
  hardenHttpServer(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
  logger.info(
    { url, env: config.env, composio: config.composio.baseUrl, keys: config.apiKeys.length, validate_responses: config.validateResponses, registry: database.kind, shared_state: redis ? 'redis' : 'in process' },
    'listening',
  );

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= new Promise<void>((resolve) => {
      const force = setTimeout(() => server.closeAllConnections(), config.shutdownTimeoutMs);
      force.unref();
      server.close(() => {
        clearTimeout(force);
        void Promise.allSettled([registry.close(), store.close(), composio.close()]).then(() => resolve());
      });
      server.closeIdleConnections();
    }));

  return { url, port, server, logger, registry, close };
}
