/**
 * The MSW handlers in Node (`setupServer`), called through the project's own client: every named
 * example of both specs is served, chosen per request (`Prefer`) or per test (`useScenario`), with
 * the Prism mock's auth rule (no key -> 401). Scenarios are read from the bundled specs, so a new
 * operation or example is covered without editing this test.
 */
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, createAitronosClient, createComposioClient, type AitronosPaths, type ComposioPaths } from '@connector-credentials/client';
import aitronosSpec from '@connector-credentials/openapi/aitronos.json' with { type: 'json' };
import composioSpec from '@connector-credentials/openapi/composio.json' with { type: 'json' };
import { createAitronosHttp, createHandlers, resetScenario, scenariosOf, useScenario, type Scenario } from '../src/index.ts';
import { aitronosCalls, callFor, composioCalls } from './calls.ts';

const AITRONOS = 'http://aitronos.test';
const CREDENTIAL = 'tcred_7Hq2LmX9pR4vN8sK3dWz';
const COMPOSIO = 'http://composio.test';
const server = setupServer(...createHandlers({ aitronos: { baseUrl: AITRONOS }, composio: { baseUrl: COMPOSIO } }));

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => {
  server.resetHandlers();
  resetScenario();
});
afterAll(() => server.close());

// Created per test: the client captures `fetch` when it is made, after MSW patched it.
// `null`: no key at all.
const aitronos = (key: string | null = 'any') =>
  key === null ? createAitronosClient({ baseUrl: AITRONOS, retry: { retries: 0 } }) : createAitronosClient({ baseUrl: AITRONOS, apiKey: key, retry: { retries: 0 } });
const composio = (key: string | null = 'any', apiVersion: 'v3' | 'v3.1' = 'v3') =>
  createComposioClient({ baseUrl: COMPOSIO, ...(key === null ? {} : { apiKey: key }), apiVersion, retry: { retries: 0 } });

/** Status and body of a call, whether the client resolved (with `ok`, the operation's 2xx) or threw. */
async function outcome(call: Promise<unknown>, ok = 200): Promise<{ status: number; body: unknown }> {
  return call.then(
    (body) => ({ status: ok, body }),
    (error: unknown) => {
      if (!(error instanceof ApiError)) throw error;
      return { status: error.status, body: error.envelope };
    },
  );
}

const aitronosScenarios = scenariosOf('aitronos');

const callOf = (scenario: Scenario) => callFor(aitronosCalls, scenario);
const composioScenarios = scenariosOf('composio');

describe('the specs and the handlers', () => {
  it('spec paths are the typed paths', () => {
    // Compile-time: the bundled specs' paths are exactly the paths openapi-msw and the client are typed with.
    type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
    const aitronosSame: Same<keyof typeof aitronosSpec.paths, keyof AitronosPaths> = true;
    const composioSame: Same<keyof typeof composioSpec.paths, keyof ComposioPaths> = true;
    expect([aitronosSame, composioSame]).toEqual([true, true]);
  });

  it('there is a handler for every operation and a scenario for every named example', () => {
    const operations = (spec: { paths: Record<string, object> }) => Object.values(spec.paths).reduce((n, item) => n + Object.keys(item).filter((k) => k !== 'parameters').length, 0);
    expect(createHandlers()).toHaveLength(operations(aitronosSpec) + operations(composioSpec));
    expect(aitronosScenarios.map((s) => s.name)).toContain('oauth2_expired');
    expect(aitronosScenarios.length).toBeGreaterThanOrEqual(20);
    expect(composioScenarios.length).toBeGreaterThanOrEqual(10);
  });
});

describe('Aitronos, through createAitronosClient', () => {
  it('has a client call for every operation', () => {
    expect([...new Set(aitronosScenarios.map((s) => s.operationId))].sort()).toEqual(Object.keys(aitronosCalls).sort());
  });

  it.each(aitronosScenarios.map((s) => [s.operationId, s.name, s.status, s.prefer, s] as const))('%s %s (%s) with Prefer: %s', async (_id, _name, status, prefer, scenario) => {
    const result = await outcome(callOf(scenario)(aitronos(), { headers: { Prefer: prefer } }), Number(status));
    expect(result).toEqual({ status: Number(status), body: scenario.value });
  });

  it.each(aitronosScenarios.map((s) => [s.operationId, s.name, s.status, s] as const))('%s %s (%s) with useScenario', async (_id, name, status, scenario) => {
    useScenario(name);
    const result = await outcome(callOf(scenario)(aitronos(), {}), Number(status));
    expect(result).toEqual({ status: Number(status), body: scenario.value });
  });

  it('answers a 204 without a body', async () => {
    await expect(aitronos().deleteCredential('tcred_7Hq2LmX9pR4vN8sK3dWz')).resolves.toBeUndefined();
  });

  it('a request’s Prefer wins over useScenario; useScenario also takes a Prefer value', async () => {
    useScenario('oauth2_expired');
    expect((await aitronos().getAdminCredentials(CREDENTIAL, { headers: { Prefer: 'example=api_key' } })).auth_scheme).toBe('API_KEY');
    useScenario('code=404');
    expect((await outcome(aitronos().getAdminCredentials(CREDENTIAL))).status).toBe(404);
  });

  it('without a scenario it answers the first example of the lowest 2xx, as Prism does', async () => {
    expect(await aitronos().getAdminCredentials(CREDENTIAL)).toEqual(aitronosScenarios.find((s) => s.status === '200')!.value);
  });

  it('no key gives 401 AUTHENTICATION_REQUIRED, whatever the scenario', async () => {
    useScenario('oauth2_active');
    const error = await aitronos(null).getAdminCredentials(CREDENTIAL).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(401);
    expect((error as ApiError).code).toBe('AUTHENTICATION_REQUIRED');
  });

  it('each of the three key headers is accepted', async () => {
    for (const key of [{ apiKey: 'k' }, { flowplateKey: 'k' }, { hubKey: 'k' }]) {
      await expect(createAitronosClient({ baseUrl: AITRONOS, ...key }).getAdminCredentials(CREDENTIAL)).resolves.toMatchObject({ status: 'ACTIVE' });
    }
  });

  it('an unknown example name gives 404, as in Prism', async () => {
    const response = await fetch(`${AITRONOS}/v1/personal-connectors/admin/credentials/${CREDENTIAL}`, { headers: { 'X-API-Key': 'k', Prefer: 'example=no_such_example' } });
    expect(response.status).toBe(404);
    expect(((await response.json()) as { detail: string }).detail).toContain('no_such_example');
  });

  it('takes handlers of your own, typed by the spec, on top', async () => {
    const http = createAitronosHttp({ baseUrl: AITRONOS });
    const base = aitronosScenarios.find((s) => s.name === 'oauth2_active')!.value as AitronosPaths['/v1/personal-connectors/admin/credentials/{credential_id}']['get']['responses'][200]['content']['application/json'];
    server.use(
      http.get('/v1/personal-connectors/admin/credentials/{credential_id}', ({ params, response }) =>
        response(200).json({ ...base, connection_id: params.credential_id }),
      ),
    );
    expect((await aitronos().getAdminCredentials('ca_custom')).connection_id).toBe('ca_custom');
  });
});

