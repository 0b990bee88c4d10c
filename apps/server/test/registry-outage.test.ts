/**
 * A database outage under running servers, on a real PostgreSQL that the test stops and starts
 * again on the same data (and, for a second instance, a proxy it cuts): warm registry entries
 * keep answering, marked, within REGISTRY_STALE_MAX_MS and not after it; everything else answers
 * 503 DATABASE_UNAVAILABLE with Retry-After; /readyz and the metrics say why; once the database
 * is back everything works without a restart, and what was kept meanwhile is forgotten. Time is
 * the registry's clock, which the test moves; nothing here depends on the machine's speed.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ConnectedAccount } from '@connector-credentials/types';
import { createSpecValidator, openapiBundlePath, startLoopbackServer, startPostgres, startTcpProxy, type LoopbackServer, type PostgresServer, type TcpProxy } from '@connector-credentials/testkit';
import { answerAccounts, KEYS, startTestServer, type TestServer } from './helpers.js';

const account = createSpecValidator(openapiBundlePath('composio'))
  .responseExamples()
  .find((e) => e.status === '200' && e.name === 'oauth2_active')!.value as ConnectedAccount;
const aitronos = createSpecValidator(openapiBundlePath('aitronos'));

const STALE_MAX_MS = 60_000;
const RETRY_AFTER = '7';
/** Generous: only a guard against a hang while a listener notices a loss or reconnects. */
const UNTIL = { timeout: 30_000, interval: 100 };

let upstream: LoopbackServer;
let postgres: PostgresServer;
beforeAll(async () => {
  [upstream, postgres] = await Promise.all([startLoopbackServer(), startPostgres()]);
  // Every connection id is an active OAuth2 account: Composio is never the trouble here.
  answerAccounts(upstream, () => account);
});
afterAll(async () => {
  await upstream?.close();
  await postgres?.stop();
});

let serial = 0;
const newConnection = () => `ca_outage_${(serial += 1)}`;

