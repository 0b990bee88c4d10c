import type { Client, Middleware } from 'openapi-fetch';
import type { ComposioError, ComposioOperations, ComposioPaths, ConnectedAccount, ConnectedAccountList } from '@connector-credentials/types';

/** Filters and paging of `GET /api/v3/connected_accounts`. */
export type ListConnectedAccountsQuery = NonNullable<ComposioOperations['listConnectedAccounts']['parameters']['query']>;
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
  /** `GET /api/v3/connected_accounts`: one page; pass its `next_cursor` as `cursor` for the next. */
  listConnectedAccounts(query?: ListConnectedAccountsQuery, options?: CallOptions): Promise<ConnectedAccountList>;
  /** Every connected account the query matches, page after page. */
  connectedAccounts(query?: Omit<ListConnectedAccountsQuery, 'cursor'>, options?: CallOptions): AsyncGenerator<ConnectedAccount>;
}

export function createComposioClient(options: ComposioClientOptions): ComposioClient {
  const headers: Record<string, string> = { ...options.headers };
  if (options.apiKey !== undefined) headers['x-api-key'] = options.apiKey;
  const { raw, callInit } = createRawClient<ComposioPaths>(options, headers);
  const v31 = options.apiVersion === 'v3.1';

  const listConnectedAccounts = (query: ListConnectedAccountsQuery = {}, call: CallOptions = {}) => {
    const { sent, init } = callInit(call);
    return unwrap(raw.GET('/api/v3/connected_accounts', { params: { query }, ...init }), sent);
  };

  return {
    raw,
    use: (...middleware) => raw.use(...middleware),
    listConnectedAccounts,
    async *connectedAccounts(query = {}, call = {}) {
      let cursor: string | undefined;
      do {
        const page = await listConnectedAccounts({ ...query, ...(cursor ? { cursor } : {}) }, call);
        yield* page.items;
        cursor = page.next_cursor ?? undefined;
      } while (cursor);
    },
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
