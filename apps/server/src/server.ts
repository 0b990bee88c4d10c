/** The composition root: configuration in, a listening server out. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ComposioClient } from '@connector-credentials/client';
import type { Logger } from 'pino';
import { createApp } from './app.js';
import { createKeyRing } from './auth.js';
import { createComposio } from './composio/index.js';
import { createCredentialsReader } from './credentials-reader.js';
import type { Config } from './config.js';
import { HARDENED_SERVER_OPTIONS, hardenHttpServer } from './http-hardening.js';
import { createLogger } from './logging.js';
import { createMetrics } from './metrics.js';

export interface StartOptions {
  logger?: Logger;
  /**
   * Called once with the Composio client before the server starts. Contract tests use it to add
   * a request hook that picks a Prism example; the production entry point does not pass one.
   */
  configureComposio?: (client: ComposioClient) => void;
}

export interface RunningServer {
  url: string;
  port: number;
  server: Server;
  logger: Logger;
  /** Stops accepting connections, lets in-flight requests finish (up to the shutdown timeout), then resolves. */
  close(): Promise<void>;
}

export async function startServer(config: Config, options: StartOptions = {}): Promise<RunningServer> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const metrics = createMetrics();
  const composio = createComposio(config, metrics);
  options.configureComposio?.(composio.client);

  const app = createApp({
    logger,
    keyRing: createKeyRing(config.apiKeys),
    reader: createCredentialsReader(composio.gateway, config.cache, metrics),
    readiness: () => composio.readiness(),
    metrics,
    validateResponses: config.validateResponses,
    rateLimit: config.rateLimit,
    trustProxy: config.trustProxy,
  });

  const server = createServer(HARDENED_SERVER_OPTIONS, app);
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
  logger.info({ url, env: config.env, composio: config.composio.baseUrl, keys: config.apiKeys.length, validate_responses: config.validateResponses }, 'listening');

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= new Promise<void>((resolve) => {
      const force = setTimeout(() => server.closeAllConnections(), config.shutdownTimeoutMs);
      force.unref();
      server.close(() => {
        clearTimeout(force);
        resolve();
      });
      server.closeIdleConnections();
    }));

  return { url, port, server, logger, close };
}
