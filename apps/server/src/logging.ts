import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pino, type DestinationStream, type Logger } from 'pino';
import { pinoHttp, type Options } from 'pino-http';

/** Paths that could ever hold a secret; their values are replaced in every log line. */
export const REDACTED_PATHS = [
  'req.headers["x-api-key"]',
  'req.headers["x-flowplate-key"]',
  'req.headers["x-aitronos-hub-key"]',
  'req.headers.authorization',
  'req.headers.cookie',
  'headers["x-api-key"]',
  '*.headers["x-api-key"]',
  'apiKey',
  '*.apiKey',
  'credentials',
  '*.credentials',
  'access_token',
  '*.access_token',
  'refresh_token',
  '*.refresh_token',
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'connector-credentials-server' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' },
    },
    destination,
  );
}

const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** A new request id: the one generator of the server. */
export const newRequestId = (): string => `req_${randomUUID().replaceAll('-', '')}`;

/** The caller's X-Request-Id when it is sane, else a new id. */
export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && SANE_REQUEST_ID.test(given) ? given : newRequestId();
}

/** Request logging with the request id; logs method, path (without the query) and status, never headers or bodies. */
export function requestLogger(logger: Logger) {
  const options: Options = {
    logger,
    genReqId(req: IncomingMessage, res: ServerResponse) {
      const id = requestIdOf(req);
      res.setHeader('X-Request-Id', id);
      return id;
    },
    serializers: {
      req: (req: { id: unknown; method: string; url: string }) => ({
        id: req.id,
        method: req.method,
        path: String(req.url ?? '').split('?')[0]!.slice(0, 512),
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
    customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : 'info'),
    customAttributeKeys: { reqId: 'trace_id' },
    quietReqLogger: true,
  };
  return pinoHttp(options);
}