/** A server on `databaseUrl` whose registry clock the test moves. */
async function startInstance(databaseUrl: string) {
  let now = Date.UTC(2026, 10, 28);
  const server = await startTestServer({
    composioBaseUrl: upstream.url,
    env: { DATABASE_URL: databaseUrl, REGISTRY_STALE_MAX_MS: String(STALE_MAX_MS), DATABASE_RETRY_AFTER_SECONDS: RETRY_AFTER, DATABASE_CONNECT_TIMEOUT_MS: '10000' },
    registryClock: () => now,
  });
  const call = async (method: string, path: string, body?: unknown) => {
    const url = `${server.running.url}${path === '/readyz' || path === '/metrics' ? path : `/v1/personal-connectors${path}`}`;
    const response = await fetch(url, {
      method,
      headers: { [KEYS.adminApi.header]: KEYS.adminApi.key, ...(body !== undefined && { 'Content-Type': 'application/json' }) },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text && response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text };
  };
  const metric = async (name: string) => Number(new RegExp(`^${name} (\\S+)`, 'm').exec((await call('GET', '/metrics')).body)?.[1]);
  return {
    server,
    call,
    metric,
    advance: (ms: number) => (now += ms),
    register: async (organization = 'org_outage') => {
      const connectionId = newConnection();
      const created = await call('POST', '/admin/credentials', { connection_id: connectionId, organization_id: organization });
      expect(created.status).toBe(201);
      return { id: created.body.id as string, connectionId };
    },
  };
}
type Instance = Awaited<ReturnType<typeof startInstance>>;

const operations = {
  registerCredential: ['post', '/v1/personal-connectors/admin/credentials'],
  getAdminCredentials: ['get', '/v1/personal-connectors/admin/credentials/{credential_id}'],
  getAdminCredentialsByConnection: ['get', '/v1/personal-connectors/admin/credentials/by-connection/{connection_id}'],
  deleteCredential: ['delete', '/v1/personal-connectors/admin/credentials/{credential_id}'],
  listConnections: ['get', '/v1/personal-connectors/connections/{tool_key}'],
  setConnectionActive: ['patch', '/v1/personal-connectors/connections/{credential_id}/active'],
} as const;

/** A 503 DATABASE_UNAVAILABLE in the envelope, with Retry-After, valid under the operation's spec. */
function expectUnavailable(operation: keyof typeof operations, response: Awaited<ReturnType<Instance['call']>>) {
  expect({ status: response.status, code: response.body?.error?.code, retryAfter: response.headers.get('retry-after') }).toEqual({
    status: 503,
    code: 'DATABASE_UNAVAILABLE',
    retryAfter: RETRY_AFTER,
  });
  expect(response.body.error).toMatchObject({ type: 'server_error', details: { retry_after_seconds: Number(RETRY_AFTER) } });
  expect(response.body.error.trace_id).toBe(response.headers.get('x-request-id'));
  const [method, path] = operations[operation];
  expect(aitronos.validateResponse(method, path, 503, response.body).errors).toEqual([]);
}

describe('PostgreSQL stopped under a running server', () => {
  let a: Instance;
  beforeAll(async () => {
    a = await startInstance(postgres.url);
  });
  afterAll(async () => {
    await a?.server.close();
    await postgres.restart();
  });

  it('serves warm entries, marked, within the window and 503 after it; 503 for everything else; recovers without a restart', async () => {
    const warm = await a.register();
    const cold = await a.register();
    // An id no credential has, looked up once: the server remembers it is not registered.
    const unknown = 'tcred_NotRegistered0000000000';
    expect((await a.call('GET', `/admin/credentials/${unknown}`)).status).toBe(404);
    for (let i = 0; i < 2; i += 1) {
      const read = await a.call('GET', `/admin/credentials/${warm.id}`);
      expect(read.status).toBe(200);
      expect(read.headers.get('x-registry-stale')).toBeNull();
      expect((await a.call('GET', `/admin/credentials/by-connection/${warm.connectionId}`)).status).toBe(200);
    }
    expect(await a.metric('registry_database_up')).toBe(1);

    await postgres.halt();

    // Once the server has noticed the loss, warm reads answer from memory, marked.
    await vi.waitFor(async () => expect((await a.call('GET', `/admin/credentials/${warm.id}`)).headers.get('x-registry-stale')).toBe('DATABASE_UNAVAILABLE'), UNTIL);
    const counted = await a.metric('registry_unverified_lookups_total');
    const stale = await a.call('GET', `/admin/credentials/${warm.id}`);
    expect(stale.status).toBe(200);
    expect(stale.headers.get('x-registry-stale')).toBe('DATABASE_UNAVAILABLE');
    expect(stale.body).toMatchObject({ credential_id: warm.id, connection_id: warm.connectionId, is_disabled: false });
    expect(aitronos.validateResponse(...operations.getAdminCredentials, 200, stale.body).errors).toEqual([]);
    expect(await a.metric('registry_unverified_lookups_total')).toBe(counted + 1);
    const byConnection = await a.call('GET', `/admin/credentials/by-connection/${warm.connectionId}`);
    expect({ status: byConnection.status, marker: byConnection.headers.get('x-registry-stale'), id: byConnection.body.credential_id }).toEqual({ status: 200, marker: 'DATABASE_UNAVAILABLE', id: warm.id });
    const logged = a.server.logs.records().find((r) => r.audit && r.credential_id === warm.id && r.registry === 'unverified');
    expect(logged).toBeDefined();
    // What is remembered of an id no credential has is answered too: 404, marked.
    const notRegistered = await a.call('GET', `/admin/credentials/${unknown}`);
    expect({ status: notRegistered.status, marker: notRegistered.headers.get('x-registry-stale') }).toEqual({ status: 404, marker: 'DATABASE_UNAVAILABLE' });
    expect(aitronos.validateResponse(...operations.getAdminCredentials, 404, notRegistered.body).errors).toEqual([]);

    // Anything not held in memory, and every change, needs the database: 503 at once.
    expectUnavailable('getAdminCredentials', await a.call('GET', `/admin/credentials/${cold.id}`));
    expectUnavailable('getAdminCredentialsByConnection', await a.call('GET', `/admin/credentials/by-connection/${cold.connectionId}`));
    expectUnavailable('registerCredential', await a.call('POST', '/admin/credentials', { connection_id: newConnection(), organization_id: 'org_outage' }));
    expectUnavailable('deleteCredential', await a.call('DELETE', `/admin/credentials/${warm.id}`));
    expectUnavailable('setConnectionActive', await a.call('PATCH', `/connections/${warm.id}/active`, { is_active: false }));
    expectUnavailable('listConnections', await a.call('GET', '/connections/googledrive?organization_id=org_outage'));

    // /readyz and the metrics say why.
    const readiness = await a.call('GET', '/readyz');
    expect(readiness.status).toBe(503);
    expect(readiness.body.error.code).toBe('DATABASE_UNAVAILABLE');
    expect(readiness.body.error.details.checks).toMatchObject({ database: 'down', registry_cache: 'unverified' });
    expect(readiness.body.error.system_message).toContain('database down');
    expect(await a.metric('registry_database_up')).toBe(0);

    // Within the window, to its last millisecond; past it, the warm entry is no longer served.
    a.advance(STALE_MAX_MS - 1);
    expect((await a.call('GET', `/admin/credentials/${warm.id}`)).status).toBe(200);
    a.advance(2);
    expectUnavailable('getAdminCredentials', await a.call('GET', `/admin/credentials/${warm.id}`));
    expectUnavailable('getAdminCredentialsByConnection', await a.call('GET', `/admin/credentials/by-connection/${warm.connectionId}`));
    expect(a.server.logs.text).not.toContain('INTERNAL_ERROR');

    await postgres.restart();

    // Writes work again, with no restart of the server…
    let registered: { status: number; body: { id?: string } } = { status: 0, body: {} };
    await vi.waitFor(async () => {
      registered = await a.call('POST', '/admin/credentials', { connection_id: newConnection(), organization_id: 'org_outage' });
      expect(registered.status).toBe(201);
    }, UNTIL);
    // …and once the listener is back, what was kept is forgotten: the next read asks the database,
    // unmarked, and the one after it is warm again.
    await vi.waitFor(async () => {
      const ready = await a.call('GET', '/readyz');
      expect({ status: ready.status, checks: ready.body.checks }).toMatchObject({ status: 200, checks: { database: 'ok' } });
      expect(ready.body.checks.registry_cache).toBeUndefined();
    }, UNTIL);
    expect(await a.metric('registry_database_up')).toBe(1);
    const queries = await a.metric('registry_queries_total');
    const fresh = await a.call('GET', `/admin/credentials/${warm.id}`);
    expect({ status: fresh.status, marker: fresh.headers.get('x-registry-stale'), id: fresh.body.credential_id }).toEqual({ status: 200, marker: null, id: warm.id });
    expect(await a.metric('registry_queries_total')).toBe(queries + 1);
    expect((await a.call('GET', `/admin/credentials/${warm.id}`)).status).toBe(200);
    expect(await a.metric('registry_queries_total')).toBe(queries + 1);
    expect((await a.call('GET', `/admin/credentials/${cold.id}`)).status).toBe(200);
    expect((await a.call('PATCH', `/connections/${warm.id}/active`, { is_active: false })).status).toBe(200);
    expect((await a.call('DELETE', `/admin/credentials/${registered.body.id}`)).status).toBe(204);
  });
});

describe('two instances, one of which loses the database', () => {
  let proxy: TcpProxy;
  let a: Instance;
  let b: Instance;
  beforeAll(async () => {
    proxy = await startTcpProxy(postgres.port);
    // a reaches PostgreSQL directly; b through the proxy the test cuts.
    [a, b] = await Promise.all([startInstance(postgres.url), startInstance(`postgres://postgres@127.0.0.1:${proxy.port}/postgres`)]);
  });
  afterAll(async () => {
    await Promise.all([a?.server.close(), b?.server.close()]);
    await proxy?.close();
  });

  it('a deactivation made by one while the other could not hear is seen by the other once its listener is back', async () => {
    const { id } = await a.register();
    expect((await b.call('GET', `/admin/credentials/${id}`)).body.is_disabled).toBe(false);

    proxy.cut();
    await vi.waitFor(async () => expect((await b.call('GET', `/admin/credentials/${id}`)).headers.get('x-registry-stale')).toBe('DATABASE_UNAVAILABLE'), UNTIL);

    expect((await a.call('PATCH', `/connections/${id}/active`, { is_active: false })).status).toBe(200);
    expect((await a.call('GET', `/admin/credentials/${id}`)).body.is_disabled).toBe(true);
    // The documented trade-off: within the window, b answers what it held, marked as such.
    const held = await b.call('GET', `/admin/credentials/${id}`);
    expect({ status: held.status, marker: held.headers.get('x-registry-stale'), disabled: held.body.is_disabled }).toEqual({ status: 200, marker: 'DATABASE_UNAVAILABLE', disabled: false });

    proxy.restore();
    await vi.waitFor(async () => expect((await b.call('GET', `/admin/credentials/${id}`)).headers.get('x-registry-stale')).toBeNull(), UNTIL);
    expect((await b.call('GET', `/admin/credentials/${id}`)).body).toMatchObject({ credential_id: id, is_disabled: true });
  });
});
