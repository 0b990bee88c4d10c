import path from 'node:path';
import express, { type Express, type RequestHandler } from 'express';
import * as OpenApiValidator from 'express-openapi-validator';
import { rateLimit, type Options as RateLimitOptions, type Store } from 'express-rate-limit';
import helmet from 'helmet';
import type { Logger } from 'pino';
import { ADMIN_ROLE, CONNECTIONS_ROLE, requireRole, type KeyRing } from './auth.js';
import type { ComposioGateway } from './composio/index.js';
import type { CredentialsReader } from './credentials-reader.js';
import { AppError, errorRenderer } from './errors.js';
import { requestLogger } from './logging.js';
import type { Metrics } from './metrics.js';
import { listConnections, setConnectionActive } from './operations/connections.js';
import { getAdminCredentials, getAdminCredentialsByConnection } from './operations/read-credentials.js';
import { deleteCredential, registerCredential } from './operations/registry-admin.js';
import type { Registry } from './registry/registry.js';
import { bundledSpecPath, docsPath, loadSpec } from './specs.js';

/** Readiness of every dependency; `ready` when the ones the API cannot work without are. */
export interface ReadinessResult {
  ready: boolean;
  checks: Record<string, string>;
}

export interface AppDependencies {
  logger: Logger;
  keyRing: KeyRing;
  registry: Registry;
  reader: CredentialsReader;
  gateway: ComposioGateway;
  readiness: () => Promise<ReadinessResult>;
  /** Where rate-limit counters live (shared through Redis); in process when absent. */
  rateLimitStore?: (name: string) => Store;
  metrics: Metrics;
  /** Validate every response against the spec (development and tests); a failure is a 500. */
  validateResponses: boolean;
  rateLimit: { windowMs: number; perKey: number; perAddress: number };
  trustProxy: boolean | number | string;
}

export const API_PATH = '/v1/personal-connectors';
export const CREDENTIALS_PATH = `${API_PATH}/admin/credentials`;
export const CONNECTIONS_PATH = `${API_PATH}/connections`;
/** The largest request body (JSON, registration and toggles); anything larger is refused before it is read. */
export const MAX_BODY_BYTES = 1024;

/** Refuses request bodies early: by Content-Length, or any chunked body. */
const refuseBodies: RequestHandler = (req, res, next) => {
  const length = Number(req.headers['content-length'] ?? 0);
  if (req.headers['transfer-encoding'] !== undefined || !Number.isFinite(length) || length > MAX_BODY_BYTES) {
    res.setHeader('Connection', 'close');
    return next(new AppError('PAYLOAD_TOO_LARGE', { systemMessage: `Request bodies over ${MAX_BODY_BYTES} bytes are refused`, details: { limit_bytes: MAX_BODY_BYTES } }));
  }
  next();
};

/** Counts and times every answer by route (the route template, never the raw path), method and status. */
function recordMetrics(metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const started = performance.now();
    res.on('finish', () => {
      // The route template, never the raw path: the matched route, else the spec's path the
      // validator matched before refusing the request.
      const matched: unknown = Reflect.get(req, 'openapi'); // set by express-openapi-validator, untyped
      const specRoute = typeof matched === 'object' && matched !== null && 'expressRoute' in matched ? String(matched.expressRoute) : undefined;
      const route = req.route ? `${req.baseUrl}${req.route.path as string}` : (specRoute ?? 'unmatched');
      const labels = { route, method: req.method, status: String(res.statusCode) };
      metrics.httpRequests.inc(labels);
      metrics.httpDuration.observe(labels, (performance.now() - started) / 1000);
    });
    next();
  };
}

function limiter(name: string, limit: number, windowMs: number, metrics: Metrics, store: AppDependencies['rateLimitStore'], extra: Partial<RateLimitOptions> = {}): RequestHandler {
  return rateLimit({
    windowMs,
    limit,
    identifier: name,
    standardHeaders: 'draft-8',
    legacyHeaders: true,
    // The library's configuration checks run on every request and log to the console; this
    // configuration is fixed and tested, and proxies are set with TRUST_PROXY.
    validate: false,
    ...(store && { store: store(name) }),
    handler: (req, _res, next) => {
      metrics.rateLimited.inc({ limit: name });
      // express-rate-limit puts its RateLimitInfo on the request, untyped.
      const info: unknown = Reflect.get(req, 'rateLimit');
      const reset = typeof info === 'object' && info !== null && 'resetTime' in info && info.resetTime instanceof Date ? info.resetTime : undefined;
      const seconds = reset ? Math.max(1, Math.ceil((reset.getTime() - Date.now()) / 1000)) : Math.ceil(windowMs / 1000);
      next(new AppError('RATE_LIMIT_EXCEEDED', { systemMessage: `Rate limit ${name} exceeded (${limit} per ${windowMs / 1000} s)`, retryAfterSeconds: seconds }));
    },
    ...extra,
  });
}

/**
 * helmet's headers, computed once: with this configuration they do not depend on the request, so
 * helmet runs once on a stand-in response and each answer gets the same headers.
 */
