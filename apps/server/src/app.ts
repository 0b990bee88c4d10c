import path from 'node:path';
import express, { type Express, type RequestHandler } from 'express';
import * as OpenApiValidator from 'express-openapi-validator';
import helmet from 'helmet';
import type { AitronosOperations } from '@connector-credentials/types';
import type { Logger } from 'pino';
import { authorizeOperation, authorizeUnknownPath, matchOperation, readOperationAccess, type OperationAccess } from './access.js';
import { METRICS_ROLES, requireRole, type KeyRing } from './auth.js';
import type { ComposioGateway, ReadinessResult } from './composio/index.js';
import type { CredentialsReader } from './credentials-reader.js';
import { AppError, errorRenderer } from './errors.js';
import { requestLogger, type FinishObserver } from './logging.js';
import type { Metrics } from './metrics.js';
import { listConnections, setConnectionActive } from './operations/connections.js';
import { getAdminCredentials, getAdminCredentialsByConnection } from './operations/read-credentials.js';
import { deleteCredential, registerCredential } from './operations/registry-admin.js';
import { API_PATH } from './paths.js';
import type { Registry } from './registry/registry.js';
import { createRateLimits, inProcessCounters, type RateLimitCounters, type RateLimitSettings } from './rate-limits.js';
import { bundledSpecPath, docsPath } from './specs.js';

export interface AppDependencies {
  logger: Logger;
  keyRing: KeyRing;
  registry: Registry;
  reader: CredentialsReader;
  gateway: ComposioGateway;
  readiness: () => Promise<ReadinessResult>;
  /** Where rate-limit counters live (shared through Redis); in process when absent. */
  rateLimitCounters?: RateLimitCounters;
  metrics: Metrics;
  /** Validate every response against the spec (development and tests); a failure is a 500. */
  validateResponses: boolean;
  rateLimit: RateLimitSettings;
  trustProxy: boolean | number | string;
  /** The Aitronos spec served, validated and authorized (tests pass altered copies). */
  spec: Record<string, unknown>;
  /** Its operations with who may call each: `servedOperations(spec)`. */
  operations: readonly OperationAccess[];
}

/** The handler of each operation of the spec, by operationId (the compiler wants one per generated operation). */
const HANDLERS = {
  registerCredential,
  getAdminCredentialsByConnection,
  getAdminCredentials,
  deleteCredential,
  listConnections,
  setConnectionActive,
} satisfies { [Id in keyof AitronosOperations]: (services: Services) => unknown };

interface Services {
  registry: Registry;
  reader: CredentialsReader;
  gateway: ComposioGateway;
  serializeOnce: boolean;
}
/** The largest request body (JSON, registration and toggles); anything larger is refused before it is read. */
export const MAX_BODY_BYTES = 1024;

/** Refuses request bodies early: by Content-Length, or any chunked body. */
const refuseBodies: RequestHandler = (req, res, next) => {
  const length = Number(req.headers['content-length'] ?? 0);
  const chunked = req.headers['transfer-encoding'] !== undefined;
  if (chunked || !Number.isFinite(length) || length > MAX_BODY_BYTES) {
    res.setHeader('Connection', 'close');
    const systemMessage = chunked ? `Request bodies must announce their length (Content-Length, at most ${MAX_BODY_BYTES} bytes): chunked bodies are refused` : `Request bodies over ${MAX_BODY_BYTES} bytes are refused`;
    return next(new AppError('PAYLOAD_TOO_LARGE', { systemMessage, details: { limit_bytes: MAX_BODY_BYTES } }));
  }
  next();
};

/**
 * Counts and times every answer by route (the route template, never the raw path), method and
 * status; told by the request logger's one `finish` listener. The metric children of each label
 * set are made once.
 */
