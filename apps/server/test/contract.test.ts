/**
 * Contract tests: the real server on a free port, against a real Prism process serving the
 * Composio spec (global setup, --errors), called through the generated Aitronos client. Every
 * answer is checked against the Aitronos spec.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ApiError, createAitronosClient, type ErrorEnvelope } from '@connector-credentials/client';
import { createSpecValidator, openapiBundlePath } from '@connector-credentials/testkit';
import { KEYS, preferFromCredentialId, startTestServer, type TestServer } from './helpers.js';

const aitronos = createSpecValidator(openapiBundlePath('aitronos'));
const composio = createSpecValidator(openapiBundlePath('composio'));
const PATH = '/v1/personal-connectors/admin/credentials/by-connection/{connection_id}';
const composioPath = '/api/v3/connected_accounts/{nanoid}';
const scenarios = composio.responseExamples().filter((e) => e.path === composioPath && e.status === '200').map((e) => e.name);
// Read by connection id, the connections are not registered: `credential_id` is null.
const expected = new Map(
  aitronos
    .responseExamples()
    .filter((e) => e.path === '/v1/personal-connectors/admin/credentials/{credential_id}' && e.status === '200')
    .map((e) => [e.name, { ...(e.value as object), credential_id: null }]),
);

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ composioBaseUrl: inject('composioMockUrl'), onComposioRequest: preferFromCredentialId });
});
afterAll(() => server.close());

/** Calls the server raw, so every status and header can be checked against the spec. */
async function call(id: string, headers: Record<string, string> = { 'X-API-Key': KEYS.adminApi.key }) {
  const response = await fetch(`${server.running.url}/v1/personal-connectors/admin/credentials/by-connection/${id}`, { headers });
  const body: unknown = await response.json();
  const check = aitronos.validateResponse('get', PATH, response.status, body);
  expect(check.errors, `response ${response.status} breaks the spec`).toEqual([]);
  return { response, body };
}

