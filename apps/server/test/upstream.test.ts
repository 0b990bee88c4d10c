/**
 * What reaches the caller when Composio misbehaves, against a real HTTP stand-in on loopback:
 * documented status and code in the envelope, within the configured timeout, nothing echoed.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ErrorEnvelope } from '@connector-credentials/client';
import { createSpecValidator, openapiBundlePath, startLoopbackServer, type LoopbackServer } from '@connector-credentials/testkit';
import { COMPOSIO_TEST_KEY, KEYS, startTestServer, type TestServer } from './helpers.js';

const aitronos = createSpecValidator(openapiBundlePath('aitronos'));
const composio = createSpecValidator(openapiBundlePath('composio'));
const account = composio.responseExamples().find((e) => e.name === 'oauth2_active' && e.status === '200')!.value;
const TIMEOUT_MS = 300;

let upstream: LoopbackServer;
let server: TestServer;
beforeAll(async () => {
  upstream = await startLoopbackServer();
  server = await startTestServer({ composioBaseUrl: upstream.url, env: { COMPOSIO_TIMEOUT_MS: String(TIMEOUT_MS), UPSTREAM_RETRY_AFTER_SECONDS: '17' } });
});
afterAll(async () => {
  await server.close();
  await upstream.close();
});
beforeEach(() => {
  upstream.requests.length = 0;
});

async function get(id = 'ca_Xo9ADr3cBz1p', headers: Record<string, string> = {}) {
  const response = await fetch(`${server.running.url}/v1/personal-connectors/admin/credentials/by-connection/${id}`, {
    headers: { 'X-API-Key': KEYS.adminApi.key, ...headers },
  });
  const text = await response.text();
  const body = JSON.parse(text) as ErrorEnvelope;
  expect(aitronos.validateResponse('get', '/v1/personal-connectors/admin/credentials/by-connection/{connection_id}', response.status, body).errors).toEqual([]);
  return { response, body, text };
}

describe('Composio misbehaving', () => {
  it.each([
    ['a 500', (res: import('node:http').ServerResponse) => res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":{"message":"secret-upstream-detail","code":1,"status":500}}'), 502, 'UPSTREAM_ERROR'],
    ['an HTML error page', (res: import('node:http').ServerResponse) => res.writeHead(502, { 'content-type': 'text/html' }).end('<h1>secret-upstream-detail</h1>'), 502, 'UPSTREAM_ERROR'],
    ['non-JSON with status 200', (res: import('node:http').ServerResponse) => res.writeHead(200, { 'content-type': 'application/json' }).end('secret-upstream-detail'), 502, 'UPSTREAM_ERROR'],
    ['JSON that breaks the Composio spec', (res: import('node:http').ServerResponse) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 'secret-upstream-detail' })), 502, 'UPSTREAM_ERROR'],
    ['a 429 without Retry-After', (res: import('node:http').ServerResponse) => res.writeHead(429).end(), 503, 'UPSTREAM_UNAVAILABLE'],
    ['a 401 (our key is wrong)', (res: import('node:http').ServerResponse) => res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":{"message":"secret-upstream-detail","code":1,"status":401}}'), 502, 'UPSTREAM_AUTH_ERROR'],
    ['a 404', (res: import('node:http').ServerResponse) => res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"secret-upstream-detail","code":1,"status":404}}'), 404, 'CONNECTION_NOT_FOUND'],
  ] as const)('%s -> %i %s, no upstream body echoed', async (_label, behave, status, code) => {
    upstream.handle((_req, res) => behave(res));
    const { response, body, text } = await get();
    expect(response.status).toBe(status);
    expect(body.error.code).toBe(code);
    expect(text).not.toContain('secret-upstream-detail');
    if (status === 503) expect(response.headers.get('retry-after')).toBe('17');
  });

  it('a 429 with Retry-After passes the wait on', async () => {
    upstream.handle((_req, res) => res.writeHead(429, { 'retry-after': '120' }).end());
    const { response, body } = await get();
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('120');
    expect(body.error.details).toMatchObject({ retry_after_seconds: 120, upstream_status: 429 });
  });

  it('no answer -> 504 UPSTREAM_TIMEOUT within the configured timeout', async () => {
    upstream.handle(() => undefined);
    // The deadline's own figure is in the answer; how long the machine took is not the test's business.
    const { response, body } = await get();
    expect(response.status).toBe(504);
    expect(body.error.code).toBe('UPSTREAM_TIMEOUT');
    expect(body.error.details).toEqual({ timeout_ms: TIMEOUT_MS });
  });

  it('a connection reset -> 502 UPSTREAM_ERROR', async () => {
    upstream.handle((req) => req.socket.destroy());
    const { response, body } = await get();
    expect(response.status).toBe(502);
    expect(body.error.code).toBe('UPSTREAM_ERROR');
  });

  it('the server stays healthy afterwards', async () => {
    upstream.handle((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(account)));
    expect((await fetch(`${server.running.url}/healthz`)).status).toBe(200);
    expect((await get()).response.status).toBe(200);
  });
});

describe('what the server sends Composio', () => {
  it('forwards the request id, sends its key as x-api-key, and never the caller key', async () => {
    upstream.handle((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(account)));
    const { response } = await get('ca_Xo9ADr3cBz1p', { 'X-Request-Id': 'trace-forwarded-1' });
    expect(response.headers.get('x-request-id')).toBe('trace-forwarded-1');
    const sent = upstream.requests.at(-1)!;
    expect(sent.url).toBe('/api/v3/connected_accounts/ca_Xo9ADr3cBz1p');
    expect(sent.headers['x-request-id']).toBe('trace-forwarded-1');
    expect(sent.headers['x-api-key']).toBe(COMPOSIO_TEST_KEY);
    expect(JSON.stringify(sent.headers)).not.toContain(KEYS.adminApi.key);
  });

  it('a generated request id is forwarded too', async () => {
    upstream.handle((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(account)));
    const { response } = await get();
    expect(upstream.requests.at(-1)!.headers['x-request-id']).toBe(response.headers.get('x-request-id'));
  });

  it('readiness reports Composio refusing our key', async () => {
    upstream.handle((_req, res) => res.writeHead(401).end());
    const fresh = await startTestServer({ composioBaseUrl: upstream.url });
    try {
      const ready = await fetch(`${fresh.running.url}/readyz`);
      expect(ready.status).toBe(503);
      const body = (await ready.json()) as ErrorEnvelope;
      expect(body.error.code).toBe('UPSTREAM_UNAVAILABLE');
      expect(body.error.details).toEqual({ checks: { config: 'ok', composio: 'rejects_key', database: 'ok' } });
    } finally {
      await fresh.close();
    }
  });
});
