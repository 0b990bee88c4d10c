import { describe, expect, inject, it } from 'vitest';
import { createSpecValidator, openapiBundlePath, startLoopbackServer } from '@connector-credentials/testkit';
import { ApiError, createComposioClient, type ComposioError, type ConnectedAccount } from '../src/index.js';

const baseUrl = inject('composioMockUrl');
const spec = createSpecValidator(openapiBundlePath('composio'));
const path = '/api/v3/connected_accounts/{nanoid}';
const examples = spec.responseExamples().filter((e) => e.path === path);

describe('getConnectedAccount against the Composio mock', () => {
  for (const apiVersion of ['v3', 'v3.1'] as const) {
    const client = createComposioClient({ baseUrl, apiKey: 'composio-key', apiVersion, retry: { retries: 0 } });

    it.each(examples.filter((e) => e.status === '200').map((e) => [e.name, e.value] as const))(
      `${apiVersion}: returns the %s example`,
      async (name, value) => {
        const account: ConnectedAccount = await client.getConnectedAccount('ca_Xo9ADr3cBz1p', { headers: { Prefer: `example=${name}` } });
        expect(account).toEqual(value);
      },
    );
  }

  it('sends the key as x-api-key: without it the mock answers 401', async () => {
    const anonymous = createComposioClient({ baseUrl, retry: { retries: 0 } });
    const error = (await anonymous.getConnectedAccount('ca_1').catch((e: unknown) => e)) as ApiError<ComposioError>;
    expect(error).toBeInstanceOf(ApiError);
    expect(error.status).toBe(401);
  });

  it.each(examples.filter((e) => e.status !== '200').map((e) => [e.status, e.name, e.value] as const))(
    'reads the vendor envelope of the %s %s example',
    async (status, name, value) => {
      const client = createComposioClient({ baseUrl, apiKey: 'k', retry: { retries: 0 } });
      const error = (await client
        .getConnectedAccount('ca_1', { headers: { Prefer: `code=${status}, example=${name}` } })
        .catch((e: unknown) => e)) as ApiError<ComposioError>;
      expect(error).toBeInstanceOf(ApiError);
      expect(error.status).toBe(Number(status));
      expect(error.envelope).toEqual(value);
      if ('error' in (value as object)) {
        const envelope = value as ComposioError;
        expect(error.code).toBe(envelope.error.slug);
        expect(error.traceId).toBe(envelope.error.request_id);
      } else {
        // A bare {message} (some rate-limit answers): the message, and a code from the status.
        expect(error.message).toBe((value as { message: string }).message);
        expect(error.code).toBe(`HTTP_${status}`);
      }
    },
  );

  it('generates dynamic accounts that are valid under the spec', async () => {
    const client = createComposioClient({ baseUrl, apiKey: 'k', retry: { retries: 0 } });
    for (let i = 0; i < 20; i += 1) {
      const account = await client.getConnectedAccount(`ca_dyn${i}`, { headers: { Prefer: 'dynamic=true' } });
      expect(spec.validateResponse('get', path, 200, account).errors).toEqual([]);
    }
  });
});

describe('listConnectedAccounts', () => {
  const listPath = '/api/v3/connected_accounts';
  const client = createComposioClient({ baseUrl, apiKey: 'composio-key', retry: { retries: 0 } });

  it('returns the example page from the mock, with filters sent as repeated query parameters', async () => {
    const page = await client.listConnectedAccounts({ user_ids: ['freddy_user_5f3c2a'], toolkit_slugs: ['googledrive'], statuses: ['ACTIVE'], limit: 10 });
    // @ts-expect-error the query is typed by the spec: an unknown filter does not compile
    void (() => client.listConnectedAccounts({ owner: 'x' }));
    expect(spec.validateResponse('get', listPath, 200, page).errors).toEqual([]);
    expect(page.items[0]!.id).toBe('ca_Xo9ADr3cBz1p');
    expect(page.next_cursor).toBeNull();
  });

  it('walks every page by cursor', async () => {
    const server = await startLoopbackServer();
    const account = examples.find((e) => e.name === 'api_key')!.value as ConnectedAccount;
    server.handle((req, res) => {
      const cursor = new URL(req.url!, 'http://x').searchParams.get('cursor');
      const page = cursor === null ? { items: [{ ...account, id: 'ca_a' }, { ...account, id: 'ca_b' }], next_cursor: 'p2' } : { items: [{ ...account, id: 'ca_c' }], next_cursor: null };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ...page, total_pages: 2, current_page: cursor ? 2 : 1, total_items: 3 }));
    });
    try {
      const paging = createComposioClient({ baseUrl: server.url, apiKey: 'k', retry: { retries: 0 } });
      const ids: string[] = [];
      for await (const item of paging.connectedAccounts({ user_ids: ['u'] })) ids.push(item.id);
      expect(ids).toEqual(['ca_a', 'ca_b', 'ca_c']);
      expect(server.requests.map((r) => new URL(r.url!, 'http://x').search)).toEqual(['?user_ids=u', '?user_ids=u&cursor=p2']);
    } finally {
      await server.close();
    }
  });

  it('reads a bare {message} rate-limit body into the error', async () => {
    const server = await startLoopbackServer();
    server.handle((_req, res) => res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '60' }).end('{"message":"Rate limit exceeded. Retry after 60 seconds."}'));
    try {
      const error = (await createComposioClient({ baseUrl: server.url, retry: { retries: 0 } }).listConnectedAccounts().catch((e: unknown) => e)) as ApiError;
      expect(error).toMatchObject({ status: 429, message: 'Rate limit exceeded. Retry after 60 seconds.', retryAfterMs: 60_000 });
    } finally {
      await server.close();
    }
  });
});