describe('one test per Composio example scenario', () => {
  it('covers every example of the Composio spec, each with an Aitronos example of the same name', () => {
    expect(scenarios.length).toBeGreaterThan(0);
    expect([...scenarios].sort()).toEqual([...expected.keys()].sort());
  });

  it.each(scenarios)('%s: 200, mapped as the Aitronos example of the same name, no-store', async (name) => {
    const data = await server.admin.getAdminCredentialsByConnection(`scenario--${name}`);
    expect(data).toEqual(expected.get(name));
    const { response } = await call(`scenario--${name}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('x-request-id')).toMatch(/^req_[0-9a-f]{32}$/);
    expect(response.headers.get('etag')).toBeNull();
  });
});

describe('Composio error outcomes', () => {
  it.each([
    [404, 404, 'CONNECTION_NOT_FOUND'],
    [400, 400, 'VALIDATION_ERROR'],
    [401, 502, 'UPSTREAM_AUTH_ERROR'],
    [403, 502, 'UPSTREAM_AUTH_ERROR'],
    [429, 503, 'UPSTREAM_UNAVAILABLE'],
    [500, 502, 'UPSTREAM_ERROR'],
    [501, 502, 'UPSTREAM_ERROR'],
  ])('Composio %i -> %i %s, in the envelope, nothing of the upstream body echoed', async (upstream, status, code) => {
    const { response, body } = await call(`status--${upstream}`);
    expect(response.status).toBe(status);
    const envelope = body as ErrorEnvelope;
    expect(envelope.error.code).toBe(code);
    expect(envelope.error.trace_id).toBe(response.headers.get('x-request-id'));
    // Nothing of the vendor's error body (its examples' slug, message, request id, hint) comes through.
    expect(JSON.stringify(body)).not.toMatch(/request_id|suggested_fix|7f1e2d3c-4b5a|_NotFound|Auth_|RateLimit_|Internal_ServerError|Operation_NotImplemented|Request_ValidationError/);
    if (status === 503) {
      expect(response.headers.get('retry-after')).toBe('2');
      expect(envelope.error.details).toMatchObject({ retry_after_seconds: 2 });
    }
  });

  it('the typed client sees the same error with its trace id', async () => {
    const error = (await server.admin.getAdminCredentialsByConnection('status--404', { requestId: 'trace-abc' }).catch((e: unknown) => e)) as ApiError<ErrorEnvelope>;
    expect(error).toBeInstanceOf(ApiError);
    expect(error.code).toBe('CONNECTION_NOT_FOUND');
    expect(error.traceId).toBe('trace-abc');
    expect(error.details).toEqual({ connection_id: 'status--404' });
  });
});

describe('the spec names every header an answer carries', () => {
  // HTTP's framing, and the security headers helmet puts on every answer of every route: the
  // server's, not the API's. Everything else an answer carries must be in its response's headers.
  const HTTP = ['date', 'connection', 'keep-alive', 'content-type', 'content-length', 'transfer-encoding'];
  const HELMET = [
    'content-security-policy', 'cross-origin-opener-policy', 'cross-origin-resource-policy', 'origin-agent-cluster', 'referrer-policy',
    'strict-transport-security', 'x-content-type-options', 'x-dns-prefetch-control', 'x-download-options', 'x-frame-options',
    'x-permitted-cross-domain-policies', 'x-xss-protection',
  ];
  const generic = new Set([...HTTP, ...HELMET]);
  const admin = { 'X-API-Key': KEYS.adminApi.key };
  const json = { ...admin, 'Content-Type': 'application/json' };
  const BY_ID = '/v1/personal-connectors/admin/credentials/{credential_id}';
  const COLLECTION = '/v1/personal-connectors/admin/credentials';
  const LIST = '/v1/personal-connectors/connections/{tool_key}';
  const ACTIVE = '/v1/personal-connectors/connections/{credential_id}/active';

  /** Sends the request; checks its status, and that each header it carries is HTTP's, helmet's or the spec's. */
  async function answered(template: string, url: string, init: RequestInit & { method: string }, status: number) {
    const response = await fetch(`${server.running.url}${url}`, init);
    const body = await response.text();
    expect(response.status, `${init.method} ${url}: ${body}`).toBe(status);
    const declared = new Set(Object.keys(aitronos.responseHeaders(init.method, template, status)));
    const undeclared = [...response.headers.keys()].filter((name) => !generic.has(name) && !declared.has(name));
    expect(undeclared, `${init.method} ${template} ${status}`).toEqual([]);
    return body === '' ? undefined : (JSON.parse(body) as Record<string, unknown>);
  }

  it('on every operation, for its answers and its errors', async () => {
    const connection = 'scenario--basic';
    const byConnection = (id: string) => `/v1/personal-connectors/admin/credentials/by-connection/${id}`;
    await answered(PATH, byConnection(connection), { method: 'GET', headers: admin }, 200);
    await answered(PATH, byConnection(connection), { method: 'GET' }, 401);
    await answered(PATH, byConnection(connection), { method: 'GET', headers: { 'X-API-Key': KEYS.readerApi.key } }, 403);
    await answered(PATH, byConnection('a'.repeat(129)), { method: 'GET', headers: admin }, 400);
    await answered(PATH, byConnection('status--404'), { method: 'GET', headers: admin }, 404);
    await answered(PATH, byConnection('status--500'), { method: 'GET', headers: admin }, 502);
    await answered(PATH, byConnection('status--429'), { method: 'GET', headers: admin }, 503);

    const registration = JSON.stringify({ connection_id: connection, organization_id: 'org_headers' });
    const created = await answered(COLLECTION, '/v1/personal-connectors/admin/credentials', { method: 'POST', headers: json, body: registration }, 201);
    const id = String(created?.id);
    await answered(COLLECTION, '/v1/personal-connectors/admin/credentials', { method: 'POST', headers: json, body: registration }, 409);
    await answered(COLLECTION, '/v1/personal-connectors/admin/credentials', { method: 'POST', headers: { ...admin, 'Content-Type': 'text/plain' }, body: registration }, 415);
    await answered(COLLECTION, '/v1/personal-connectors/admin/credentials', { method: 'POST', headers: json, body: JSON.stringify({ credential_name: 'x'.repeat(5000) }) }, 413);
    await answered(BY_ID, `/v1/personal-connectors/admin/credentials/${id}`, { method: 'GET', headers: admin }, 200);
    await answered(LIST, `/v1/personal-connectors/connections/${String(created?.tool_key)}?organization_id=org_headers`, { method: 'GET', headers: admin }, 200);
    await answered(ACTIVE, `/v1/personal-connectors/connections/${id}/active`, { method: 'PATCH', headers: json, body: '{"is_active":false}' }, 200);
    await answered(BY_ID, `/v1/personal-connectors/admin/credentials/${id}`, { method: 'DELETE', headers: admin }, 204);
    await answered(BY_ID, `/v1/personal-connectors/admin/credentials/${id}`, { method: 'DELETE', headers: admin }, 404);
    await answered(ACTIVE, `/v1/personal-connectors/connections/${id}/active`, { method: 'PATCH', headers: json, body: '{"is_active":true}' }, 404);
  });
});

describe('auth matrix: three headers x missing / unknown / wrong kind / not admin / admin', () => {
  const kinds = [
    { header: 'X-API-Key', admin: KEYS.adminApi, reader: KEYS.readerApi, other: KEYS.adminFlowplate },
    { header: 'X-Flowplate-Key', admin: KEYS.adminFlowplate, reader: KEYS.readerFlowplate, other: KEYS.adminHub },
    { header: 'X-Aitronos-Hub-Key', admin: KEYS.adminHub, reader: KEYS.readerHub, other: KEYS.adminApi },
  ];
  const cases = kinds.flatMap((k) => [
    [k.header, 'missing (empty value)', { [k.header]: '' }, 401, 'AUTHENTICATION_REQUIRED'],
    [k.header, 'unknown key', { [k.header]: 'no-such-key' }, 401, 'INVALID_API_KEY'],
    [k.header, `wrong kind (a ${k.other.header} key)`, { [k.header]: k.other.key }, 401, 'INVALID_API_KEY'],
    [k.header, 'valid, not admin', { [k.header]: k.reader.key }, 403, 'INSUFFICIENT_PERMISSIONS'],
    [k.header, 'admin', { [k.header]: k.admin.key }, 200, undefined],
  ] as const);

  it('no key header at all -> 401 AUTHENTICATION_REQUIRED', async () => {
    const { response, body } = await call('scenario--oauth2_active', {});
    expect(response.status).toBe(401);
    expect((body as ErrorEnvelope).error.code).toBe('AUTHENTICATION_REQUIRED');
  });

  it.each(cases)('%s, %s -> %i %s', async (_header, _label, headers, status, code) => {
    const { response, body } = await call('scenario--api_key', headers as Record<string, string>);
    expect(response.status).toBe(status);
    if (code) expect((body as ErrorEnvelope).error.code).toBe(code);
    else expect(body).toEqual(expected.get('api_key'));
  });

  it('two key headers at once -> 401 INVALID_API_KEY, even when both are admin keys', async () => {
    const { response, body } = await call('scenario--api_key', { 'X-API-Key': KEYS.adminApi.key, 'X-Aitronos-Hub-Key': KEYS.adminHub.key });
    expect(response.status).toBe(401);
    expect((body as ErrorEnvelope).error.code).toBe('INVALID_API_KEY');
    expect((body as ErrorEnvelope).error.system_message).toBe('Present exactly one key; got X-API-Key, X-Aitronos-Hub-Key');
  });

  it('authenticates before validating: a bad id without a key is a 401, with an admin key a 400', async () => {
    expect((await call('bad%20id', {})).response.status).toBe(401);
    const { response, body } = await call('bad%20id');
    expect(response.status).toBe(400);
    expect((body as ErrorEnvelope).error.code).toBe('VALIDATION_ERROR');
  });

  it('works through the typed client with each kind of key', async () => {
    for (const key of [{ apiKey: KEYS.adminApi.key }, { flowplateKey: KEYS.adminFlowplate.key }, { hubKey: KEYS.adminHub.key }]) {
      const client = createAitronosClient({ baseUrl: server.running.url, ...key });
      await expect(client.getAdminCredentialsByConnection('scenario--basic')).resolves.toEqual(expected.get('basic'));
    }
  });
});

describe('routes and the envelope', () => {
  it.each([
    ['GET', '/v1/unknown', 404, 'ROUTE_NOT_FOUND'],
    ['POST', '/v1/personal-connectors/admin/credentials/by-connection/ca_1', 405, 'METHOD_NOT_ALLOWED'],
    ['DELETE', '/v1/personal-connectors/admin/credentials/by-connection/ca_1', 405, 'METHOD_NOT_ALLOWED'],
    ['PUT', '/v1/personal-connectors/admin/credentials/tcred_0000000000000000abcd', 405, 'METHOD_NOT_ALLOWED'],
    ['GET', '/v1/personal-connectors/admin/credentials/ca_1', 400, 'VALIDATION_ERROR'],
    ['GET', '/v1/personal-connectors/admin/credentials/by-connection/ca_1?debug=1', 400, 'VALIDATION_ERROR'],
    ['GET', `/v1/personal-connectors/admin/credentials/by-connection/${'a'.repeat(129)}`, 400, 'VALIDATION_ERROR'],
  ])('%s %s -> %i %s', async (method, path, status, code) => {
    const response = await fetch(`${server.running.url}${path}`, { method, headers: { 'X-API-Key': KEYS.adminApi.key } });
    const body = (await response.json()) as ErrorEnvelope;
    expect(response.status).toBe(status);
    expect(body.success).toBe(false);
    expect(body.error.code).toBe(code);
    expect(body.error.status).toBe(status);
    expect(body.error.trace_id).toBe(response.headers.get('x-request-id'));
    expect(Number.isNaN(Date.parse(body.error.timestamp))).toBe(false);
    expect(aitronos.validateSchema('ErrorEnvelope', body).errors).toEqual([]);
  });

  it('names the allowed methods of a path in the Allow header of a 405', async () => {
    const base = '/v1/personal-connectors/admin/credentials';
    for (const [method, path, allow] of [
      ['POST', `${base}/by-connection/ca_1`, 'GET'],
      ['PUT', `${base}/tcred_0000000000000000abcd`, 'GET, DELETE'],
    ] as const) {
      const response = await fetch(`${server.running.url}${path}`, { method, headers: { 'X-API-Key': KEYS.adminApi.key } });
      expect(response.status).toBe(405);
      expect(response.headers.get('allow')?.split(', ').sort()).toEqual(allow.split(', ').sort());
    }
  });

  it('echoes a sane X-Request-Id and replaces an insane one', async () => {
    const sane = await fetch(`${server.running.url}/healthz`, { headers: { 'X-Request-Id': 'abc-123.x:y_z' } });
    expect(sane.headers.get('x-request-id')).toBe('abc-123.x:y_z');
    const insane = await fetch(`${server.running.url}/healthz`, { headers: { 'X-Request-Id': 'a b<script>' } });
    expect(insane.headers.get('x-request-id')).toMatch(/^req_[0-9a-f]{32}$/);
  });

  it('/healthz and /readyz answer without a key', async () => {
    expect((await fetch(`${server.running.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${server.running.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { config: 'ok', composio: 'ok', database: 'ok' } });
  });
});
