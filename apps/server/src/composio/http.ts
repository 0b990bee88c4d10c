/**
 * Composio over HTTP: a read is one GET through undici's connection pool, its sockets kept alive
 * between reads (a fetch, and the client package's `Request`s around it, cost about three times
 * the CPU of the whole pooled request). The answer is read through the pool's `dispatch`, its
 * body gathered as it arrives: `request` would hand it out as a Readable stream, whose machinery
 * measured as about 6% of the CPU of an uncached read for a body of a few kilobytes. What the
 * transport must guarantee lives here:
 *
 * - the body cap: an announced length over it is refused before any of the body is read, a
 *   streamed one is cut at the cap (undici's `maxResponseSize`), a compressed one is counted
 *   decoded;
 * - no redirect is followed (a 3xx is an error answer): the key never goes anywhere else;
 * - a backstop timeout per attempt (undici's headers and body timeouts; the policy's own fires
 *   first), and the caller's signal aborts the request and its socket;
 * - every failure is the client package's `ApiError`, as the client would give it, for
 *   translate.ts to map.
 *
 * The paths are the generated ones; the body is checked against the spec by the caller.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import { Pool, type Dispatcher } from 'undici';
import { ApiError, errorOfResponse, noAnswerError, REQUEST_ID_HEADER } from '@connector-credentials/client';
import type { ComposioPaths } from '@connector-credentials/types';

/** The connected-account path of each API version, from the generated paths. */
const ACCOUNT_PATHS = {
  v3: '/api/v3/connected_accounts/{nanoid}',
  'v3.1': '/api/v3.1/connected_accounts/{nanoid}',
} as const satisfies Record<string, keyof ComposioPaths>;

/** Sees each request before it is sent, and may add headers (tests pick a Prism example with `Prefer`). */
export type ComposioRequestHook = (path: string, headers: Record<string, string>) => void;

export interface ComposioHttpOptions {
  /** Composio's base URL; a path in it prefixes the API's paths. */
  baseUrl: string;
  apiKey?: string | undefined;
  apiVersion: keyof typeof ACCOUNT_PATHS;
  /** Backstop of one attempt, in ms: no headers, or no body data, for this long fails it. */
  timeoutMs: number;
  /** The largest body read, decoded. */
  maxResponseBytes: number;
  onRequest?: ComposioRequestHook | undefined;
}

export interface ComposioHttp {
  /**
   * `GET …/connected_accounts/{nanoid}`: the parsed JSON of a 2xx answer (unchecked: the caller
   * checks it against the spec). Any other answer, and any failure, is an `ApiError`.
   */
  getConnectedAccount(nanoid: string, options: { requestId?: string | undefined; signal?: AbortSignal | undefined }): Promise<unknown>;
  /** Closes the pooled connections once the reads under way are done. */
  close(): Promise<void>;
}

const DECODERS: Record<string, (data: Buffer, options: { maxOutputLength: number }) => Buffer> = {
  gzip: gunzipSync,
  'x-gzip': gunzipSync,
  deflate: inflateSync,
  br: brotliDecompressSync,
};

/** An answer read whole: its headers, and its body as it came (at most the cap). */
interface Answer {
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/**
 * One GET through the pool, its body gathered in memory. `onHead` is told of the answer's status
 * and headers, and may end the request with an error before any of the body is read. The caller's
 * signal aborts the request and its socket. A failure rejects with undici's error (or `onHead`'s,
 * or the signal's reason).
 */
function get(
  pool: Dispatcher,
  path: string,
  headers: Record<string, string>,
  signal: AbortSignal | undefined,
  onHead: (status: number, headers: IncomingHttpHeaders) => Error | undefined,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    let controller: Dispatcher.DispatchController | undefined;
    let answerHeaders: IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    const onAbort = () => controller?.abort(signal!.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    const settled = () => signal?.removeEventListener('abort', onAbort);
    pool.dispatch(
      { method: 'GET', path, headers },
      {
        onRequestStart(started) {
          controller = started;
          if (signal?.aborted) started.abort(signal.reason);
        },
        onResponseStart(started, statusCode, head) {
          answerHeaders = head;
          const refusal = onHead(statusCode, head);
          if (refusal !== undefined) started.abort(refusal);
        },
        onResponseData(_started, chunk) {
          chunks.push(chunk);
        },
        onResponseEnd() {
          settled();
          resolve({ headers: answerHeaders, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks) });
        },
        onResponseError(_started, error) {
          settled();
          reject(error);
        },
      },
    );
  });
}

