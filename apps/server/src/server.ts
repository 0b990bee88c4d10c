import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createComposioClient, type ComposioClient } from '@connector-credentials/client';
import type { Logger } from 'pino';
import { createApp } from './app.js';
import { createKeyRing } from './auth.js';
import { createComposioGateway } from './composio-gateway.js';
import { createCredentialsReader } from './credentials-reader.js';
import type { Config } from './config.js';
import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { AppError, envelopeOf } from './errors.js';
import { createLogger, requestIdOf } from './logging.js';
import { createMetrics, type Metrics } from './metrics.js';
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

export function createComposioClientFor(config: Config, metrics?: Metrics): ComposioClient {
  return createComposioClient({
    baseUrl: config.composio.baseUrl,
    ...(config.composio.apiKey !== undefined ? { apiKey: config.composio.apiKey } : {}),
    apiVersion: config.composio.apiVersion,
    timeoutMs: config.composio.timeoutMs,
    maxResponseBytes: config.composio.maxResponseBytes,
    // Only short waits are worth retrying within a caller's request; a long Retry-After is passed on.
    retry: { retries: config.composio.retries, baseDelayMs: 100, maxDelayMs: 1_000, maxRetryAfterMs: 1_000 },
    onRetry: (event) => metrics?.composioRetries.inc({ reason: event.reason }),
  });
}

/** Writes an error in the envelope straight to a socket Express never sees, and closes it. */
function answerOnSocket(socket: Duplex, appError: AppError): void {
  const traceId = `req_${randomUUID().replaceAll('-', '')}`;
  const body = JSON.stringify(envelopeOf(appError, traceId));
  socket.end(
    `HTTP/1.1 ${appError.status} ${STATUS_CODES[appError.status] ?? 'Error'}\r\n` +
      `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nCache-Control: no-store\r\n` +
      `X-Request-Id: ${traceId}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** Requests Node's HTTP parser refuses (oversized headers, malformed lines, slow senders) still get the envelope. */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  const previous = lastResponse.get(socket);
  const busy = previous !== undefined && (!previous.writableFinished || String(previous.getHeader('Connection')).toLowerCase() === 'close');
  if (error.code === 'ECONNRESET' || !socket.writable || busy) {
    socket.destroy();
    return;
  }
  const code =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? 'REQUEST_HEADERS_TOO_LARGE'
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? 'REQUEST_TIMEOUT'
        : 'VALIDATION_ERROR';
  answerOnSocket(socket, new AppError(code, { systemMessage: code === 'VALIDATION_ERROR' ? 'Malformed HTTP request' : undefined }));
}

/** The last response started on each socket: a parse error after it must not produce a second answer. */
const lastResponse = new WeakMap<Duplex, ServerResponse>();

/** An `Expect` other than 100-continue: Node would answer a bare 417; answer 400 in the envelope. */
function refuseExpectation(req: IncomingMessage, res: ServerResponse): void {
  lastResponse.set(req.socket, res);
  const traceId = requestIdOf(req);
  const body = JSON.stringify(envelopeOf(new AppError('VALIDATION_ERROR', { systemMessage: 'Unsupported Expect header' }), traceId));
  // Set one by one (not through writeHead) so answerClientError can see the Connection: close.
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Request-Id', traceId);
  res.setHeader('Connection', 'close');
  res.writeHead(400).end(body);
}

/** CONNECT and protocol upgrades reach Node's own events, not Express: refuse them in the envelope. */
function refuseTunnel(_req: IncomingMessage, socket: Duplex): void {
  answerOnSocket(socket, new AppError('METHOD_NOT_ALLOWED', { systemMessage: 'This server does not tunnel or upgrade connections' }));
}

export async function startServer(config: Config, options: StartOptions = {}): Promise<RunningServer> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const metrics = createMetrics();
  const composio = createComposioClientFor(config, metrics);
  options.configureComposio?.(composio);
  const gateway = createComposioGateway({
    client: composio,
    timeoutMs: config.composio.timeoutMs,
    defaultRetryAfterSeconds: config.upstreamRetryAfterSeconds,
    breaker: config.breaker,
    metrics,
  });

  const app = createApp({
    logger,
    keyRing: createKeyRing(config.apiKeys),
    reader: createCredentialsReader(gateway, config.cache, metrics),
    readiness: createReadiness(composio, { timeoutMs: config.composio.timeoutMs, circuitState: gateway.circuitState }),
    metrics,
    validateResponses: config.validateResponses,
    rateLimit: config.rateLimit,
    trustProxy: config.trustProxy,
  });

  const server = createServer({ maxHeaderSize: 16_384 }, app);
  server.on('request', (req: IncomingMessage, res: ServerResponse) => lastResponse.set(req.socket, res));
  server.on('clientError', answerClientError);
  server.on('checkExpectation', refuseExpectation);
  server.on('connect', refuseTunnel);
  server.on('upgrade', refuseTunnel);
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