function metricsObserver(metrics: Metrics): FinishObserver {
  const children = new Map<string, { count: { inc(): void }; duration: { observe(value: number): void } }>();
  return (req, res, elapsedMs) => {
    // The route template, never the raw path: the spec operation the request was matched to
    // before its key was checked (so refusals count under it too), else an Express route
    // outside the spec (`/docs`, `/metrics`), else `unmatched`. Methods are the ones Node's
    // parser accepts and statuses are the server's own: the set of label sets is bounded.
    const route = res.locals.operation?.route ?? (req.route ? `${req.baseUrl}${req.route.path as string}` : 'unmatched');
    const key = `${res.statusCode} ${req.method} ${route}`;
    let child = children.get(key);
    if (child === undefined) {
      const labels = { route, method: req.method, status: String(res.statusCode) };
      child = { count: metrics.httpRequests.labels(labels), duration: metrics.httpDuration.labels(labels) };
      children.set(key, child);
    }
    child.count.inc();
    child.duration.observe(elapsedMs / 1000);
  };
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

/**
 * The spec's operations with who may call each. Throws, naming them, when an operation declares
 * no roles (or none a key can meet) or has no handler here: the server checks this before it
 * opens anything.
 */
export function servedOperations(spec: Record<string, unknown>): OperationAccess[] {
  const operations = readOperationAccess(spec);
  const unserved = operations.filter((o) => !Object.hasOwn(HANDLERS, o.operationId)).map((o) => `${o.operationId} (${o.method.toUpperCase()} ${o.path})`);
  if (unserved.length > 0) throw new Error(`No handler for the spec's operations: ${unserved.join(', ')}`);
  return operations;
}

export function createApp(deps: AppDependencies): Express {
  const { spec, operations } = deps;

  const app = express();
  app.disable('x-powered-by');
  // Bodies carry secrets and are never reused: an ETag would only cost a hash per response.
  app.set('etag', false);
  app.set('trust proxy', deps.trustProxy);

  // What every request goes through first, as one layer of the router (each layer costs a pass
  // of its loop): its log line and metrics, the security headers, the refusal of large bodies.
  const logRequest = requestLogger(deps.logger, metricsObserver(deps.metrics));
  const setSecurityHeaders = securityHeaders({
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"] } },
    crossOriginResourcePolicy: { policy: 'same-origin' },
  });
  app.use((req, res, next) => logRequest(req, res, () => setSecurityHeaders(req, res, () => refuseBodies(req, res, next))));

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
  app.get('/metrics', requireRole(deps.keyRing, METRICS_ROLES), async (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });

  // Every other route counts against the caller's address, keys or not. An operation's route is
  // matched first (its refusals, 429 included, count under it); then both rate limits in one pass
  // (per address, and per key when the operation accepts the key); then its key is checked as its
  // spec declares: an unauthenticated caller learns nothing about what is valid. Then the JSON
  // body (when there is one; a chunked body was refused above, so a body announces its length),
  // validation and the handler, all on the operation's one route: a request is matched to its
  // route once.
  const limits = createRateLimits(deps.rateLimit, deps.rateLimitCounters ?? inProcessCounters(deps.rateLimit), deps.keyRing, deps.metrics);
  // Request bodies are JSON; another content type is left unparsed for the validator to refuse (415).
  const json = express.json({ limit: MAX_BODY_BYTES, strict: true, type: 'application/json' });
  const parseBody: RequestHandler = (req, res, next) => (req.headers['content-length'] === undefined ? next() : json(req, res, next));
  const validator = OpenApiValidator.middleware({
    apiSpec: spec as never,
    validateRequests: { allowUnknownQueryParameters: false },
    validateResponses: deps.validateResponses ? { removeAdditional: false } : false,
    // The spec's security is enforced above, from the same declarations, before anything is validated.
    validateSecurity: false,
    ignoreUndocumented: false,
  });
  const services: Services = { registry: deps.registry, reader: deps.reader, gateway: deps.gateway, serializeOnce: !deps.validateResponses };
  for (const operation of operations) {
    // Each handler is typed by its own operation; Express takes them all as plain handlers.
    const handler = HANDLERS[operation.operationId as keyof typeof HANDLERS](services) as unknown as RequestHandler;
    app[operation.method](operation.route, matchOperation(operation), limits.operation(operation), authorizeOperation(deps.keyRing, operation), parseBody, ...validator, handler);
  }

  // What is no operation: the per-address limit, then the public files, else a key, the per-key
  // limit and the validator's 404 or 405.
  app.use(limits.perAddress);

  // The contract itself, public: rendered reference docs and the bundled spec. The file is sent
  // from its own directory as root: in a production tree it lives under node_modules/.pnpm, and
  // without a root `send` refuses any path with a dot segment.
  const publicFile = (file: string, type: string, csp?: string): RequestHandler => (req, res, next) => {
    res.setHeader('Cache-Control', 'public, max-age=300');
    if (csp) res.setHeader('Content-Security-Policy', csp);
    // Whole files, answered 200 or 304 (If-None-Match, If-Modified-Since): the preconditions
    // of writes (If-Match, If-Unmodified-Since) and ranges do not apply to them.
    for (const name of ['if-match', 'if-unmodified-since', 'range', 'if-range']) delete req.headers[name];
    // A caller that hangs up mid-file (ECONNABORTED) is no error of the server's.
    res.type(type).sendFile(path.basename(file), { root: path.dirname(file), acceptRanges: false }, (error) => {
      if (error && (error as NodeJS.ErrnoException).code !== 'ECONNABORTED') next(error);
    });
  };
  app.get('/docs', publicFile(docsPath('aitronos'), 'html', DOCS_CSP));
  app.get('/openapi.json', publicFile(bundledSpecPath('aitronos', 'json'), 'json'));
  app.get('/openapi.yaml', publicFile(bundledSpecPath('aitronos', 'yaml'), 'application/yaml'));

  // Paths under the API that are no operation need a key too (then 404 or 405).
  app.use(API_PATH, authorizeUnknownPath(deps.keyRing, operations));
  app.use((req, res, next) => (res.locals.principal === undefined ? next() : limits.perKey(req, res, next)));
  app.use(validator);

  app.use((_req, _res, next) => next(new AppError('ROUTE_NOT_FOUND')));
  app.use(errorRenderer(deps.logger));
  return app;
}
