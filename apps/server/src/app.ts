import express, { type Express } from 'express';
import * as OpenApiValidator from 'express-openapi-validator';
import type { Logger } from 'pino';
import { requireAdmin, type KeyRing } from './auth.js';
import type { ComposioGateway } from './composio-gateway.js';
import { AppError, errorRenderer } from './errors.js';
import { getAdminCredentials } from './get-admin-credentials.js';
import { requestLogger } from './logging.js';
import type { ReadinessResult } from './readiness.js';
import { bundledSpecPath, docsPath, loadAitronosSpec } from './specs.js';

export interface AppDependencies {
  logger: Logger;
  keyRing: KeyRing;
  gateway: ComposioGateway;
  readiness: () => Promise<ReadinessResult>;
  /** Validate every response against the spec (development and tests); a failure is a 500. */
  validateResponses: boolean;
}

export const CREDENTIALS_PATH = '/v1/personal-connectors/admin/credentials';

export function createApp(deps: AppDependencies): Express {
  const app = express();
  app.disable('x-powered-by');
  // Bodies carry secrets and are never reused: an ETag would only cost a hash per response.
  app.set('etag', false);

  app.use(requestLogger(deps.logger));

  app.get('/healthz', (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res, next) => {
    const result = await deps.readiness();
    if (!result.ready) {
      return next(new AppError('UPSTREAM_UNAVAILABLE', { systemMessage: `Not ready: Composio ${result.checks.composio}`, details: { checks: result.checks } }));
    }
    res.setHeader('Cache-Control', 'no-store');
    res.json({ status: 'ready', checks: result.checks });
  });

  // The contract itself, public: rendered reference docs and the bundled spec.
  const publicFile = (file: string, type: string): express.RequestHandler => (_req, res, next) => {
    res.setHeader('Cache-Control', 'public, max-age=300');
    res.type(type).sendFile(file, (error) => error && next(error));
  };
  app.get('/docs', publicFile(docsPath('aitronos'), 'html'));
  app.get('/openapi.json', publicFile(bundledSpecPath('aitronos', 'json'), 'json'));
  app.get('/openapi.yaml', publicFile(bundledSpecPath('aitronos', 'yaml'), 'application/yaml'));

  // Authentication first: an unauthenticated caller learns nothing about what is valid.
  app.use(CREDENTIALS_PATH, requireAdmin(deps.keyRing));

  app.use(
    OpenApiValidator.middleware({
      apiSpec: loadAitronosSpec() as never,
      validateRequests: { allowUnknownQueryParameters: false },
      validateResponses: deps.validateResponses ? { removeAdditional: false } : false,
      validateSecurity: false,
      ignoreUndocumented: false,
    }),
  );

  const audit = deps.logger.child({ audit: true });
  app.get(`${CREDENTIALS_PATH}/:credential_id`, getAdminCredentials(deps.gateway, audit));

  app.use((_req, _res, next) => next(new AppError('ROUTE_NOT_FOUND')));
  app.use(errorRenderer(deps.logger));
  return app;
}