function securityHeaders(options: Parameters<typeof helmet>[0]): RequestHandler {
  const headers = new Map<string, string>();
  const removed: string[] = [];
  const standIn = { setHeader: (name: string, value: unknown) => headers.set(name, String(value)), removeHeader: (name: string) => removed.push(name) };
  let done = false;
  helmet(options)({} as never, standIn as never, () => (done = true));
  if (!done) throw new Error('helmet did not finish synchronously: its headers are not static');
  return (_req, res, next) => {
    res.setHeaders(headers);
    for (const name of removed) res.removeHeader(name);
    next();
  };
}

/**
 * Redoc's page needs its inline script and styles; the only thing it loads from elsewhere is the
 * "API docs by Redocly" logo, an image on Redocly's CDN (without it the page showed a broken image).
 */
const DOCS_CSP =
  "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data: https://cdn.redoc.ly; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** Readiness states of a dependency that still works, if in a lesser way. */
const WORKING = new Set(['ok', 'degraded', 'unverified']);

export function createApp(deps: AppDependencies): Express {
  const app = express();
  app.disable('x-powered-by');
  // Bodies carry secrets and are never reused: an ETag would only cost a hash per response.
  app.set('etag', false);
  app.set('trust proxy', deps.trustProxy);

  app.use(requestLogger(deps.logger));
  app.use(recordMetrics(deps.metrics));
  app.use(
    securityHeaders({
      contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"] } },
      crossOriginResourcePolicy: { policy: 'same-origin' },
    }),
  );
  app.use(refuseBodies);

  app.get('/healthz', (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res, next) => {
    const result = await deps.readiness();
    if (!result.ready) {
      const failing = Object.entries(result.checks).filter(([, state]) => !WORKING.has(state));
      const code = result.checks.database === 'down' ? 'DATABASE_UNAVAILABLE' : 'UPSTREAM_UNAVAILABLE';
      return next(new AppError(code, { systemMessage: `Not ready: ${failing.map(([name, state]) => `${name} ${state}`).join(', ')}`, details: { checks: result.checks } }));
    }
    res.setHeader('Cache-Control', 'no-store');
    res.json({ status: 'ready', checks: result.checks });
  });
  app.get('/metrics', requireRole(deps.keyRing, ['metrics', 'admin']), async (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });

  // Every other route counts against the caller's address, keys or not.
  app.use(limiter('per-address', deps.rateLimit.perAddress, deps.rateLimit.windowMs, deps.metrics, deps.rateLimitStore));

  // The contract itself, public: rendered reference docs and the bundled spec. The file is sent
  // from its own directory as root: in a production tree it lives under node_modules/.pnpm, and
  // without a root `send` refuses any path with a dot segment.
  const publicFile = (file: string, type: string, csp?: string): RequestHandler => (_req, res, next) => {
    res.setHeader('Cache-Control', 'public, max-age=300');
    if (csp) res.setHeader('Content-Security-Policy', csp);
    res.type(type).sendFile(path.basename(file), { root: path.dirname(file) }, (error) => error && next(error));
  };
  app.get('/docs', publicFile(docsPath('aitronos'), 'html', DOCS_CSP));
  app.get('/openapi.json', publicFile(bundledSpecPath('aitronos', 'json'), 'json'));
  app.get('/openapi.yaml', publicFile(bundledSpecPath('aitronos', 'yaml'), 'application/yaml'));

  // Authentication first: an unauthenticated caller learns nothing about what is valid. Admin
  // keys for the credentials and the registry; admin or connections keys for the list and toggle.
  app.use(`${API_PATH}/admin`, requireRole(deps.keyRing, [ADMIN_ROLE]));
  app.use(CONNECTIONS_PATH, requireRole(deps.keyRing, [ADMIN_ROLE, CONNECTIONS_ROLE]));
  app.use(
    API_PATH,
    limiter('per-key', deps.rateLimit.perKey, deps.rateLimit.windowMs, deps.metrics, deps.rateLimitStore, {
      keyGenerator: (_req, res) => `key:${res.locals.principal?.name}`,
    }),
  );
  // Request bodies are JSON; another content type is left unparsed for the validator to refuse (415).
  app.use(API_PATH, express.json({ limit: MAX_BODY_BYTES, strict: true, type: 'application/json' }));

  app.use(
    OpenApiValidator.middleware({
      apiSpec: loadSpec('aitronos') as never,
      validateRequests: { allowUnknownQueryParameters: false },
      validateResponses: deps.validateResponses ? { removeAdditional: false } : false,
      validateSecurity: false,
      ignoreUndocumented: false,
    }),
  );

  const services = { registry: deps.registry, reader: deps.reader, gateway: deps.gateway };
  app.post(CREDENTIALS_PATH, registerCredential(services));
  app.get(`${CREDENTIALS_PATH}/by-connection/:connection_id`, getAdminCredentialsByConnection(services));
  app.get(`${CREDENTIALS_PATH}/:credential_id`, getAdminCredentials(services));
  app.delete(`${CREDENTIALS_PATH}/:credential_id`, deleteCredential(services));
  app.get(`${CONNECTIONS_PATH}/:tool_key`, listConnections(services));
  app.patch(`${CONNECTIONS_PATH}/:credential_id/active`, setConnectionActive(services));

  app.use((_req, _res, next) => next(new AppError('ROUTE_NOT_FOUND')));
  app.use(errorRenderer(deps.logger));
  return app;
}
