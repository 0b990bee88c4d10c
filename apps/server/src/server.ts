import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createComposioClient, type ComposioClient } from '@connector-credentials/client';
import type { Logger } from 'pino';
import { createApp } from './app.js';
import { createKeyRing } from './auth.js';
import { createComposioGateway } from './composio-gateway.js';
import type { Config } from './config.js';
import { createLogger } from './logging.js';
import { createReadiness } from './readiness.js';

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

export function createComposioClientFor(config: Config): ComposioClient {
  return createComposioClient({
    baseUrl: config.composio.baseUrl,
    ...(config.composio.apiKey !== undefined ? { apiKey: config.composio.apiKey } : {}),
    apiVersion: config.composio.apiVersion,
    timeoutMs: config.composio.timeoutMs,
    // Only short waits are worth retrying within a caller's request; a long Retry-After is passed on.
    retry: { retries: config.composio.retries, baseDelayMs: 100, maxDelayMs: 1_000, maxRetryAfterMs: 1_000 },
  });
}

export async function startServer(config: Config, options: StartOptions = {}): Promise<RunningServer> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const composio = createComposioClientFor(config);
  options.configureComposio?.(composio);

  const app = createApp({
    logger,
    keyRing: createKeyRing(config.apiKeys),
    gateway: createComposioGateway({
      client: composio,
      timeoutMs: config.composio.timeoutMs,
      defaultRetryAfterSeconds: config.upstreamRetryAfterSeconds,
    }),
    readiness: createReadiness(composio, { timeoutMs: config.composio.timeoutMs }),
    validateResponses: config.validateResponses,
  });

  const server = createServer(app);
  // Slow or idle clients must not hold sockets for ever.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 5_000;
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
  logger.info({ url, composio: config.composio.baseUrl, keys: config.apiKeys.length, validate_responses: config.validateResponses }, 'listening');

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
