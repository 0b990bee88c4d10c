import { BrokenCircuitError, TaskCancelledError } from 'cockatiel';
import { ApiError } from '@connector-credentials/client';
import { AppError } from '../errors.js';

export interface TranslationContext {
  /** The read's deadline, retries included. */
  timeoutMs: number;
  /** Retry-After to give callers when Composio rate limits without one. */
  defaultRetryAfterSeconds: number;
  /** Seconds until the circuit lets a probe through. */
  retryAfterOpenSeconds: number;
  connectionId: string;
}

/** Thrown by the body check: Composio answered, but with something we will not read. */
export class UpstreamBodyError extends Error {
  override readonly name = 'UpstreamBodyError';
  constructor(
    readonly systemMessage: string,
    readonly upstreamStatus: number,
  ) {
    super(systemMessage);
  }
}

/**
 * Every failure of a Composio read, as the API's own error: the one translation. No upstream body
 * or key is ever echoed.
 */
export function translateUpstreamError(error: unknown, context: TranslationContext): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof TaskCancelledError) {
    return new AppError('UPSTREAM_TIMEOUT', {
      systemMessage: `No answer from Composio within ${context.timeoutMs} ms`,
      details: { timeout_ms: context.timeoutMs },
      cause: error,
    });
  }
  if (error instanceof BrokenCircuitError) {
    return new AppError('UPSTREAM_UNAVAILABLE', {
      systemMessage: `Composio is failing; not calling it for up to ${context.retryAfterOpenSeconds} s (circuit open)`,
      details: { circuit: 'open' },
      retryAfterSeconds: context.retryAfterOpenSeconds,
    });
  }
  if (error instanceof UpstreamBodyError) {
    return new AppError('UPSTREAM_ERROR', { systemMessage: error.systemMessage, details: { upstream_status: error.upstreamStatus }, cause: error });
  }
  if (!(error instanceof ApiError)) {
    return new AppError('UPSTREAM_ERROR', { systemMessage: 'Calling Composio failed', cause: error });
  }
  const upstream = error.status;
  switch (true) {
    case error.code === 'NETWORK_ERROR':
      return new AppError('UPSTREAM_ERROR', { systemMessage: 'The connection to Composio failed', details: {}, cause: error });
    case error.code === 'RESPONSE_TOO_LARGE':
      return new AppError('UPSTREAM_ERROR', { systemMessage: 'Composio sent a body over the size limit', details: { upstream_status: upstream }, cause: error });
    case error.code === 'INVALID_RESPONSE':
      return new AppError('UPSTREAM_ERROR', { systemMessage: 'Composio sent a body that is not JSON', details: { upstream_status: upstream }, cause: error });
    case upstream === 404:
      return new AppError('CONNECTION_NOT_FOUND', {
        systemMessage: 'Composio has no connected account with this id',
        details: { connection_id: context.connectionId },
        cause: error,
      });
    case upstream === 400:
      return new AppError('VALIDATION_ERROR', {
        systemMessage: 'Composio refused the connection id as malformed',
        details: { errors: [{ location: 'path', path: '/params/connection_id', message: 'is not a valid Composio connected-account id' }] },
        cause: error,
      });
    case upstream === 401 || upstream === 403:
      return new AppError('UPSTREAM_AUTH_ERROR', {
        systemMessage: `Composio rejected the configured COMPOSIO_API_KEY (${upstream}); check the key`,
        details: { upstream_status: upstream },
        cause: error,
      });
    case upstream === 429:
      return new AppError('UPSTREAM_UNAVAILABLE', {
        systemMessage: 'Composio answered 429',
        details: { upstream_status: 429 },
        retryAfterSeconds: error.retryAfterMs !== undefined ? Math.ceil(error.retryAfterMs / 1000) : context.defaultRetryAfterSeconds,
        cause: error,
      });
    default:
      return new AppError('UPSTREAM_ERROR', { systemMessage: `Composio answered ${upstream}`, details: { upstream_status: upstream }, cause: error });
  }
}

/** Codes that mean Composio is in trouble: enough of them in a row open the circuit. */
const OUTAGE_CODES = new Set(['UPSTREAM_ERROR', 'UPSTREAM_TIMEOUT', 'UPSTREAM_UNAVAILABLE', 'UPSTREAM_AUTH_ERROR']);

/** Whether a failure says Composio is in trouble (a 404 or 400 says nothing of the kind). */
export const isOutage = (error: unknown): boolean =>
  OUTAGE_CODES.has(translateUpstreamError(error, { timeoutMs: 0, defaultRetryAfterSeconds: 0, retryAfterOpenSeconds: 0, connectionId: '' }).code);
