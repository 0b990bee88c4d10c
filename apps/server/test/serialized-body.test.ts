/**
 * In production settings (responses not validated by the server) a credentials read answers a
 * body serialized once per cache entry and registry entry: it is the same body `res.json` would
 * send, and it is made again when either entry changes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectedAccount } from '@connector-credentials/types';
import { createSpecValidator, openapiBundlePath, startLoopbackServer, type LoopbackServer } from '@connector-credentials/testkit';
import { mapConnectedAccount } from '../src/map-connected-account.js';
import { serializedBodyOf } from '../src/operations/read-credentials.js';
import type { CredentialEntry } from '../src/registry/registry.js';
import { KEYS, startTestServer, type TestServer } from './helpers.js';

const example = createSpecValidator(openapiBundlePath('composio'))
  .responseExamples()
  .find((e) => e.name === 'oauth2_active')!.value as ConnectedAccount;
const aitronos = createSpecValidator(openapiBundlePath('aitronos'));
const FIRST_TOKEN = 'ya29.first-token';
const SECOND_TOKEN = 'ya29.second-token';

let upstream: LoopbackServer;
let server: TestServer;
let token = FIRST_TOKEN;
beforeAll(async () => {
  upstream = await startLoopbackServer();
  upstream.handle((req, res) => {
    const id = decodeURIComponent(req.url!.split('/').pop()!.split('?')[0]!);
    // Issued now, so the credential lives long enough to be kept. A field outside ASCII makes the
    // body's length in bytes differ from its length in characters.
    const val = { ...example.state.val, access_token: token, workspace_label: 'Zoë’s Büro' };
    const account = { ...example, id, updated_at: new Date().toISOString(), state: { ...example.state, val } };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(account));
  });
  server = await startTestServer({ composioBaseUrl: upstream.url, env: { VALIDATE_RESPONSES: 'false', CACHE_TTL_MS: '600000' } });
});
afterAll(async () => {
  await server?.close();
  await upstream?.close();
});

const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
  fetch(`${server.running.url}/v1/personal-connectors${path}`, {
    method,
    headers: { 'X-API-Key': KEYS.adminApi.key, ...(body !== undefined && { 'Content-Type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

describe('the serialized credentials body', () => {
  it('is valid, kept while both entries are, and made again when the registry entry or the cache entry changes', async () => {
    const created = await call('POST', '/admin/credentials', { connection_id: 'ca_serialized_1', organization_id: 'org_a' });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const read = async (headers: Record<string, string> = {}) => {
      const response = await call('GET', `/admin/credentials/${id}`, undefined, headers);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(response.headers.get('cache-control')).toBe('no-store');
      const text = await response.text();
      expect(response.headers.get('content-length')).toBe(String(Buffer.byteLength(text)));
      const body = JSON.parse(text) as { credential_id: string; is_disabled: boolean; credentials: { access_token: string } };
      expect(aitronos.validateResponse('get', '/v1/personal-connectors/admin/credentials/{credential_id}', 200, body).errors).toEqual([]);
      return { text, body };
    };

    const first = await read();
    expect(first.body).toMatchObject({ credential_id: id, is_disabled: false, credentials: { access_token: FIRST_TOKEN }, extra_data: { workspace_label: 'Zoë’s Büro' } });
    upstream.requests.length = 0;
    expect((await read()).text).toBe(first.text);
    expect(upstream.requests).toHaveLength(0); // a cache hit

    // Turned off: the registry entry changes (and the kept credentials are dropped).
    expect((await call('PATCH', `/connections/${id}/active`, { is_active: false })).status).toBe(200);
    const off = await read();
    expect(off.body).toMatchObject({ is_disabled: true, credentials: { access_token: FIRST_TOKEN } });
    expect((await read()).text).toBe(off.text);
    upstream.requests.length = 0;

    // The cache entry changes (Composio read again), the registry entry does not: the body follows the new credentials.
    token = SECOND_TOKEN;
    expect((await read({ 'Cache-Control': 'no-cache' })).body).toMatchObject({ is_disabled: true, credentials: { access_token: SECOND_TOKEN } });
    expect(upstream.requests).toHaveLength(1);
    const kept = await read();
    expect(kept.body).toMatchObject({ is_disabled: true, credentials: { access_token: SECOND_TOKEN } });
    expect(upstream.requests).toHaveLength(1);

    // Turned on again: back to the vendor's flag.
    expect((await call('PATCH', `/connections/${id}/active`, { is_active: true })).status).toBe(200);
    expect((await read()).body).toMatchObject({ is_disabled: false, credentials: { access_token: SECOND_TOKEN } });
  });

  it('follows the registry entry alone: the same kept credentials under a new entry object give a new body', () => {
    const credentials = mapConnectedAccount({ ...example, updated_at: new Date().toISOString() });
    const entry = { id: 'tcred_7Hq2LmX9pR4vN8sK3dWz', connection_id: example.id, is_active: true } as CredentialEntry;
    const on = serializedBodyOf(entry, credentials);
    expect(JSON.parse(on.json)).toMatchObject({ credential_id: entry.id, is_disabled: false });
    expect(serializedBodyOf(entry, credentials)).toBe(on);
    expect(JSON.parse(serializedBodyOf({ ...entry, is_active: false }, credentials).json)).toMatchObject({ credential_id: entry.id, is_disabled: true });
    expect(JSON.parse(serializedBodyOf(undefined, credentials).json)).toMatchObject({ credential_id: null, is_disabled: false });
    // The same text res.json would send for the same body, and its length in bytes.
    const again = serializedBodyOf({ ...entry }, credentials);
    expect(again.json).toBe(JSON.stringify({ credential_id: entry.id, ...credentials, is_disabled: credentials.is_disabled }));
  });
});
