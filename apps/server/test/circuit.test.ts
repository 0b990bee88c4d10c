/** Fail fast while Composio is down: after repeated failures the server answers 503 at once until a probe succeeds. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ErrorEnvelope } from '@connector-credentials/client';
import { createGate, createSpecValidator, openapiBundlePath, startLoopbackServer, type LoopbackServer } from '@connector-credentials/testkit';
import { KEYS, startTestServer, type TestServer } from './helpers.js';

const account = JSON.stringify(createSpecValidator(openapiBundlePath('composio')).responseExamples().find((e) => e.name === 'api_key')!.value);
const HALF_OPEN_AFTER_MS = 700;

let upstream: LoopbackServer;
let server: TestServer;
beforeAll(async () => {
  upstream = await startLoopbackServer();
  server = await startTestServer({
    composioBaseUrl: upstream.url,
    // A deadline far beyond any wait in the test: were the open circuit to call Composio, the
    // read would hang on the held answer below until the test's own budget runs out.
    env: { BREAKER_THRESHOLD: '3', BREAKER_HALF_OPEN_AFTER_MS: String(HALF_OPEN_AFTER_MS), COMPOSIO_TIMEOUT_MS: '120000' },
  });
});
afterAll(async () => {
  await server.close();
  await upstream.close();
});

const get = async () => {
  const response = await fetch(`${server.running.url}/v1/personal-connectors/admin/credentials/by-connection/ca_Sg8kEy2Wq4Zt`, { headers: { 'X-API-Key': KEYS.adminApi.key } });
  return { response, body: (await response.json()) as ErrorEnvelope };
};
const readyz = async () => (await fetch(`${server.running.url}/readyz`)).status;

describe('circuit breaker towards Composio', () => {
  it('opens after 3 consecutive failures, then answers 503 without calling Composio', async () => {
    upstream.handle((_req, res) => res.writeHead(500).end());
    for (let i = 0; i < 3; i += 1) expect((await get()).response.status).toBe(502);
    // From now on Composio would never answer: only a read that does not call it can finish.
    const never = createGate();
    upstream.handle((_req, res) => void never.passed.then(() => res.writeHead(500).end()));
    const calls = upstream.requests.length;
    const { response, body } = await get();
    expect(response.status).toBe(503);
    expect(body.error.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(body.error.details).toMatchObject({ circuit: 'open' });
    expect(response.headers.get('retry-after')).toBe('1');
    expect(upstream.requests.length).toBe(calls);
  });

  it('/readyz reports it', async () => {
    expect(await readyz()).toBe(503);
  });

  it('lets a probe through after the pause; a success closes it again', async () => {
    upstream.handle((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(account));
    await new Promise((resolve) => setTimeout(resolve, HALF_OPEN_AFTER_MS + 100));
    expect((await get()).response.status).toBe(200);
    expect((await get()).response.status).toBe(200);
    expect(await readyz()).toBe(200);
  });

  it('does not count answers that say nothing of an outage: a 404, a refused key, one account we will not read', async () => {
    upstream.handle((_req, res) => res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"x","code":1,"status":404}}'));
    for (let i = 0; i < 5; i += 1) expect((await get()).response.status).toBe(404);
    // A refused key stays what it is, a 502 UPSTREAM_AUTH_ERROR, however often it happens.
    upstream.handle((_req, res) => res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":{"message":"x","code":1,"status":401}}'));
    for (let i = 0; i < 5; i += 1) expect((await get()).body.error.code).toBe('UPSTREAM_AUTH_ERROR');
    // One account's answer that is not the spec's shape, or not JSON, says nothing of Composio's health.
    for (const body of ['{"id":"ca_Sg8kEy2Wq4Zt"}', 'not json']) {
      upstream.handle((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(body));
      for (let i = 0; i < 5; i += 1) expect((await get()).body.error.code).toBe('UPSTREAM_ERROR');
    }
    const metrics = await (await fetch(`${server.running.url}/metrics`, { headers: { 'X-API-Key': KEYS.adminApi.key } })).text();
    expect(metrics).toMatch(/composio_circuit_state 0/);
    expect(metrics).toMatch(/composio_circuit_opened_total 1/);
  });
});
