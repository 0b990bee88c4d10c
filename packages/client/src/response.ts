import type { Middleware } from 'openapi-fetch';
import { ApiError, unreadableAnswerError } from './errors.js';
import { parseRetryAfter, REQUEST_ID_HEADER } from './transport.js';

interface FetchResult<TData, TError> {
  data?: TData;
  error?: TError;
  response: Response;
}

/** What an error body says, whichever of the two envelopes it is. */
interface EnvelopeReading {
  message?: string;
  code?: string;
  traceId?: string;
  details?: Record<string, unknown>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads the Aitronos envelope (`{success:false, error:{code, trace_id, …}}`), Composio's (`{error:{message, code:number, slug, request_id}}`) or a bare `{message}`. */
function readEnvelope(body: unknown): EnvelopeReading | undefined {
  // Some Composio rate-limit answers carry only `{message}`.
  if (isRecord(body) && body.error === undefined && typeof body.message === 'string') return { message: body.message };
  if (!isRecord(body) || !isRecord(body.error)) return undefined;
  const error = body.error;
  const reading: EnvelopeReading = {};
  if (typeof error.message === 'string') reading.message = error.message;
  if (typeof error.code === 'string') reading.code = error.code;
  else if (typeof error.slug === 'string') reading.code = error.slug;
  else if (typeof error.code === 'number') reading.code = String(error.code);
  if (typeof error.trace_id === 'string') reading.traceId = error.trace_id;
  else if (typeof error.request_id === 'string') reading.traceId = error.request_id;
  if (isRecord(error.details)) reading.details = error.details;
  return reading;
}

/** What a call sent, noted as it left: its request id. */
export interface SentRequest {
  requestId?: string | undefined;
}

/** The data of a 2xx answer, or an `ApiError` for anything else: also for empty or non-JSON bodies. */
export async function unwrap<R extends FetchResult<unknown, unknown>>(
  call: Promise<R>,
  sent: SentRequest,
  /** The operation answers 2xx without a body (204): an empty body is its success. */
  emptyOk = false,
): Promise<Exclude<R['data'], undefined>> {
  type TError = R['error'];
  let result: R;
  try {
    result = await call;
  } catch (cause) {
    const { requestId } = sent;
    if (cause instanceof ApiError) throw cause;
    // A 2xx whose body is not JSON: openapi-fetch's parse throws.
    throw unreadableAnswerError({ requestId, cause });
  }
  const { response } = result;
  const { requestId } = sent;
  const headerTrace = response.headers.get(REQUEST_ID_HEADER) ?? undefined;
  if (response.ok) {
    if (result.data === undefined && !emptyOk) {
      throw new ApiError({ message: `Empty ${response.status} response.`, code: 'INVALID_RESPONSE', status: response.status, requestId, traceId: headerTrace });
    }
    return result.data as Exclude<R['data'], undefined>;
  }
  throw errorOfResponse<TError>(response, result.error, requestId);
}

/** What `errorOfResponse` reads of an answer: a fetch `Response`, or any HTTP client's answer shaped so. */
export interface AnswerHead {
  status: number;
  statusText?: string;
  headers: { get(name: string): string | null };
}

/** The `ApiError` of a non-2xx answer whose body (parsed JSON, or undefined) is `body`. */
export function errorOfResponse<TEnvelope = unknown>(response: AnswerHead, body: unknown, requestId: string | undefined): ApiError<TEnvelope> {
  const envelope = readEnvelope(body);
  return new ApiError<TEnvelope>({
    message: envelope?.message ?? `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`,
    code: envelope?.code ?? `HTTP_${response.status}`,
    status: response.status,
    requestId,
    traceId: envelope?.traceId ?? response.headers.get(REQUEST_ID_HEADER) ?? undefined,
    details: envelope?.details,
    envelope: envelope ? (body as TEnvelope) : undefined,
    retryAfterMs: parseRetryAfter(response.headers.get('Retry-After')),
  });
}

/**
 * openapi-fetch middleware that throws the `ApiError` of every non-2xx answer, as the convenience
 * calls do: for code that calls `client.raw` (or a library over it, such as openapi-react-query)
 * and wants errors thrown rather than returned. Pass it per call (`middleware: [throwApiErrors]`)
 * to leave `client.raw`'s own behaviour alone.
 */
export const throwApiErrors: Middleware = {
  async onResponse({ request, response }) {
    if (response.ok) return undefined;
    const text = await response.clone().text().catch(() => '');
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      body = undefined;
    }
    throw errorOfResponse(response, body, request.headers.get(REQUEST_ID_HEADER) ?? undefined);
  },
};
