import { ApiError, noAnswerError } from './errors.js';

export interface RetryOptions {
  /** Retries after the first attempt (GET and HEAD only). Default 2; 0 disables retries. */
  retries?: number;
  /** Base of the exponential backoff, in ms. Default 200. */
  baseDelayMs?: number;
  /** Upper bound of one backoff wait, in ms. Default 5000. */
  maxDelayMs?: number;
  /** The longest `Retry-After` honoured, in ms; a longer one is returned to the caller at once. Default 30000. */
  maxRetryAfterMs?: number;
}

export interface TransportOptions {
  /** Per-attempt timeout in ms. Default 10000. */
  timeoutMs?: number;
  retry?: RetryOptions;
  /** The fetch to use; defaults to the global one at creation time. */
  fetch?: (request: Request) => Promise<Response>;
  /** Random source for jitter, in [0, 1). */
  random?: () => number;
}

/** Statuses worth another try of an idempotent request. */
export const RETRY_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);
const IDEMPOTENT = new Set(['GET', 'HEAD']);
export const REQUEST_ID_HEADER = 'X-Request-Id';

/** The HTTP dates of RFC 9110: IMF-fixdate and the obsolete RFC 850 form, both in GMT, and asctime (no zone: GMT). */
const HTTP_DATE = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$|^[A-Z][a-z]+, \d{2}-[A-Z][a-z]{2}-\d{2} \d{2}:\d{2}:\d{2} GMT$/;
const ASCTIME = /^[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/;

/**
 * `Retry-After` as ms: delta-seconds or an HTTP date; undefined when absent or anything else
 * (`1.5`, which JavaScript's date parser would read as a date in 2001, is no wait at all).
 */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  const trimmed = value?.trim() ?? '';
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = HTTP_DATE.test(trimmed) ? Date.parse(trimmed) : ASCTIME.test(trimmed) ? Date.parse(`${trimmed} GMT`) : Number.NaN;
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

async function pause(ms: number, signal: AbortSignal, requestId: string | undefined): Promise<void> {
  try {
    await sleep(ms, signal);
  } catch (cause) {
    throw noAnswerError('ABORTED', { requestId, cause });
  }
}

export function defaultRequestId(): string {
  return globalThis.crypto.randomUUID();
}

/**
 * A fetch with a per-attempt timeout and bounded retries with jittered exponential backoff for
 * idempotent requests on 429/502/503/504 and network errors, honouring `Retry-After`. Network
 * failures and timeouts throw `ApiError`. Redirects are never followed: the APIs never redirect,
 * and a followed redirect would carry the key headers to wherever it points (a 3xx is returned
 * as an error answer). The request id is stamped by the client's middleware, before this runs.
 */
export function createTransport(options: TransportOptions = {}): (input: Request) => Promise<Response> {
  const baseFetch = options.fetch ?? ((request: Request) => globalThis.fetch(request));
  const timeoutMs = options.timeoutMs ?? 10_000;
  const retries = Math.max(0, options.retry?.retries ?? 2);
  const baseDelayMs = options.retry?.baseDelayMs ?? 200;
  const maxDelayMs = options.retry?.maxDelayMs ?? 5_000;
  const maxRetryAfterMs = options.retry?.maxRetryAfterMs ?? 30_000;
  const random = options.random ?? Math.random;

  const backoff = (attempt: number) => Math.floor(random() * Math.min(maxDelayMs, baseDelayMs * 2 ** attempt));

  return async function transport(input: Request): Promise<Response> {
    const requestId = input.headers.get(REQUEST_ID_HEADER) ?? undefined;
    const callerSignal = input.signal;
    const canRetry = IDEMPOTENT.has(input.method.toUpperCase());

    for (let attempt = 0; ; attempt += 1) {
      const timeout = AbortSignal.timeout(timeoutMs);
      const request = new Request(input, {
        signal: AbortSignal.any([callerSignal, timeout]),
        redirect: 'manual',
      });
      const more = canRetry && attempt < retries;
      try {
        const response = await baseFetch(request);
        if (more && RETRY_STATUSES.has(response.status)) {
          const retryAfter = parseRetryAfter(response.headers.get('Retry-After'));
          if (retryAfter === undefined || retryAfter <= maxRetryAfterMs) {
            await response.body?.cancel().catch(() => undefined);
            await pause(retryAfter ?? backoff(attempt), callerSignal, requestId);
            continue;
          }
        }
        // The body is read here, while the attempt's timeout and the caller's signal still hold:
        // a body that stops coming is a TIMEOUT (and a GET is tried again), not unreadable JSON.
        return await whole(response);
      } catch (cause) {
        if (cause instanceof ApiError) throw cause;
        if (callerSignal.aborted) {
          throw noAnswerError('ABORTED', { requestId, cause });
        }
        const timedOut = timeout.aborted;
        if (more) {
          await pause(backoff(attempt), callerSignal, requestId);
          continue;
        }
        throw noAnswerError(timedOut ? 'TIMEOUT' : 'NETWORK_ERROR', { requestId, cause, timeoutMs });
      }
    }
  };
}

/** Statuses whose answers have no body (a Response made with one throws). */
const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

/** The answer with its body read in full. A browser's opaque redirect has neither body nor status to copy. */
async function whole(response: Response): Promise<Response> {
  if (response.body === null || response.type === 'opaqueredirect') return response;
  const body = await response.arrayBuffer();
  return new Response(NULL_BODY_STATUSES.has(response.status) ? null : body, { status: response.status, statusText: response.statusText, headers: response.headers });
}
