/** The cache and coalescing through the real server and a real Composio stand-in on loopback. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createGate, createSpecValidator, metricValue, openapiBundlePath, startLoopbackServer, waitUntil, type Gate, type LoopbackServer } from '@connector-credentials/testkit';
import { KEYS, startTestServer, type TestServer } from './helpers.js';

const account = JSON.stringify(createSpecValidator(openapiBundlePath('composio')).responseExamples().find((e) => e.name === 'api_key')!.value);

let upstream: LoopbackServer;
let server: TestServer;
/** Composio's answers wait behind it until the test opens it. */
let gate: Gate;
beforeAll(async () => {
  upstream = await startLoopbackServer();
  upstream.handle((_req, res) => void gate.passed.then(() => res.writeHead(200, { 'content-type': 'application/json' }).end(account)));
  // A generous Composio deadline: the gate, not the clock, decides when Composio answers.
  server = await startTestServer({ composioBaseUrl: upstream.url, env: { CACHE_TTL_MS: '30000', COMPOSIO_TIMEOUT_MS: '120000' } });
});
afterAll(async () => {
  await server.close();
  await upstream.close();
});
beforeEach(() => {
  upstream.requests.length = 0;
  gate = createGate();
  gate.open();
});

const metrics = async () => (await fetch(`${server.running.url}/metrics`, { headers: { 'X-API-Key': KEYS.adminApi.key } })).text();

const get = (id: string, headers: Record<string, string> = {}) =>
  fetch(`${server.running.url}/v1/personal-connectors/admin/credentials/by-connection/${id}`, { headers: { 'X-API-Key': KEYS.adminApi.key, ...headers } });

describe('through HTTP', () => {
  it('100 simultaneous requests for one id -> exactly 1 Composio call, 100 identical answers', async () => {
    // Composio answers only once all 100 reads have reached the cache (each counts a miss), so they
    // overlap whatever the machine's speed. Were they not coalesced, 100 calls would arrive.
    gate = createGate();
    const pending = Promise.all(Array.from({ length: 100 }, () => get('ca_coalesce')));
    await waitUntil('100 cache misses', async () => metricValue(await metrics(), 'credentials_cache_lookups_total{result="miss"}') >= 100);
    gate.open();
    const responses = await pending;
    expect(responses.map((r) => r.status)).toEqual(Array(100).fill(200));
    const bodies = new Set(await Promise.all(responses.map((r) => r.text())));
    expect(bodies.size).toBe(1);
    expect(upstream.requests).toHaveLength(1);
  });

  it('then serves the cached answer, still no-store to the caller', async () => {
    const response = await get('ca_coalesce');
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(upstream.requests).toHaveLength(0);
  });

  it('Cache-Control: no-cache goes to Composio', async () => {
    expect((await get('ca_coalesce', { 'Cache-Control': 'no-cache' })).status).toBe(200);
    expect(upstream.requests).toHaveLength(1);
  });

  it('counts hits, misses, bypasses and coalesced requests', async () => {
    const text = await metrics();
    expect(text).toMatch(/credentials_cache_lookups_total\{result="miss"\} 100/);
    expect(text).toMatch(/credentials_cache_lookups_total\{result="hit"\} 1/);
    expect(text).toMatch(/credentials_cache_lookups_total\{result="bypass"\} 1/);
    expect(text).toMatch(/credentials_coalesced_total 99/);
  });
});
