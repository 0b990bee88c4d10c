import createClient, { type Client, type Middleware } from 'openapi-fetch';
import type { BaseClientOptions, CallOptions } from './options.js';
import type { SentRequest } from './response.js';
import { createTransport, defaultRequestId, REQUEST_ID_HEADER } from './transport.js';

/** Stamps an `X-Request-Id` on every request that has none: the one place the header is set. */
export function requestIdMiddleware(makeId: () => string): Middleware {
  return {
    onRequest({ request }) {
      if (!request.headers.has(REQUEST_ID_HEADER)) request.headers.set(REQUEST_ID_HEADER, makeId());
      return request;
    },
  };
}

/** The typed openapi-fetch client both API clients are built on: fixed headers, the request id, and the transport. */
export function createRawClient<Paths extends {}>(options: BaseClientOptions, headers: Record<string, string>) {
  const makeId = options.requestId ?? defaultRequestId;
  const raw: Client<Paths> = createClient<Paths>({ baseUrl: options.baseUrl, headers, fetch: createTransport(options) });
  raw.use(requestIdMiddleware(makeId));
  /**
   * One call's request options. The id is the caller's, else the middleware's: a per-call
   * middleware, run after it, notes the id sent so that the call's errors can name it.
   */
  const callInit = (call: CallOptions) => {
    const sent: SentRequest = {};
    const noteId: Middleware = {
      onRequest({ request }) {
        sent.requestId = request.headers.get(REQUEST_ID_HEADER) ?? undefined;
      },
    };
    return {
      sent,
      init: {
        headers: { ...call.headers, ...(call.requestId !== undefined ? { [REQUEST_ID_HEADER]: call.requestId } : {}) },
        ...(call.signal ? { signal: call.signal } : {}),
        middleware: [noteId],
      },
    };
  };
  return { raw, callInit };
}
