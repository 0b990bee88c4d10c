import createClient, { type Client, type Middleware } from 'openapi-fetch';
import type { BaseClientOptions, CallOptions } from './options.js';
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
  /** One call's request id (chosen here so that its errors can name it) and its per-call request options. */
  const callInit = (call: CallOptions) => {
    const requestId = call.requestId ?? makeId();
    return {
      requestId,
      init: { headers: { ...call.headers, [REQUEST_ID_HEADER]: requestId }, ...(call.signal ? { signal: call.signal } : {}) },
    };
  };
  return { raw, callInit };
}
