/**
 * The hooks' query side without React: query keys, errors and the optimistic toggle, through
 * TanStack Query's own observers (what the hooks use) and the spec's MSW handlers in process.
 * The toggle's answer is held by a gate until the test has looked at the optimistic state.
 */
import { MutationObserver, QueryClient, QueryObserver } from '@tanstack/react-query';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAitronosClient, type ConnectionList } from '@connector-credentials/client';
import { createAitronosHttp, createHandlers, resetScenario, scenariosOf, useScenario } from '@connector-credentials/mocks-msw';
import {
  ApiError,
  connectionKeys,
  createConnectionsHooks,
  LIST_CONNECTIONS,
  retryAfterMs,
  retryWhenAsked,
  SET_CONNECTION_ACTIVE,
  setConnectionActiveDefaults,
  setConnectionActiveHandlers,
  type ConnectionsError,
  type SetConnectionActiveVariables,
} from '../src/index.ts';

const baseUrl = 'http://aitronos.test';
const server = setupServer(...createHandlers({ aitronos: { baseUrl } }));
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => {
  server.resetHandlers();
  resetScenario();
});
afterAll(() => server.close());

const example = (name: string) => scenariosOf('aitronos').find((s) => s.path === LIST_CONNECTIONS && s.name === name)!.value as ConnectionList;
const hooksOf = () => createConnectionsHooks(createAitronosClient({ baseUrl, apiKey: 'any', retry: { retries: 0 } }));
const newQueryClient = () => new QueryClient({ defaultOptions: { queries: { gcTime: Infinity } } });
const failure = async (promise: Promise<unknown>) => {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(ApiError);
  return error as ConnectionsError;
};

describe('the openapi-fetch instance of the hooks', () => {
  it('reaches the connection paths only, at run time too: never an admin operation', async () => {
    const { fetchClient } = hooksOf();
    const admin = '/v1/personal-connectors/admin/credentials/{credential_id}';
    expect(() => (fetchClient.GET as unknown as (path: string) => unknown)(admin)).toThrow(/is not a connection path/);
    expect(() => (fetchClient.request as unknown as (method: string, path: string) => unknown)('get', admin)).toThrow(/is not a connection path/);
    // A connection path goes through, and a non-2xx answer throws the ApiError.
    useScenario('code=403, example=insufficient_permissions');
    await failure(fetchClient.request('get', LIST_CONNECTIONS, { params: { path: { tool_key: 'googledrive' }, query: { organization_id: 'org_1' } } }));
  });

  it('fails with an ApiError for a 2xx that is not JSON too (an SPA page answering a misrouted /api)', async () => {
    server.use(http.get(`${baseUrl}${LIST_CONNECTIONS.replace('{tool_key}', ':tool')}`, () => new HttpResponse('<!doctype html><title>app</title>', { status: 200, headers: { 'content-type': 'text/html' } })));
    const error = await failure(newQueryClient().fetchQuery({ ...hooksOf().listOptions('googledrive', 'org_1'), retry: false }));
    expect(error.code).toBe('INVALID_RESPONSE');
  });
});

