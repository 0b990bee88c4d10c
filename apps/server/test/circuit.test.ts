/** Fail fast while Composio is down: after repeated failures the server answers 503 at once until a probe succeeds. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ErrorEnvelope } from '@connector-credentials/client';
import { createSpecValidator, openapiBundlePath, startLoopbackServer, type LoopbackServer } from '@connector-credentials/testkit';
import { KEYS, startTestServer, type TestServer } from './helpers.js';

const account = JSON.stringify(createSpecValidator(openapiBundlePath('composio')).responseExamples().find((e) => e.name === 'api_key')!.value);
const HALF_OPEN_AFTER_MS = 700;

let upstream: LoopbackServer;
let server: TestServer;
beforeAll(async () => {
  upstream = await startLoopbackServer();
  server = await startTestServer({
    composioBaseUrl: upstream.url,
    env: { BREAKER_THRESHOLD: '3', BREAKER_HALF_OPEN_AFTER_MS: String(HALF_OPEN_AFTER_MS), COMPOSIO_TIMEOUT_MS: '2000' },
  });
});
afterAll(async () => {
  await server.close();
  await upstream.close();
});

const get = async () => {
  const started = performance.now();
  const response = await fetch(`${server.running.url}/v1/personal-connectors/admin/credentials/by-connection/ca_Sg8kEy2Wq4Zt`, { headers: { 'X-API-Key': KEYS.adminApi.key } });
  return { response, body: (await response.json()) as ErrorEnvelope, elapsed: performance.now() - started };
};
const readyz = async () => (await fetch(`${server.running.url}/readyz`)).status;

describe('circuit breaker towards Composio', () => {
  it('opens after 3 consecutive failures, then answers 503 without calling Composio', async () => {
    upstream.handle((_req, res) => setTimeout(() => res.writeHead(500).end(), 150)); // failing, and slow
    for (let i = 0; i < 3; i += 1) expect((await get()).response.status).toBe(502);
    const calls = upstream.requests.length;
    const { response, body, elapsed } = await get();
    expect(response.status).toBe(503);
    expect(body.error.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(body.error.details).toMatchObject({ circuit: 'open' });
    expect(response.headers.get('retry-after')).toBe('1');
    expect(elapsed).toBeLessThan(100); // no waiting on the failing upstream
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

  it('does not count answers that say nothing of an outage (404)', async () => {
    upstream.handle((_req, res) => res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"x","code":1,"status":404}}'));
    for (let i = 0; i < 5; i += 1) expect((await get()).response.status).toBe(404);
    const metrics = await (await fetch(`${server.running.url}/metrics`, { headers: { 'X-API-Key': KEYS.adminApi.key } })).text();
    expect(metrics).toMatch(/composio_circuit_state 0/);
    expect(metrics).toMatch(/composio_circuit_opened_total 1/);
  });
});