const headerOf = (headers: IncomingHttpHeaders, name: string): string | null => {
  const value = headers[name.toLowerCase()];
  return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
};

export function createComposioHttp(options: ComposioHttpOptions): ComposioHttp {
  const base = new URL(options.baseUrl);
  const prefix = base.pathname.replace(/\/+$/, '');
  const limit = options.maxResponseBytes;
  const pool = new Pool(base.origin, { maxResponseSize: limit, headersTimeout: options.timeoutMs, bodyTimeout: options.timeoutMs });
  const template = ACCOUNT_PATHS[options.apiVersion];
  // Composio's answer is asked for unencoded; one that is encoded all the same is decoded, counted.
  const fixedHeaders: Record<string, string> = { accept: 'application/json', 'accept-encoding': 'identity' };
  if (options.apiKey !== undefined) fixedHeaders['x-api-key'] = options.apiKey;

  const tooLarge = (status: number, requestId: string) =>
    new ApiError({ message: `The response body exceeds ${limit} bytes.`, code: 'RESPONSE_TOO_LARGE', status, requestId });

  /** A failure to get (or read) an answer, as the client's transport names it. */
  function failed(cause: unknown, status: number, requestId: string): ApiError {
    const code = (cause as { code?: unknown } | null)?.code;
    if (code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE') return tooLarge(status, requestId);
    if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return noAnswerError('TIMEOUT', { requestId, cause, timeoutMs: options.timeoutMs });
    if (code === 'UND_ERR_ABORTED' || (cause as Error | null)?.name === 'AbortError') return noAnswerError('ABORTED', { requestId, cause });
    return noAnswerError('NETWORK_ERROR', { requestId, cause });
  }

  return {
    async getConnectedAccount(nanoid, { requestId = randomUUID(), signal }) {
      const path = prefix + template.replace('{nanoid}', encodeURIComponent(nanoid));
      const headers = { ...fixedHeaders, [REQUEST_ID_HEADER]: requestId };
      options.onRequest?.(path, headers);
      let status = 0;
      let text: string;
      let head: { status: number; headers: { get(name: string): string | null } };
      try {
        // An announced length over the cap is refused before any of the body is read.
        const answer = await get(pool, path, headers, signal, (answerStatus, answerHeaders) => {
          // Known from here on: a failure while the body is read is told with the answer's status.
          status = answerStatus;
          return Number(answerHeaders['content-length'] ?? Number.NaN) > limit ? tooLarge(answerStatus, requestId) : undefined;
        });
        const answerHeaders = answer.headers;
        head = { status, headers: { get: (name) => headerOf(answerHeaders, name) } };
        const encoding = headerOf(answerHeaders, 'content-encoding')?.trim().toLowerCase();
        if (encoding === undefined || encoding === '' || encoding === 'identity') {
          text = answer.body.toString('utf8');
        } else {
          const decode = DECODERS[encoding];
          const raw = answer.body;
          if (decode === undefined) {
            throw new ApiError({ message: `The response body has an unknown encoding (${encoding}).`, code: 'INVALID_RESPONSE', status, requestId });
          }
          try {
            text = decode(raw, { maxOutputLength: limit }).toString('utf8');
          } catch (cause) {
            if ((cause as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(status, requestId);
            throw new ApiError({ message: 'The response body could not be decoded.', code: 'INVALID_RESPONSE', status, requestId, cause });
          }
        }
      } catch (cause) {
        throw cause instanceof ApiError ? cause : failed(cause, status, requestId);
      }
      let body: unknown;
      let parsed = false;
      try {
        body = text === '' ? undefined : JSON.parse(text);
        parsed = true;
      } catch {
        // not JSON
      }
      if (status >= 200 && status < 300) {
        if (!parsed) throw new ApiError({ message: 'The response body could not be read as JSON.', code: 'INVALID_RESPONSE', status: 0, requestId });
        if (body === undefined) {
          throw new ApiError({ message: `Empty ${status} response.`, code: 'INVALID_RESPONSE', status, requestId, traceId: head.headers.get(REQUEST_ID_HEADER) ?? undefined });
        }
        return body;
      }
      throw errorOfResponse(head, body, requestId);
    },
    close: () => pool.close(),
  };
}
