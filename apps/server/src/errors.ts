import type { ErrorRequestHandler } from 'express';
import type { ErrorCode, ErrorEnvelope, ErrorType } from '@connector-credentials/types';
import type { Logger } from 'pino';

interface ErrorKind {
  status: number;
  type: ErrorType;
  message: string;
}

/** Status, type and public message of every code; the spec's ErrorCode lists the same codes. */
export const ERROR_KINDS: Record<ErrorCode, ErrorKind> = {
  VALIDATION_ERROR: { status: 400, type: 'validation_error', message: 'The request is invalid.' },
  AUTHENTICATION_REQUIRED: { status: 401, type: 'authentication_error', message: 'Authentication required. Please provide a valid API key.' },
  INVALID_API_KEY: { status: 401, type: 'authentication_error', message: 'The API key is invalid.' },
  INSUFFICIENT_PERMISSIONS: { status: 403, type: 'authorization_error', message: 'You do not have permission to access this resource.' },
  CREDENTIAL_NOT_FOUND: { status: 404, type: 'not_found_error', message: 'Credential not found.' },
  CONNECTION_NOT_FOUND: { status: 404, type: 'not_found_error', message: 'Connection not found.' },
  CREDENTIAL_ALREADY_REGISTERED: { status: 409, type: 'conflict_error', message: 'This connection is already registered.' },
  ROUTE_NOT_FOUND: { status: 404, type: 'not_found_error', message: 'No such endpoint.' },
  METHOD_NOT_ALLOWED: { status: 405, type: 'invalid_request_error', message: 'This endpoint does not support the method.' },
  REQUEST_TIMEOUT: { status: 408, type: 'invalid_request_error', message: 'The request was not received in time.' },
  PAYLOAD_TOO_LARGE: { status: 413, type: 'invalid_request_error', message: 'The request is too large.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, type: 'invalid_request_error', message: 'The request body must be JSON.' },
  REQUEST_HEADERS_TOO_LARGE: { status: 431, type: 'invalid_request_error', message: 'The request headers are too large.' },
  RATE_LIMIT_EXCEEDED: { status: 429, type: 'rate_limit_error', message: 'Too many requests. Retry later.' },
  INTERNAL_ERROR: { status: 500, type: 'server_error', message: 'An unexpected error occurred.' },
  UPSTREAM_ERROR: { status: 502, type: 'upstream_error', message: 'The connector service failed.' },
  UPSTREAM_AUTH_ERROR: { status: 502, type: 'upstream_error', message: 'The connector service refused this server.' },
  UPSTREAM_UNAVAILABLE: { status: 503, type: 'upstream_error', message: 'The connector service is unavailable. Retry later.' },
  UPSTREAM_TIMEOUT: { status: 504, type: 'upstream_error', message: 'The connector service did not answer in time.' },
  DATABASE_UNAVAILABLE: { status: 503, type: 'server_error', message: 'The credential registry is unavailable. Retry later.' },
};

/**
 * Codes that say a dependency is unavailable (Composio failing, slow or rate limiting; the
 * registry's database unreachable), not that the request or this server is wrong: the one list.
 * Last good credentials may be served for Composio's, and enough of them in a row open the
 * circuit towards Composio.
 */
export const OUTAGE_CODES: ReadonlySet<ErrorCode> = new Set(['UPSTREAM_ERROR', 'UPSTREAM_UNAVAILABLE', 'UPSTREAM_TIMEOUT', 'DATABASE_UNAVAILABLE']);

export interface AppErrorOptions {
  /** For the calling service's logs; never a secret, never an upstream body. */
  systemMessage?: string;
  details?: Record<string, unknown>;
  /** Seconds, sent as `Retry-After`. */
  retryAfterSeconds?: number;
  /** Extra response headers (e.g. `Allow`). */
  headers?: Record<string, string>;
  cause?: unknown;
}

/** An error as data: a code from the spec and what to tell the caller. */
export class AppError extends Error {
  override readonly name = 'AppError';
  readonly code: ErrorCode;
  readonly status: number;
  readonly systemMessage: string;
  readonly details: Record<string, unknown>;
  readonly retryAfterSeconds: number | undefined;
  readonly headers: Record<string, string>;

  constructor(code: ErrorCode, options: AppErrorOptions = {}) {
    super(options.systemMessage ?? ERROR_KINDS[code].message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = ERROR_KINDS[code].status;
    this.systemMessage = options.systemMessage ?? ERROR_KINDS[code].message;
    this.details = { ...options.details };
    this.retryAfterSeconds = options.retryAfterSeconds;
    if (this.retryAfterSeconds !== undefined) this.details.retry_after_seconds = this.retryAfterSeconds;
    this.headers = options.headers ?? {};
  }
}

/** 404 for a credential id the registry does not have: the one wording every operation uses. */
export const credentialNotFound = (credentialId: string) =>
  new AppError('CREDENTIAL_NOT_FOUND', { systemMessage: 'No credential is registered with this id', details: { credential_id: credentialId } });

/** 503 for a registry database that cannot be reached or did not answer in time; nothing was changed. */
export const databaseUnavailable = (systemMessage: string, retryAfterSeconds: number, cause?: unknown) =>
  new AppError('DATABASE_UNAVAILABLE', { systemMessage, retryAfterSeconds, cause });

/** Shape of the errors express-openapi-validator and Express's own parsers raise. */
interface HttpishError {
  status?: number;
  statusCode?: number;
  type?: string;
  errors?: Array<{ path?: string; message?: string; errorCode?: string; location?: string }>;
  message?: string;
  /** express-openapi-validator's 405 names the allowed methods (`Allow`), in lower case. */
  headers?: Record<string, unknown>;
}

const MAX_VALIDATION_ERRORS = 20;
const MAX_TEXT = 300;
const clip = (text: string) => (text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…` : text);

/** One field the request got wrong: where (`path`, `query`, `body`, …), its JSON pointer, and what is wrong. */
export interface FieldError {
  location: string;
  path: string;
  message: string;
}

/** A refusal of the request field by field, as the validator's errors and the handlers' own checks give it. */
export function validationError(errors: FieldError[], cause?: unknown): AppError {
  const first = errors[0];
  return new AppError('VALIDATION_ERROR', {
    systemMessage: first ? `request${first.path} ${first.message}` : 'The request does not match the spec',
    details: { errors },
    cause,
  });
}

/** Any thrown value -> AppError. Unknown faults become INTERNAL_ERROR; their text never reaches the caller. */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const e = (error ?? {}) as HttpishError;
  const status = e.status ?? e.statusCode;
  if (status === 400 && Array.isArray(e.errors)) {
    const errors = e.errors.slice(0, MAX_VALIDATION_ERRORS).map((item) => {
      const path = item.path ?? '';
      const location = item.location ?? (/^\/?(params|path)/.test(path) ? 'path' : path.split('/')[1] ?? 'request');
      return { location, path: clip(path), message: clip(item.message ?? 'is invalid') };
    });
    return validationError(errors, error);
  }
  if (status === 400) return new AppError('VALIDATION_ERROR', { systemMessage: 'The request could not be parsed', cause: error });
  if (status === 404) return new AppError('ROUTE_NOT_FOUND', { systemMessage: 'No operation of the spec matches this path', cause: error });
  if (status === 405) {
    const allow = e.headers?.Allow;
    return new AppError('METHOD_NOT_ALLOWED', {
      systemMessage: 'The spec defines no such method on this path',
      ...(typeof allow === 'string' && allow !== '' && { headers: { Allow: allow.toUpperCase() } }),
      cause: error,
    });
  }
  if (status === 413) return new AppError('PAYLOAD_TOO_LARGE', { systemMessage: 'The request exceeds the size limit', cause: error });
  if (status === 415) return new AppError('UNSUPPORTED_MEDIA_TYPE', { systemMessage: 'Request bodies must be application/json', cause: error });
  // Another refusal of the request by a library (a 4xx of its own): the caller's doing, not a fault.
  if (typeof status === 'number' && status >= 400 && status < 500) return new AppError('VALIDATION_ERROR', { systemMessage: 'The request could not be served as sent', cause: error });
  return new AppError('INTERNAL_ERROR', { systemMessage: 'Unexpected error; see the server log for this trace id', cause: error });
}

/** The body of an error response in the seed's envelope. */
export function envelopeOf(error: AppError, traceId: string, now = new Date()): ErrorEnvelope {
  return {
    success: false,
    error: {
      code: error.code,
      message: ERROR_KINDS[error.code].message,
      system_message: error.systemMessage,
      type: ERROR_KINDS[error.code].type,
      status: error.status,
      trace_id: traceId,
      timestamp: now.toISOString(),
      details: error.details,
    },
  };
}

/** An error answer as data: what every path that answers with an error writes. */
export interface ErrorAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** The one function that turns an AppError into status, headers and body (the envelope). */
export function errorAnswer(error: AppError, traceId: string, now = new Date()): ErrorAnswer {
  const body = JSON.stringify(envelopeOf(error, traceId, now));
  return {
    status: error.status,
    headers: {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': String(Buffer.byteLength(body)),
      'Cache-Control': 'no-store',
      'X-Request-Id': traceId,
      ...(error.retryAfterSeconds !== undefined ? { 'Retry-After': String(error.retryAfterSeconds) } : {}),
      ...error.headers,
    },
    body,
  };
}

/** The one place errors leave the server. */
export function errorRenderer(logger: Logger): ErrorRequestHandler {
  return (error, req, res, _next) => {
    const appError = toAppError(error);
    const traceId = String(req.id ?? '');
    // The request's own line says how it ended; a fault of the server also gets its details.
    if (appError.status >= 500) logger.error({ trace_id: traceId, err: error, code: appError.code }, appError.systemMessage);
    // Already answered where Express does not look (a request that timed out while its body was
    // awaited is answered 408 by the HTTP layer): the error is what that left behind.
    if (res.writableEnded) return;
    res.locals.failure = appError.code;
    if (res.headersSent) {
      logger.error({ trace_id: traceId }, 'error after the response started; closing the connection');
      res.destroy();
      return;
    }
    const answer = errorAnswer(appError, traceId);
    res.status(answer.status).set(answer.headers).send(answer.body);
  };
}