describe('requests are checked against the spec, as Prism checks them', () => {
  const validationError = aitronosScenarios.find((s) => s.status === '400' && s.operationId === 'getAdminCredentials')!.value;
  const violations = (response: Response) => JSON.parse(response.headers.get('sl-violations') ?? '[]') as Array<{ location: string[]; code: string; message: string }>;

  it('a credential id without tcred_ is 400 VALIDATION_ERROR, whatever the Prefer header or scenario', async () => {
    useScenario('oauth2_expired');
    const response = await fetch(`${AITRONOS}/v1/personal-connectors/admin/credentials/ca_1`, { headers: { 'X-API-Key': 'k', Prefer: 'example=api_key' } });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual(validationError);
    expect(violations(response).map((v) => [v.location.join('.'), v.code])).toEqual([
      ['request.path.credential_id', 'minLength'],
      ['request.path.credential_id', 'pattern'],
    ]);
    const error = await aitronos().getAdminCredentials('ca_1').catch((e: unknown) => e);
    expect((error as ApiError).code).toBe('VALIDATION_ERROR');
  });

  it('a missing query parameter and a body that breaks its schema are 400 too', async () => {
    const list = await fetch(`${AITRONOS}/v1/personal-connectors/connections/googledrive`, { headers: { 'X-API-Key': 'k' } });
    expect(list.status).toBe(400);
    expect(violations(list)[0]).toMatchObject({ location: ['request', 'query'], code: 'required', message: 'Request query parameter organization_id is required' });
    const register = await fetch(`${AITRONOS}/v1/personal-connectors/admin/credentials`, {
      method: 'POST',
      headers: { 'X-API-Key': 'k', 'Content-Type': 'application/json' },
      body: JSON.stringify({ connection_id: 'ca_1' }),
    });
    expect(register.status).toBe(400);
    expect(violations(register).map((v) => v.code)).toContain('required');
    const toggle = await fetch(`${AITRONOS}/v1/personal-connectors/connections/${CREDENTIAL}/active`, {
      method: 'PATCH',
      headers: { 'X-API-Key': 'k', 'Content-Type': 'application/json' },
      body: '{"is_active":"no"}',
    });
    expect(toggle.status).toBe(400);
    expect(violations(toggle)[0]).toMatchObject({ location: ['request', 'body', 'is_active'], code: 'type' });
  });

  it('query values are read as the schema types them: limit=abc is not a number (Composio: 422)', async () => {
    const bad = await fetch(`${COMPOSIO}/api/v3/connected_accounts?limit=abc`, { headers: { 'x-api-key': 'k' } });
    expect(bad.status).toBe(422);
    const good = await fetch(`${COMPOSIO}/api/v3/connected_accounts?limit=5&user_ids=a&user_ids=b`, { headers: { 'x-api-key': 'k' } });
    expect(good.status).toBe(200);
  });

  it('no key is still 401 first', async () => {
    expect((await fetch(`${AITRONOS}/v1/personal-connectors/admin/credentials/ca_1`)).status).toBe(401);
  });
});

describe('Composio, through createComposioClient', () => {
  it.each(composioScenarios.map((s) => [s.path, s.name, s.status, s.prefer, s] as const))('%s %s (%s) with Prefer: %s', async (path, _name, status, prefer, scenario) => {
    const client = composio('any', path.startsWith('/api/v3.1/') ? 'v3.1' : 'v3');
    const result = await outcome(callFor(composioCalls, scenario)(client, { headers: { Prefer: prefer } }), Number(status));
    expect(result).toEqual({ status: Number(status), body: scenario.value });
  });

  it('useScenario picks the same scenario on both APIs', async () => {
    useScenario('oauth2_expired');
    expect((await aitronos().getAdminCredentials(CREDENTIAL)).status).toBe('EXPIRED');
    expect((await composio().getConnectedAccount('ca_1')).status).toBe('EXPIRED');
  });

  it('no key gives 401', async () => {
    expect((await outcome(composio(null).getConnectedAccount('ca_1'))).status).toBe(401);
  });
});
