import createClient, { type Client } from 'openapi-fetch';
import type { BaseClientOptions, CallOptions } from './options.js';
import { createTransport, defaultRequestId, REQUEST_ID_HEADER } from './transport.js';

/** The typed openapi-fetch client both API clients are built on: fixed headers, and the transport. */
export function createRawClient<Paths extends {}>(options: BaseClientOptions, headers: Record<string, string>) {
  const makeId = options.requestId ?? defaultRequestId;
  const raw: Client<Paths> = createClient<Paths>({
    baseUrl: options.baseUrl,
    headers,
    fetch: createTransport({ ...options, requestId: makeId }),
  });
  /** One call's request id and its per-call request options. */
  const callInit = (call: CallOptions) => {
    const requestId = call.requestId ?? makeId();
    return {
      requestId,
      init: { headers: { ...call.headers, [REQUEST_ID_HEADER]: requestId }, ...(call.signal ? { signal: call.signal } : {}) },
    };
  };
  return { raw, callInit };
}
