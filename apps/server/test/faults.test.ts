/**
 * Fault injection: a controllable stand-in for Composio (a real HTTP server on loopback whose
 * behaviour each test sets). For each fault: the documented status and code within the configured
 * timeout, nothing of the upstream echoed, the process healthy afterwards, and no sockets or
 * timers left behind.
 */
import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ErrorEnvelope } from '@connector-credentials/client';
import { createSpecValidator, openapiBundlePath, startLoopbackServer, waitUntil, type LoopbackServer } from '@connector-credentials/testkit';
import { COMPOSIO_TEST_KEY, KEYS, startTestServer, type TestServer } from './helpers.js';

const aitronos = createSpecValidator(openapiBundlePath('aitronos'));
const account = JSON.stringify(createSpecValidator(openapiBundlePath('composio')).responseExamples().find((e) => e.name === 'basic')!.value);
/** The read's deadline; with COMPOSIO_RETRIES=2 each attempt gets half of it. */
const TIMEOUT_MS = 2_000;

let upstream: LoopbackServer;
let redirectTarget: LoopbackServer;
let server: TestServer;
let baseline: Record<string, number>;

const handles = () =>
  process.getActiveResourcesInfo().reduce<Record<string, number>>((counts, type) => ({ ...counts, [type]: (counts[type] ?? 0) + 1 }), {});

beforeAll(async () => {
  baseline = handles();
  upstream = await startLoopbackServer();
  redirectTarget = await startLoopbackServer();
  server = await startTestServer({
    composioBaseUrl: upstream.url,
    env: { COMPOSIO_TIMEOUT_MS: String(TIMEOUT_MS), COMPOSIO_RETRIES: '2', COMPOSIO_MAX_RESPONSE_BYTES: '65536' },
  });
});
afterAll(async () => {
  await server.close();
  await upstream.close();
  await redirectTarget.close();
});
beforeEach(() => {
  upstream.requests.length = 0;
});

async function get(id = 'ca_Fd5bAsIc7Mn1') {
  const response = await fetch(`${server.running.url}/v1/personal-connectors/admin/credentials/by-connection/${id}`, { headers: { 'X-API-Key': KEYS.adminApi.key } });
  const text = await response.text();
  const body = JSON.parse(text) as ErrorEnvelope;
  expect(aitronos.validateResponse('get', '/v1/personal-connectors/admin/credentials/by-connection/{connection_id}', response.status, body).errors).toEqual([]);
  expect(text).not.toContain('upstream-secret');
  expect(text).not.toContain(COMPOSIO_TEST_KEY);
  return { response, body };
}
const ok = (res: ServerResponse) => res.writeHead(200, { 'content-type': 'application/json' }).end(account);

