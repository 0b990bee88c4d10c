/**
 * Who may call what comes from the spec: each operation's `security` requirements (a key scheme,
 * the roles as its scopes) are read at start and enforced per operation; an operation without
 * roles stops the start; refusals are counted in metrics under the operation's route template.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectedAccount } from '@connector-credentials/types';
import { createSpecValidator, openapiBundlePath, startLoopbackServer, type LoopbackServer } from '@connector-credentials/testkit';
import { AccessDeclarationError, readOperationAccess } from '../src/access.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logging.js';
import { startServer } from '../src/server.js';
import { loadSpec } from '../src/specs.js';
import { answerAccounts, API_KEYS_JSON, KEYS, LogCapture, startTestServer, type TestServer } from './helpers.js';

const account = createSpecValidator(openapiBundlePath('composio'))
  .responseExamples()
  .find((e) => e.status === '200' && e.name === 'oauth2_active')!.value as ConnectedAccount;

let upstream: LoopbackServer;
beforeAll(async () => {
  upstream = await startLoopbackServer();
  // Every `ca_…` id is the same ACTIVE account under that id.
  answerAccounts(upstream, () => account);
});
afterAll(() => upstream?.close());

type Key = { header: string; key: string };
const API = '/v1/personal-connectors';

describe('the roles the spec declares', () => {
  it('every operation of the bundled spec declares its roles, as the scopes of one requirement per key scheme', () => {
    const table = Object.fromEntries(readOperationAccess(loadSpec('aitronos')).map((o) => [o.operationId, o.requiredRole]));
    expect(table).toEqual({
      registerCredential: 'admin',
      getAdminCredentials: 'admin',
      deleteCredential: 'admin',
      getAdminCredentialsByConnection: 'admin',
      listConnections: 'admin or connections',
      setConnectionActive: 'admin or connections',
    });
    for (const operation of readOperationAccess(loadSpec('aitronos'))) {
      expect(new Set(operation.requirements.map((r) => r.header))).toEqual(new Set(['X-API-Key', 'X-Flowplate-Key', 'X-Aitronos-Hub-Key']));
    }
  });

  it('names each operation that declares no roles, or declares them so no key can meet them', () => {
    const spec = loadSpec('aitronos') as { paths: Record<string, Record<string, Record<string, unknown>>> };
    const path = spec.paths[`${API}/connections/{tool_key}`]!;
    spec.paths[`${API}/admin/credentials`]!.get = { ...path.get, operationId: 'listCredentials', security: undefined };
    path.get!.security = [{ ApiKeyAuth: [] }];
    spec.paths[`${API}/admin/credentials/{credential_id}`]!.delete!.security = [{ ApiKeyAuth: ['admin'], HubKeyAuth: ['admin'] }];
    spec.paths[`${API}/connections/{credential_id}/active`]!.patch!.security = [{ NoSuchAuth: ['admin'] }];
    const error = (() => {
      try {
        readOperationAccess(spec);
      } catch (e) {
        return e as AccessDeclarationError;
      }
    })();
    expect(error).toBeInstanceOf(AccessDeclarationError);
    expect(error!.problems).toEqual([
      expect.stringMatching(/^listCredentials \(GET \/v1\/personal-connectors\/admin\/credentials\) declares no roles/),
      expect.stringMatching(/^deleteCredential \(DELETE .*\): each security requirement names exactly one key scheme/),
      expect.stringMatching(/^listConnections \(GET .*\) declares no roles for ApiKeyAuth/),
      expect.stringMatching(/^setConnectionActive \(PATCH .*\): security scheme NoSuchAuth is not an API key/),
    ]);
  });

  it('a server built from a spec with an operation without roles refuses to start, naming it', async () => {
    const spec = loadSpec('aitronos') as { paths: Record<string, Record<string, Record<string, unknown>>> };
    const { security: _security, ...unguarded } = spec.paths[`${API}/connections/{tool_key}`]!.get!;
    spec.paths[`${API}/admin/credentials`]!.get = { ...unguarded, operationId: 'listCredentials' };
    const config = loadConfig({ NODE_ENV: 'test', PORT: '0', COMPOSIO_BASE_URL: upstream.url, API_KEYS: API_KEYS_JSON, DATA_DIR: 'memory://' });
    const logs = new LogCapture();
    await expect(startServer(config, { logger: createLogger('info', logs), spec })).rejects.toThrow(
      /who may call every operation:\n {2}- listCredentials \(GET \/v1\/personal-connectors\/admin\/credentials\) declares no roles/,
    );
    expect(logs.text).not.toContain('listening');
  });
});

describe('roles enforced per operation', () => {
  let server: TestServer;
  let credentialId: string;
  let serial = 0;
  const connection = () => `ca_roles_${(serial += 1)}`;
  beforeAll(async () => {
    server = await startTestServer({ composioBaseUrl: upstream.url });
    credentialId = (await server.admin.registerCredential({ connection_id: connection(), organization_id: 'org_roles' })).id;
  });
  afterAll(() => server?.close());

  const call = (key: Key | undefined, method: string, path: string, body?: unknown) =>
    fetch(`${server.running.url}${API}${path}`, {
      method,
      headers: { ...(key && { [key.header]: key.key }), ...(body !== undefined && { 'Content-Type': 'application/json' }) },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
  // One call per operation of the spec; a new operation without a call here fails the first test.
  const calls = () => ({
    registerCredential: ['POST', '/admin/credentials', { connection_id: connection(), organization_id: 'org_roles' }],
    getAdminCredentials: ['GET', `/admin/credentials/${credentialId}`],
    getAdminCredentialsByConnection: ['GET', '/admin/credentials/by-connection/ca_roles_0'],
    deleteCredential: ['DELETE', '/admin/credentials/tcred_0000000000000000unknown'],
    listConnections: ['GET', `/connections/${account.toolkit.slug}?organization_id=org_roles`],
    setConnectionActive: ['PATCH', `/connections/${credentialId}/active`, { is_active: true }],
  }) as Record<string, [string, string, unknown?]>;

  it('covers every operation of the spec', () => {
    expect(Object.keys(calls()).sort()).toEqual(readOperationAccess(loadSpec('aitronos')).map((o) => o.operationId).sort());
  });

  it('connections keys: 403 on credential reads and registry writes, 200 on the connection list and toggle', async () => {
    const statuses: Record<string, number> = {};
    for (const [operation, [method, path, body]] of Object.entries(calls())) statuses[operation] = (await call(KEYS.connectionsApi, method, path, body)).status;
    expect(statuses).toEqual({
      registerCredential: 403,
      getAdminCredentials: 403,
      getAdminCredentialsByConnection: 403,
      deleteCredential: 403,
      listConnections: 200,
      setConnectionActive: 200,
    });
    const refused = await call(KEYS.connectionsApi, 'GET', `/admin/credentials/${credentialId}`);
    expect((await refused.json()).error).toMatchObject({ code: 'INSUFFICIENT_PERMISSIONS', details: { required_role: 'admin' } });
  });

  it('keys without a role the spec names: 403 on every operation and on paths under the API that are no operation', async () => {
    for (const key of [KEYS.readerHub, KEYS.readerApi, KEYS.readerFlowplate]) {
      const statuses: Record<string, number> = {};
      for (const [operation, [method, path, body]] of Object.entries(calls())) statuses[operation] = (await call(key, method, path, body)).status;
      expect(Object.values(statuses)).toEqual(Object.values(statuses).map(() => 403));
      expect((await call(key, 'GET', '/no-such-operation')).status).toBe(403);
      expect((await call(key, 'PUT', `/admin/credentials/${credentialId}`)).status).toBe(403);
    }
    const body = await (await call(KEYS.readerHub, 'GET', '/no-such-operation')).json();
    expect(body.error).toMatchObject({ code: 'INSUFFICIENT_PERMISSIONS', details: { required_role: 'admin or connections' } });
  });

  it('admin keys of every kind: every operation; a path under the API that is no operation needs a key, then is 404', async () => {
    for (const key of [KEYS.adminApi, KEYS.adminFlowplate, KEYS.adminHub]) {
      const statuses: Record<string, number> = {};
      for (const [operation, [method, path, body]] of Object.entries(calls())) statuses[operation] = (await call(key, method, path, body)).status;
      expect(statuses).toEqual({
        registerCredential: 201,
        getAdminCredentials: 200,
        getAdminCredentialsByConnection: 200,
        deleteCredential: 404,
        listConnections: 200,
        setConnectionActive: 200,
      });
    }
    expect((await call(undefined, 'GET', '/no-such-operation')).status).toBe(401);
    expect((await call(KEYS.adminApi, 'GET', '/no-such-operation')).status).toBe(404);
    expect((await call(KEYS.connectionsApi, 'GET', '/no-such-operation')).status).toBe(404);
    expect((await call(KEYS.adminApi, 'PUT', `/admin/credentials/${credentialId}`)).status).toBe(405);
  });
});

describe('refusals are counted under the operation', () => {
  let server: TestServer;
  beforeAll(async () => {
    // Six requests per address: the seventh of the test is refused by the per-address limit.
    server = await startTestServer({ composioBaseUrl: upstream.url, env: { RATE_LIMIT_PER_KEY: '2', RATE_LIMIT_PER_ADDRESS: '6' } });
  });
  afterAll(() => server?.close());

  const counts = async () => {
    const text = await (await fetch(`${server.running.url}/metrics`, { headers: { 'X-API-Key': KEYS.adminApi.key } })).text();
    const counted = new Map<string, number>();
    for (const [, route, method, status, value] of text.matchAll(/^http_requests_total\{route="([^"]*)",method="(\w+)",status="(\d+)"\} (\d+)$/gm)) {
      counted.set(`${method} ${route} ${status}`, Number(value));
    }
    return counted;
  };

  it('401, 403, 429 (per key and per address) and 400 under the route template; unknown paths stay unmatched', async () => {
    const url = (path: string) => `${server.running.url}${API}${path}`;
    const hub = { 'X-Aitronos-Hub-Key': KEYS.adminHub.key };
    expect((await fetch(url('/admin/credentials/tcred_7Hq2LmX9pR4vN8sK3dWz'))).status).toBe(401);
    expect((await fetch(url('/admin/credentials/tcred_7Hq2LmX9pR4vN8sK3dWz'), { headers: { 'X-API-Key': KEYS.connectionsApi.key } })).status).toBe(403);
    expect((await fetch(url('/admin/credentials/bad%20id'), { headers: hub })).status).toBe(400);
    expect((await fetch(url('/admin/credentials/by-connection/bad%20id'), { headers: hub })).status).toBe(400);
    expect((await fetch(url('/admin/credentials/by-connection/bad%20id'), { headers: hub })).status).toBe(429);
    expect((await fetch(`${server.running.url}/no/such/path`)).status).toBe(404);
    const limited = await fetch(url('/admin/credentials/tcred_7Hq2LmX9pR4vN8sK3dWz'));
    expect(limited.status).toBe(429);
    expect(limited.headers.get('ratelimit')).toMatch(/"per-address"/);

    const counted = await counts();
    expect(counted.get(`GET ${API}/admin/credentials/:credential_id 401`)).toBe(1);
    expect(counted.get(`GET ${API}/admin/credentials/:credential_id 403`)).toBe(1);
    expect(counted.get(`GET ${API}/admin/credentials/:credential_id 400`)).toBe(1);
    expect(counted.get(`GET ${API}/admin/credentials/:credential_id 429`)).toBe(1);
    expect(counted.get(`GET ${API}/admin/credentials/by-connection/:connection_id 400`)).toBe(1);
    expect(counted.get(`GET ${API}/admin/credentials/by-connection/:connection_id 429`)).toBe(1);
    expect(counted.get('GET unmatched 404')).toBe(1);
    expect([...counted.keys()].filter((k) => k.startsWith('GET unmatched') && !k.endsWith(' 404'))).toEqual([]);
  });
});
