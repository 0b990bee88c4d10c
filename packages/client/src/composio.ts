import type { Client, Middleware } from 'openapi-fetch';
import type { ComposioError, ComposioPaths, ConnectedAccount } from '@connector-credentials/types';
import { unwrap } from './response.js';
import { createRawClient } from './base.js';
import type { BaseClientOptions, CallOptions } from './options.js';

export interface ComposioClientOptions extends BaseClientOptions {
  /** Composio project API key, sent as `x-api-key`. */
  apiKey?: string;
  /** Which path to call: `v3` (`/api/v3/...`) or `v3.1` (what current vendor SDKs call). Same contract. Default `v3`. */
  apiVersion?: 'v3' | 'v3.1';
}

export interface ComposioClient {
  readonly raw: Client<ComposioPaths>;
  use(...middleware: Middleware[]): void;
  /**
   * `GET /api/v3/connected_accounts/{nanoid}` (or `/api/v3.1/...`).
   * @throws ApiError<ComposioError> for any answer but 2xx, and for timeouts and network failures.
   */
  getConnectedAccount(nanoid: string, options?: CallOptions): Promise<ConnectedAccount>;
}

export function createComposioClient(options: ComposioClientOptions): ComposioClient {
  const headers: Record<string, string> = { ...options.headers };
  if (options.apiKey !== undefined) headers['x-api-key'] = options.apiKey;
  const { raw, callInit } = createRawClient<ComposioPaths>(options, headers);
  const v31 = options.apiVersion === 'v3.1';

  return {
    raw,
    use: (...middleware) => raw.use(...middleware),
    getConnectedAccount(nanoid, call = {}) {
      const { sent, init: callOptions } = callInit(call);
      const init = { params: { path: { nanoid } }, ...callOptions };
      const pending = v31
        ? raw.GET('/api/v3.1/connected_accounts/{nanoid}', init)
        : raw.GET('/api/v3/connected_accounts/{nanoid}', init);
      return unwrap(
        pending as Promise<{ data?: ConnectedAccount; error?: ComposioError; response: Response }>,
        sent,
      );
    },
  };
}