describe('faults', () => {
  it('a slow answer within the timeout is served', async () => {
    // Slow, but far inside the attempt's share of the deadline (a twentieth of it).
    upstream.handle((_req, res) => setTimeout(() => ok(res), TIMEOUT_MS / 40));
    expect((await get()).response.status).toBe(200);
  });

  it('an answer that never comes -> 504 at the deadline (retries included), and the server hangs up', async () => {
    const hungUp: Promise<void>[] = [];
    upstream.handle((_req, res) => hungUp.push(new Promise((resolve) => res.on('close', () => resolve())))); // never answers
    const { response, body } = await get();
    expect(response.status).toBe(504);
    expect(body.error.code).toBe('UPSTREAM_TIMEOUT');
    expect(body.error.details).toEqual({ timeout_ms: TIMEOUT_MS });
    // Every attempt it started, it also abandoned: nothing is left waiting on Composio.
    expect(hungUp.length).toBeGreaterThan(0);
    await Promise.all(hungUp);
  });

  it('a connection reset in the middle of the body -> 502', async () => {
    upstream.handle((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(account.length) });
      res.write(account.slice(0, 40));
      setTimeout(() => req.socket.destroy(), 10);
    });
    const { response, body } = await get();
    expect(response.status).toBe(502);
    expect(body.error.code).toBe('UPSTREAM_ERROR');
  });

  it('a 50 MB body -> 502 at once, without reading it all', async () => {
    const chunk = Buffer.alloc(1024 * 1024, 'a');
    let written = 0;
    upstream.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }); // chunked: no length announced
      const pump = () => {
        while (written < 50 && res.write(chunk)) written += 1;
        if (written < 50) res.once('drain', pump);
        else res.end();
      };
      res.on('close', () => undefined);
      pump();
    });
    const { response, body } = await get();
    expect(response.status).toBe(502);
    expect(body.error.system_message).toMatch(/size limit/);
    // The server hung up at the cap; backpressure stopped the stand-in long before 50 MB.
    expect(written).toBeLessThan(50);
  });

  it('a 50 MB body announced by Content-Length -> 502 without reading any of it', async () => {
    upstream.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(50 * 1024 * 1024) });
      res.write('{"upstream-secret": "');
    });
    const { response } = await get();
    expect(response.status).toBe(502);
  });

  it('a redirect -> 502, and the key never follows it', async () => {
    redirectTarget.handle((_req, res) => ok(res));
    upstream.handle((_req, res) => res.writeHead(302, { location: `${redirectTarget.url}/api/v3/connected_accounts/ca_Fd5bAsIc7Mn1` }).end());
    const { response, body } = await get();
    expect(response.status).toBe(502);
    expect(body.error.code).toBe('UPSTREAM_ERROR');
    expect(redirectTarget.requests).toHaveLength(0);
  });

  it('non-JSON -> 502; JSON breaking the Composio spec -> 502', async () => {
    upstream.handle((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>upstream-secret</html>'));
    expect((await get()).response.status).toBe(502);
    upstream.handle((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"id": "upstream-secret", "state": 1}'));
    expect((await get()).response.status).toBe(502);
  });
});

describe('retries towards Composio', () => {
  it('are bounded (COMPOSIO_RETRIES=2), jittered, and counted', async () => {
    upstream.handle((_req, res) => res.writeHead(503).end('upstream-secret'));
    const metricsBefore = await (await fetch(`${server.running.url}/metrics`, { headers: { 'X-API-Key': KEYS.adminApi.key } })).text();
    expect(metricsBefore).not.toMatch(/composio_retries_total\{reason="status"\}/); // none counted before this test
    const { response, body } = await get();
    expect(response.status).toBe(502);
    expect(body.error.details).toEqual({ upstream_status: 503 });
    expect(upstream.requests).toHaveLength(3);

    let n = 0;
    upstream.handle((_req, res) => (++n < 3 ? res.writeHead(502).end() : ok(res)));
    upstream.requests.length = 0;
    expect((await get()).response.status).toBe(200);
    expect(upstream.requests).toHaveLength(3);

    const metrics = await (await fetch(`${server.running.url}/metrics`, { headers: { 'X-API-Key': KEYS.adminApi.key } })).text();
    expect(metrics).toMatch(/composio_retries_total\{reason="status"\} 4/);
  });

  it('never retry a 4xx', async () => {
    upstream.handle((_req, res) => res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"x","code":1,"status":404}}'));
    expect((await get()).response.status).toBe(404);
    expect(upstream.requests).toHaveLength(1);
  });
});

describe('after the faults', () => {
  it('the process is healthy and serves again', async () => {
    upstream.handle((_req, res) => ok(res));
    expect((await fetch(`${server.running.url}/healthz`)).status).toBe(200);
    expect((await get()).response.status).toBe(200);
  });

  it('leaves no sockets, servers or timers behind once stopped', async () => {
    await server.close();
    await upstream.close();
    await redirectTarget.close();
    // Closed handles leave the list on a later turn of the event loop: wait for that, not for a
    // fixed time (the deadline only guards against a hang, and then names what stayed open).
    const types = ['TCPSocketWrap', 'TCPServerWrap', 'Timeout'];
    const leftOpen = () => types.filter((type) => (handles()[type] ?? 0) > (baseline[type] ?? 0));
    await waitUntil('handles to close', () => leftOpen().length === 0, { deadlineMs: 10_000 }).catch(() => undefined);
    expect(leftOpen(), JSON.stringify(handles())).toEqual([]);
  });
});