describe('the list query', () => {
  it('is keyed by the operation (method, path, request) and answers the spec example', async () => {
    const hooks = hooksOf();
    const options = hooks.listOptions('googledrive', 'org_1');
    expect(options.queryKey).toEqual(['get', LIST_CONNECTIONS, { params: { path: { tool_key: 'googledrive' }, query: { organization_id: 'org_1' } } }]);
    expect(options.queryKey).toEqual(connectionKeys.list('googledrive', 'org_1'));
    const queryClient = newQueryClient();
    expect(await queryClient.fetchQuery(options)).toEqual(example('connections'));
    expect(queryClient.getQueryData(connectionKeys.list('googledrive', 'org_1'))).toEqual(example('connections'));
  });

  it('fails with the client ApiError: code, status, trace id, details and envelope', async () => {
    useScenario('code=403, example=insufficient_permissions');
    const error = await failure(newQueryClient().fetchQuery({ ...hooksOf().listOptions('googledrive', 'org_1'), retry: false }));
    expect(error).toMatchObject({ status: 403, code: 'INSUFFICIENT_PERMISSIONS', traceId: 'req_abc123xyz', details: { required_role: 'admin or connections' } });
    expect(error.envelope?.error.message).toBe('You do not have permission to access this resource.');
    expect(error.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('tries a 429 again after its Retry-After (else the envelope\'s retry_after_seconds), and nothing else', async () => {
    useScenario('code=429, example=rate_limit_exceeded');
    const fromDetails = await failure(newQueryClient().fetchQuery({ ...hooksOf().listOptions('googledrive', 'org_1'), retry: false }));
    expect(retryAfterMs(fromDetails)).toBe(30_000);
    expect(retryWhenAsked.retry(0, fromDetails)).toBe(true);
    expect(retryWhenAsked.retryDelay(0, fromDetails)).toBe(30_000);
    expect(retryWhenAsked.retry(3, fromDetails)).toBe(false);
    // A wait longer than a page should sit through is shown, not waited out.
    const tooLong = new ApiError({ status: 429, code: 'RATE_LIMIT_EXCEEDED', message: 'x', requestId: 'r', retryAfterMs: 3_600_000 });
    expect(retryWhenAsked.retry(0, tooLong)).toBe(false);

    server.use(http.get(`${baseUrl}${LIST_CONNECTIONS.replace('{tool_key}', ':tool')}`, () =>
      HttpResponse.json(example('connections'), { status: 429, headers: { 'Retry-After': '2' } })));
    const fromHeader = await failure(newQueryClient().fetchQuery({ ...hooksOf().listOptions('googledrive', 'org_1'), retry: false }));
    expect(retryWhenAsked.retryDelay(0, fromHeader)).toBe(2_000);

    useScenario('code=500, example=internal_error');
    server.resetHandlers();
    const internal = await failure(newQueryClient().fetchQuery({ ...hooksOf().listOptions('googledrive', 'org_1'), retry: false }));
    expect(retryWhenAsked.retry(0, internal)).toBe(false);
  });
});

describe('turning a connection on or off', () => {
  /** A stateful stand-in of the two operations; the toggle's answer waits for `release`. */
  function backend() {
    const list = structuredClone(example('connections'));
    const state = { listCalls: 0, arrived: false, release: (_status: number) => {}, holdList: false, listHeld: false, releaseList: () => {} };
    const aitronos = createAitronosHttp({ baseUrl });
    server.use(
      aitronos.get(LIST_CONNECTIONS, async ({ response }) => {
        state.listCalls += 1;
        if (state.holdList) {
          await new Promise<void>((resolve) => {
            state.releaseList = resolve;
            state.listHeld = true;
          });
        }
        return response(200).json(structuredClone(list));
      }),
      aitronos.patch(SET_CONNECTION_ACTIVE, async ({ params, request, response }) => {
        const { is_active } = (await request.json()) as { is_active: boolean };
        const status = await new Promise<number>((resolve) => {
          state.release = resolve;
          state.arrived = true;
        });
        if (status !== 200) return response.untyped(HttpResponse.json(scenariosOf('aitronos').find((s) => s.path === SET_CONNECTION_ACTIVE && s.name === 'internal_error')!.value as object, { status }));
        list.connections = list.connections.map((c) => (c.id === params.credential_id ? { ...c, is_active } : c));
        return response(200).json({ id: params.credential_id, is_active });
      }),
    );
    return state;
  }

  async function setUp() {
    const hooks = hooksOf();
    const queryClient = newQueryClient();
    const observer = new QueryObserver(queryClient, { ...hooks.listOptions('googledrive', 'org_1'), staleTime: Infinity });
    const unsubscribe = observer.subscribe(() => {});
    await observer.refetch();
    // The same mutation `useSetConnectionActive` makes: openapi-react-query's call, the cache handlers.
    const mutation = new MutationObserver(queryClient, {
      mutationKey: ['patch', SET_CONNECTION_ACTIVE],
      mutationFn: async (variables: SetConnectionActiveVariables) => (await hooks.fetchClient.PATCH(SET_CONNECTION_ACTIVE, variables)).data!,
      ...setConnectionActiveHandlers(queryClient),
    });
    const listed = () => queryClient.getQueryData<ConnectionList>(connectionKeys.list('googledrive', 'org_1'))!.connections;
    return { queryClient, mutation, listed, unsubscribe };
  }

  const first = example('connections').connections[0]!;
  const turnOff: SetConnectionActiveVariables = { params: { path: { credential_id: first.id } }, body: { is_active: !first.is_active } };
  const until = async (check: () => boolean) => {
    while (!check()) await new Promise((r) => setTimeout(r, 5));
  };

  it('runs toggles one after another: one waiting out a 429 is never sent after a later one', async () => {
    const sent: Array<{ is_active: boolean; status: number }> = [];
    const aitronos = createAitronosHttp({ baseUrl });
    const limited = scenariosOf('aitronos').find((s) => s.path === SET_CONNECTION_ACTIVE && s.name === 'rate_limit_exceeded')!.value as object;
    server.use(
      aitronos.patch(SET_CONNECTION_ACTIVE, async ({ params, request, response }) => {
        const { is_active } = (await request.json()) as { is_active: boolean };
        // The first toggle is asked to wait a second; every other one is taken.
        const status = sent.length === 0 ? 429 : 200;
        sent.push({ is_active, status });
        if (status === 429) return response.untyped(HttpResponse.json(limited, { status, headers: { 'Retry-After': '1' } }));
        return response(200).json({ id: params.credential_id, is_active });
      }),
    );
    const hooks = hooksOf();
    const queryClient = newQueryClient();
    // Two toggles as the page makes them: each its own mutation, with the hook's options.
    const toggle = () =>
      new MutationObserver(queryClient, {
        ...setConnectionActiveDefaults,
        mutationFn: async (variables: SetConnectionActiveVariables) => (await hooks.fetchClient.PATCH(SET_CONNECTION_ACTIVE, variables)).data!,
      });
    const off = toggle().mutate({ params: { path: { credential_id: first.id } }, body: { is_active: false } });
    await until(() => sent.length === 1);
    // The user turns it back on while the first waits out its 429.
    const on = toggle().mutate({ params: { path: { credential_id: first.id } }, body: { is_active: true } });
    await Promise.all([off, on]);
    expect(sent).toEqual([
      { is_active: false, status: 429 },
      { is_active: false, status: 200 },
      { is_active: true, status: 200 },
    ]);
  });

  it('shows the new state at once, keeps it on success, and fetches the list again', async () => {
    const gate = backend();
    const { mutation, listed, unsubscribe } = await setUp();
    const callsBefore = gate.listCalls;
    const done = mutation.mutate(turnOff);
    await until(() => listed()[0]!.is_active === !first.is_active);
    expect(gate.listCalls).toBe(callsBefore);
    await until(() => gate.arrived);
    gate.release(200);
    expect(await done).toEqual({ id: first.id, is_active: !first.is_active });
    await until(() => gate.listCalls > callsBefore && mutation.getCurrentResult().isSuccess);
    await until(() => !mutation.getCurrentResult().isPending);
    expect(listed()[0]!.is_active).toBe(!first.is_active);
    expect(listed().slice(1)).toEqual(example('connections').connections.slice(1));
    unsubscribe();
  });

  it('rolls the list back when the call fails, with the ApiError of the answer', async () => {
    const gate = backend();
    const { mutation, listed, unsubscribe } = await setUp();
    const done = mutation.mutate(turnOff).catch((e: unknown) => e);
    await until(() => listed()[0]!.is_active === !first.is_active);
    await until(() => gate.arrived);
    // The list fetched again after the failure waits, so what shows meanwhile is the rollback's.
    gate.holdList = true;
    gate.release(500);
    await until(() => gate.listHeld);
    expect(listed()).toEqual(example('connections').connections);
    gate.releaseList();
    const error = (await done) as ConnectionsError;
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 500, code: 'INTERNAL_ERROR', traceId: 'req_abc123xyz' });
    expect(listed()[0]!.is_active).toBe(first.is_active);
    expect(listed()).toEqual(example('connections').connections);
    unsubscribe();
  });
});
