import { BrokenCircuitError, TaskCancelledError } from 'cockatiel';
import { ApiError } from '@connector-credentials/client';
import type { ErrorCode } from '@connector-credentials/types';
import { AppError, OUTAGE_CODES, type AppErrorOptions } from '../errors.js';

export interface TranslationContext {
  /** The read's deadline, retries included. */
  timeoutMs: number;
  /** Retry-After to give callers when Composio rate limits without one. */
  defaultRetryAfterSeconds: number;
  /** Seconds until the circuit lets a probe through. */
  retryAfterOpenSeconds: number;
  connectionId: string;
  /** Where the caller's request carried the connection id: its path (reads), or its body (registration). */
  connectionIdFrom?: 'path' | 'body';
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

/** What a failure becomes: a code and the AppError's options, as plain data (no stack trace taken). */
interface Translation {
  code: ErrorCode;
  options?: AppErrorOptions;
}

/** The one decision: which code a failure of a Composio read is, and what the caller is told. */
function classify(error: unknown, context: TranslationContext): Translation {
  if (error instanceof AppError) return { code: error.code };
  if (error instanceof TaskCancelledError) {
    return { code: 'UPSTREAM_TIMEOUT', options: { systemMessage: `No answer from Composio within ${context.timeoutMs} ms`, details: { timeout_ms: context.timeoutMs }, cause: error } };
  }
  if (error instanceof BrokenCircuitError) {
    return {
      code: 'UPSTREAM_UNAVAILABLE',
      options: {
        systemMessage: `Composio is failing; not calling it for up to ${context.retryAfterOpenSeconds} s (circuit open)`,
        details: { circuit: 'open' },
        retryAfterSeconds: context.retryAfterOpenSeconds,
      },
    };
  }
  if (error instanceof UpstreamBodyError) {
    return { code: 'UPSTREAM_ERROR', options: { systemMessage: error.systemMessage, details: { upstream_status: error.upstreamStatus }, cause: error } };
  }
  if (!(error instanceof ApiError)) return { code: 'UPSTREAM_ERROR', options: { systemMessage: 'Calling Composio failed', cause: error } };
  const upstream = error.status;
  switch (true) {
    case error.code === 'NETWORK_ERROR':
      return { code: 'UPSTREAM_ERROR', options: { systemMessage: 'The connection to Composio failed', details: {}, cause: error } };
    case error.code === 'RESPONSE_TOO_LARGE':
      return { code: 'UPSTREAM_ERROR', options: { systemMessage: 'Composio sent a body over the size limit', details: { upstream_status: upstream }, cause: error } };
    case error.code === 'INVALID_RESPONSE':
      return { code: 'UPSTREAM_ERROR', options: { systemMessage: 'Composio sent a body that is not JSON', details: { upstream_status: upstream }, cause: error } };
    case upstream === 404:
      return { code: 'CONNECTION_NOT_FOUND', options: { systemMessage: 'Composio has no connected account with this id', details: { connection_id: context.connectionId }, cause: error } };
    case upstream === 400:
      return {
        code: 'VALIDATION_ERROR',
        options: {
          systemMessage: 'Composio refused the connection id as malformed',
          details: {
            errors: [
              {
                ...(context.connectionIdFrom === 'body' ? { location: 'body', path: '/body/connection_id' } : { location: 'path', path: '/params/connection_id' }),
                message: 'is not a valid Composio connected-account id',
              },
            ],
          },
          cause: error,
        },
      };
    case upstream === 401 || upstream === 403:
      return {
        code: 'UPSTREAM_AUTH_ERROR',
        options: { systemMessage: `Composio rejected the configured COMPOSIO_API_KEY (${upstream}); check the key`, details: { upstream_status: upstream }, cause: error },
      };
    case upstream === 429:
      return {
        code: 'UPSTREAM_UNAVAILABLE',
        options: {
          systemMessage: 'Composio answered 429',
          details: { upstream_status: 429 },
          retryAfterSeconds: error.retryAfterMs !== undefined ? Math.ceil(error.retryAfterMs / 1000) : context.defaultRetryAfterSeconds,
          cause: error,
        },
      };
    default:
      return { code: 'UPSTREAM_ERROR', options: { systemMessage: `Composio answered ${upstream}`, details: { upstream_status: upstream }, cause: error } };
  }
}

/**
 * Every failure of a Composio read, as the API's own error: the one translation. No upstream body
 * or key is ever echoed.
 */
export function translateUpstreamError(error: unknown, context: TranslationContext): AppError {
  if (error instanceof AppError) return error;
  const { code, options } = classify(error, context);
  return new AppError(code, options);
}

const NO_CONTEXT: TranslationContext = { timeoutMs: 0, defaultRetryAfterSeconds: 0, retryAfterOpenSeconds: 0, connectionId: '' };

/** A success whose body we will not read (not the spec's shape, not JSON, too large): one account's data, not Composio's health. */
const isUnreadableSuccess = (error: unknown): boolean =>
  (error instanceof UpstreamBodyError && error.upstreamStatus < 300) ||
  (error instanceof ApiError && (error.code === 'RESPONSE_TOO_LARGE' || error.code === 'INVALID_RESPONSE') && error.status < 300);

/**
 * Whether a failure says Composio is in trouble, and counts towards opening the circuit: one of
 * the outage codes. A 404 or 400 says nothing of the kind; nor does one account's unreadable
 * answer (else one account could stop every read); nor a refused key, which must stay a 502
 * `UPSTREAM_AUTH_ERROR` (never an open circuit's 503, which would serve last good credentials).
 */
export const isOutage = (error: unknown): boolean => !isUnreadableSuccess(error) && OUTAGE_CODES.has(classify(error, NO_CONTEXT).code);
