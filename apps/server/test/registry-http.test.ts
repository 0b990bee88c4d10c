/**
 * The registry over HTTP, on PGlite and on a real PostgreSQL: register, read by credential id and
 * by connection id, list, turn off, delete; conflicts, unknown connections, roles; bad request
 * bodies of every kind get a 4xx in the envelope; a warm read by credential id makes no query.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectedAccount } from '@connector-credentials/types';
import { createSpecValidator, openapiBundlePath, startLoopbackServer, startPostgres, type LoopbackServer, type PostgresServer } from '@connector-credentials/testkit';
import { answerAccounts, KEYS, startTestServer, type TestServer } from './helpers.js';

const examples = new Map(
  createSpecValidator(openapiBundlePath('composio'))
    .responseExamples()
    .filter((e) => e.status === '200')
    .map((e) => [e.name, e.value as ConnectedAccount]),
);
const aitronos = createSpecValidator(openapiBundlePath('aitronos'));

let upstream: LoopbackServer;
let postgres: PostgresServer;
beforeAll(async () => {
  [upstream, postgres] = await Promise.all([startLoopbackServer(), startPostgres()]);
  // `ca_<example>_<n>` is the Composio example <example> under that id; anything else is a 404.
  answerAccounts(upstream, (id) => {
    const name = /^ca_(\w+?)_\d+$/.exec(id)?.[1];
    return name ? examples.get(name) : undefined;
  });
});
afterAll(async () => {
  await upstream?.close();
  await postgres?.stop();
});

const backends: [string, () => Record<string, string>][] = [
  ['PGlite', () => ({})],
  ['PostgreSQL', () => ({ DATABASE_URL: postgres.url })],
];

let serial = 0;
const connection = (example = 'oauth2_active') => `ca_${example}_${(serial += 1)}`;

describe.each(backends)('the registry over HTTP on %s', (_name, env) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ composioBaseUrl: upstream.url, env: { ...env(), CACHE_TTL_MS: '30000' } });
  });
  afterAll(async () => {
    await server?.close();
  });

  const call = (method: string, path: string, options: { body?: unknown; raw?: string; type?: string; key?: { header: string; key: string } } = {}) => {
    const key = options.key ?? KEYS.adminApi;
    const headers: Record<string, string> = { [key.header]: key.key };
    let body: string | undefined;
    if (options.raw !== undefined || options.body !== undefined) {
      headers['Content-Type'] = options.type ?? 'application/json';
      body = options.raw ?? JSON.stringify(options.body);
    }
    return fetch(`${server.running.url}/v1/personal-connectors${path}`, { method, headers, body });
  };
  const json = async (response: Response) => ({ status: response.status, headers: response.headers, body: response.status === 204 ? undefined : await response.json() });
  const operations = {
    registerCredential: ['post', '/v1/personal-connectors/admin/credentials'],
    getAdminCredentials: ['get', '/v1/personal-connectors/admin/credentials/{credential_id}'],
    listConnections: ['get', '/v1/personal-connectors/connections/{tool_key}'],
  } as const;
  const expectValid = (operation: keyof typeof operations, status: number, body: unknown) => {
    const [method, path] = operations[operation];
    expect(aitronos.validateResponse(method, path, status, body).errors).toEqual([]);
  };

  it('registers a connection, reads it by credential id and by connection id, lists, turns it off and deletes it', async () => {
    const connectionId = connection();
    const created = await json(await call('POST', '/admin/credentials', { body: { connection_id: connectionId, organization_id: 'org_a', credential_name: 'Work Drive' } }));
    expect(created.status).toBe(201);
    expectValid('registerCredential', 201, created.body);
    const id = created.body.id as string;
    expect(id).toMatch(/^tcred_[A-Za-z0-9_-]{16,}$/);
    expect(created.headers.get('location')).toBe(`/v1/personal-connectors/admin/credentials/${id}`);
    expect(created.body).toMatchObject({ connection_id: connectionId, tool_key: 'googledrive', organization_id: 'org_a', credential_name: 'Work Drive', display_name: 'Work Drive', account_email: 'ada.lovelace@example.com', is_active: true });

    const byId = await json(await call('GET', `/admin/credentials/${id}`));
    expect(byId.status).toBe(200);
    expectValid('getAdminCredentials', 200, byId.body);
    expect(byId.body).toMatchObject({ credential_id: id, connection_id: connectionId, status: 'ACTIVE', is_disabled: false });
    expect(byId.body.credentials.access_token).toBeTruthy();
    const byConnection = await json(await call('GET', `/admin/credentials/by-connection/${connectionId}`));
    expect(byConnection.body).toEqual(byId.body);

    const list = await json(await call('GET', `/connections/googledrive?organization_id=org_a`));
    expect(list.status).toBe(200);
    expectValid('listConnections', 200, list.body);
    expect(list.body.tool_key).toBe('googledrive');
    expect(list.body.connections).toContainEqual({ id, tool_key: 'googledrive', display_name: 'Work Drive', credential_name: 'Work Drive', account_email: 'ada.lovelace@example.com', connection_id: connectionId, is_active: true, created_at: created.body.created_at });
    expect((await json(await call('GET', `/connections/googledrive?organization_id=org_b`))).body.connections).toEqual([]);

    const off = await json(await call('PATCH', `/connections/${id}/active`, { body: { is_active: false } }));
    expect(off).toMatchObject({ status: 200, body: { id, is_active: false } });
    expect((await json(await call('GET', `/admin/credentials/${id}`))).body).toMatchObject({ credential_id: id, is_disabled: true });
    expect((await json(await call('GET', `/admin/credentials/by-connection/${connectionId}`))).body.is_disabled).toBe(true);
    expect((await json(await call('GET', `/connections/googledrive?organization_id=org_a`))).body.connections.find((c: { id: string }) => c.id === id).is_active).toBe(false);
    expect((await json(await call('PATCH', `/connections/${id}/active`, { body: { is_active: true } }))).body.is_active).toBe(true);
    expect((await json(await call('GET', `/admin/credentials/${id}`))).body.is_disabled).toBe(false);

    expect((await call('DELETE', `/admin/credentials/${id}`)).status).toBe(204);
    const gone = await json(await call('GET', `/admin/credentials/${id}`));
    expect(gone).toMatchObject({ status: 404, body: { success: false, error: { code: 'CREDENTIAL_NOT_FOUND', status: 404 } } });
    expectValid('getAdminCredentials', 404, gone.body);
    expect((await json(await call('GET', `/admin/credentials/by-connection/${connectionId}`))).body.credential_id).toBeNull();
    expect((await json(await call('DELETE', `/admin/credentials/${id}`))).body.error.code).toBe('CREDENTIAL_NOT_FOUND');
    expect((await json(await call('PATCH', `/connections/${id}/active`, { body: { is_active: true } }))).body.error.code).toBe('CREDENTIAL_NOT_FOUND');
  });

  it('registers a connection once: the second registration is 409 naming the first', async () => {
    const connectionId = connection('api_key');
    const first = await json(await call('POST', '/admin/credentials', { body: { connection_id: connectionId, organization_id: 'org_a' } }));
    expect(first.status).toBe(201);
    const second = await json(await call('POST', '/admin/credentials', { body: { connection_id: connectionId, organization_id: 'org_b' } }));
    expect(second.status).toBe(409);
    expectValid('registerCredential', 409, second.body);
    expect(second.body.error).toMatchObject({ code: 'CREDENTIAL_ALREADY_REGISTERED', details: { credential_id: first.body.id, connection_id: connectionId } });
  });

  it('refuses connections Composio does not have, and unknown credential ids', async () => {
    const unknown = await json(await call('POST', '/admin/credentials', { body: { connection_id: 'ca_nothing_here', organization_id: 'org_a' } }));
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('CONNECTION_NOT_FOUND');
    expect((await json(await call('GET', '/admin/credentials/by-connection/ca_nothing_here'))).body.error.code).toBe('CONNECTION_NOT_FOUND');
    expect((await json(await call('GET', '/admin/credentials/tcred_0000000000000000unknown'))).body.error.code).toBe('CREDENTIAL_NOT_FOUND');
  });

  it('answers every kind of bad input with a 4xx in the envelope', async () => {
    const cases: [string, string, Parameters<typeof call>[2], number, string][] = [
      ['POST', '/admin/credentials', { raw: '{"connection_id": "ca_x",' }, 400, 'VALIDATION_ERROR'],
      ['POST', '/admin/credentials', { raw: 'null' }, 400, 'VALIDATION_ERROR'],
      ['POST', '/admin/credentials', { raw: '[]' }, 400, 'VALIDATION_ERROR'],
      ['POST', '/admin/credentials', { body: { connection_id: 'ca_oauth2_active_1' } }, 400, 'VALIDATION_ERROR'],
      ['POST', '/admin/credentials', { body: { connection_id: 'ca_oauth2_active_1', organization_id: 'org_a', admin: true } }, 400, 'VALIDATION_ERROR'],
      ['POST', '/admin/credentials', { body: { connection_id: 'ca/../etc', organization_id: 'org_a' } }, 400, 'VALIDATION_ERROR'],
      ['POST', '/admin/credentials', { body: { connection_id: 'ca_x', organization_id: 'org a' } }, 400, 'VALIDATION_ERROR'],
      ['POST', '/admin/credentials', { body: { connection_id: 'ca_x', organization_id: 'org_a', credential_name: '' } }, 400, 'VALIDATION_ERROR'],
      ['POST', '/admin/credentials', { body: { connection_id: 'ca_oauth2_active_1', organization_id: 'org_a', credential_name: 'a\u0000b' } }, 400, 'VALIDATION_ERROR'],
      ['POST', '/admin/credentials', { raw: 'connection_id=ca_x', type: 'application/x-www-form-urlencoded' }, 415, 'UNSUPPORTED_MEDIA_TYPE'],
      ['POST', '/admin/credentials', { raw: '{"connection_id":"ca_x","organization_id":"org_a"}', type: 'text/plain' }, 415, 'UNSUPPORTED_MEDIA_TYPE'],
      ['POST', '/admin/credentials', { body: { connection_id: 'ca_x', organization_id: 'org_a', credential_name: 'x'.repeat(2_000) } }, 413, 'PAYLOAD_TOO_LARGE'],
      ['POST', '/admin/credentials', {}, 415, 'UNSUPPORTED_MEDIA_TYPE'],
      ['PATCH', '/connections/tcred_0000000000000000unknown/active', { body: { is_active: 'yes' } }, 400, 'VALIDATION_ERROR'],
      ['PATCH', '/connections/tcred_0000000000000000unknown/active', { body: {} }, 400, 'VALIDATION_ERROR'],
      ['PATCH', '/connections/ca_not_a_credential/active', { body: { is_active: true } }, 400, 'VALIDATION_ERROR'],
      ['DELETE', '/admin/credentials/ca_not_a_credential', {}, 400, 'VALIDATION_ERROR'],
      ['GET', '/admin/credentials/tcred_short', {}, 400, 'VALIDATION_ERROR'],
      ['GET', '/connections/googledrive', {}, 400, 'VALIDATION_ERROR'],
      ['GET', '/connections/Google Drive?organization_id=org_a', {}, 400, 'VALIDATION_ERROR'],
    ];
    for (const [method, path, options, status, code] of cases) {
      const response = await json(await call(method, path, options));
      expect({ method, path, status: response.status, code: response.body?.error?.code }).toEqual({ method, path, status, code });
      expect(response.body.success).toBe(false);
      expect(response.body.error.trace_id).toBe(response.headers.get('x-request-id'));
    }
  });

  it('lets admin keys administer the registry, and admin or connections keys list and toggle', async () => {
    const connectionId = connection('basic');
    const created = await json(await call('POST', '/admin/credentials', { body: { connection_id: connectionId, organization_id: 'org_r' } }));
    const id = created.body.id as string;
    const reader = KEYS.readerApi;
    const connections = KEYS.connectionsApi;
    expect((await call('POST', '/admin/credentials', { body: { connection_id: connection(), organization_id: 'org_r' }, key: connections })).status).toBe(403);
    expect((await call('DELETE', `/admin/credentials/${id}`, { key: connections })).status).toBe(403);
    expect((await call('GET', `/admin/credentials/${id}`, { key: connections })).status).toBe(403);
    expect((await call('GET', '/connections/basic_tool?organization_id=org_r', { key: reader })).status).toBe(403);
    expect((await call('PATCH', `/connections/${id}/active`, { body: { is_active: false }, key: reader })).status).toBe(403);
    expect((await call('GET', `/connections/${created.body.tool_key}?organization_id=org_r`, { key: connections })).status).toBe(200);
    expect((await call('PATCH', `/connections/${id}/active`, { body: { is_active: false }, key: connections })).status).toBe(200);
    const anonymous = await fetch(`${server.running.url}/v1/personal-connectors/admin/credentials`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
    expect(anonymous.status).toBe(401);
    expect((await anonymous.json()).error.code).toBe('AUTHENTICATION_REQUIRED');
  });

  it('reads a warm credential id without a database query', async () => {
    const created = await json(await call('POST', '/admin/credentials', { body: { connection_id: connection(), organization_id: 'org_w' } }));
    const id = created.body.id as string;
    const queries = async () => {
      const text = await (await fetch(`${server.running.url}/metrics`, { headers: { 'X-API-Key': KEYS.adminApi.key } })).text();
      return Number(/^registry_queries_total (\d+)/m.exec(text)?.[1]);
    };
    expect((await call('GET', `/admin/credentials/${id}`)).status).toBe(200);
    const before = await queries();
    expect(before).toBeGreaterThan(0);
    for (let i = 0; i < 20; i += 1) expect((await call('GET', `/admin/credentials/${id}`)).status).toBe(200);
    expect(await queries()).toBe(before);
  });
});
