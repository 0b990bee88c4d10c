/** Codes the client itself gives when no error envelope could be read. */
export type ClientErrorCode =
  | 'TIMEOUT'
  | 'NETWORK_ERROR'
  | 'ABORTED'
  | 'INVALID_RESPONSE'
  | `HTTP_${number}`;

export interface ApiErrorInit<TEnvelope> {
  message: string;
  code: string;
  status: number;
  requestId: string | undefined;
  traceId?: string | undefined;
  details?: Record<string, unknown> | undefined;
  envelope?: TEnvelope | undefined;
  retryAfterMs?: number | undefined;
  cause?: unknown;
}

/**
 * The one error the convenience calls throw: an error answer of the API (with its envelope),
 * or a failure to get one (timeout, network error, unreadable body).
 */
export class ApiError<TEnvelope = unknown> extends Error {
  override readonly name = 'ApiError';
  /** The API's error code (`INVALID_API_KEY`, …), or a client code (`TIMEOUT`, `HTTP_502`, …). */
  readonly code: string;
  /** HTTP status; 0 when no response arrived. */
  readonly status: number;
  /** The id this client sent in `X-Request-Id`. */
  readonly requestId: string | undefined;
  /** The server's trace id (`trace_id` / `request_id` of the envelope, else its `X-Request-Id`). */
  readonly traceId: string | undefined;
  /** Machine-readable details of the envelope, if any. */
  readonly details: Record<string, unknown> | undefined;
  /** The parsed error envelope, when the body was one. */
  readonly envelope: TEnvelope | undefined;
  /** The answer's `Retry-After`, in ms, when it had a readable one. */
  readonly retryAfterMs: number | undefined;

  constructor(init: ApiErrorInit<TEnvelope>) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.code = init.code;
    this.status = init.status;
    this.requestId = init.requestId;
    this.traceId = init.traceId ?? init.requestId;
    this.details = init.details;
    this.envelope = init.envelope;
    this.retryAfterMs = init.retryAfterMs;
  }
}

export function isApiError(value: unknown): value is ApiError {
  return value instanceof ApiError;
}

/** The codes of a request that got no answer. */
export type NoAnswerCode = 'ABORTED' | 'TIMEOUT' | 'NETWORK_ERROR';

/**
 * The `ApiError` of a request that got no answer: cut short by the caller (`ABORTED`), out of
 * time (`TIMEOUT`, after `timeoutMs`), or failed before any answer (`NETWORK_ERROR`, described by
 * its cause). Status 0. What the client's transport throws; for other transports (the server's
 * pooled reads) to fail the same way.
 */
export function noAnswerError(code: NoAnswerCode, init: { requestId: string | undefined; cause?: unknown; timeoutMs?: number | undefined }): ApiError {
  const message =
    code === 'ABORTED' ? 'The request was aborted.' : code === 'TIMEOUT' ? `No response within ${init.timeoutMs ?? '?'} ms.` : `The request failed: ${describe(init.cause)}`;
  return new ApiError({ message, code, status: 0, requestId: init.requestId, cause: init.cause });
}

/**
 * The `ApiError` of a 2xx answer whose body is not JSON (openapi-fetch's parse threw): what the
 * convenience calls throw, and the hooks too, rather than the parser's own error.
 */
export function unreadableAnswerError(init: { requestId: string | undefined; cause?: unknown }): ApiError {
  return new ApiError({ message: 'The response body could not be read as JSON.', code: 'INVALID_RESPONSE', status: 0, requestId: init.requestId, cause: init.cause });
}

function describe(cause: unknown): string {
  if (cause instanceof Error) {
    const inner = (cause as { cause?: unknown }).cause;
    return inner instanceof Error ? `${cause.message} (${inner.message})` : cause.message;
  }
  return String(cause);
}
