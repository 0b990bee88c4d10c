/** Timeouts, retries, request ids and unreadable bodies, against a real HTTP server on loopback. */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startLoopbackServer, type LoopbackServer } from '@connector-credentials/testkit';
import { ApiError, createAitronosClient, parseRetryAfter, throwApiErrors } from '../src/index.js';
import { createTransport } from '../src/transport.js';

let server: LoopbackServer;
beforeAll(async () => {
  server = await startLoopbackServer();
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
});

const envelope = JSON.stringify({
  success: false,
  error: { code: 'UPSTREAM_ERROR', message: 'm', system_message: 's', type: 'upstream_error', status: 502, trace_id: 't', timestamp: '2026-01-01T00:00:00Z', details: {} },
});
const credentials = JSON.stringify({ connection_id: 'ca_1' });

function client(options: Partial<Parameters<typeof createAitronosClient>[0]> = {}) {
  return createAitronosClient({ baseUrl: server.url, apiKey: 'k', retry: { retries: 2, baseDelayMs: 1, maxDelayMs: 5 }, ...options } as never);
}

async function failure(promise: Promise<unknown>): Promise<ApiError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(ApiError);
  return error as ApiError;
}

describe('request ids', () => {
  it('sends one X-Request-Id per call, the same on every retry, and a fresh one per call', async () => {
    let n = 0;
    server.handle((_req, res) => {
      n += 1;
      if (n < 3) res.writeHead(503).end(envelope);
      else res.writeHead(200, { 'content-type': 'application/json' }).end(credentials);
    });
    await client().getAdminCredentials('ca_1');
    const ids = server.requests.map((r) => r.headers['x-request-id']);
    expect(ids).toHaveLength(3);
    expect(new Set(ids).size).toBe(1);
    expect(ids[0]).toMatch(/^[0-9a-f-]{36}$/);
    await client().getAdminCredentials('ca_1', { requestId: 'req_given' });
    expect(server.requests.at(-1)?.headers['x-request-id']).toBe('req_given');
  });

  it('sends the key in the header of its kind only', async () => {
    server.handle((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(credentials));
    await createAitronosClient({ baseUrl: server.url, hubKey: 'hub' }).getAdminCredentials('ca_1');
    const headers = server.requests.at(-1)!.headers;
    expect(headers['x-aitronos-hub-key']).toBe('hub');
    expect(headers['x-api-key']).toBeUndefined();
    expect(headers['x-flowplate-key']).toBeUndefined();
  });
});

describe('retries', () => {
  it('honours Retry-After in seconds', async () => {
    let n = 0;
    server.handle((_req, res) => {
      n += 1;
      if (n === 1) res.writeHead(429, { 'retry-after': '1' }).end();
      else res.writeHead(200, { 'content-type': 'application/json' }).end(credentials);
    });
    // The wait it asks for, not the time that passed: the backoff here would be at most 5 ms.
    const timers = vi.spyOn(globalThis, 'setTimeout');
    try {
      await client().getAdminCredentials('ca_1');
      expect(timers.mock.calls.map(([, ms]) => ms)).toContain(1000);
    } finally {
      timers.mockRestore();
    }
    expect(server.requests).toHaveLength(2);
  });

  it('gives up after the configured retries and reports the last answer', async () => {
    server.handle((_req, res) => res.writeHead(502, { 'content-type': 'application/json' }).end(envelope));
    const error = await failure(client().getAdminCredentials('ca_1'));
    expect(error.code).toBe('UPSTREAM_ERROR');
    expect(server.requests).toHaveLength(3);
  });

  it('never retries a non-idempotent request', async () => {
    server.handle((_req, res) => res.writeHead(503).end());
    const transport = createTransport({ retry: { retries: 3, baseDelayMs: 1 } });
    const response = await transport(new Request(`${server.url}/x`, { method: 'POST', body: '{}' }));
    expect(response.status).toBe(503);
    expect(server.requests).toHaveLength(1);
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2026-11-22T10:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter('Sun, 22 Nov 2026 10:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Sun, 22 Nov 2026 09:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    // The other two HTTP date forms; anything else is no value, not a date JavaScript makes of it.
    expect(parseRetryAfter('Sunday, 22-Nov-26 10:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Sun Nov 22 10:00:05 2026', now)).toBe(5000);
    for (const odd of ['1.5', '-1', '2026-11-22', '5 s']) expect(parseRetryAfter(odd, now), odd).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});

describe('failures without an envelope', () => {
  it('times out each attempt and retries, then throws TIMEOUT', async () => {
    server.handle(() => undefined); // never answers
    const error = await failure(client({ timeoutMs: 100 }).getAdminCredentials('ca_1'));
    expect(error.code).toBe('TIMEOUT');
    expect(error.status).toBe(0);
    expect(server.requests).toHaveLength(3);
  });

  it('times out an attempt whose body stops coming, and tries a GET again: TIMEOUT, not unreadable JSON', async () => {
    // The head and the first bytes of the body, then nothing.
    server.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      res.write('{"connection_id":');
    });
    const error = await failure(client({ timeoutMs: 100 }).getAdminCredentials('ca_1'));
    expect(error.code).toBe('TIMEOUT');
    expect(server.requests).toHaveLength(3);
  });

  it('throws ABORTED when the caller aborts while the body is coming', async () => {
    server.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      res.write('{"connection_id":');
    });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const error = await failure(client({ timeoutMs: 5_000 }).getAdminCredentials('ca_1', { signal: controller.signal }));
    expect(error.code).toBe('ABORTED');
    expect(server.requests).toHaveLength(1);
  });

  it('throws NETWORK_ERROR when the connection is reset', async () => {
    server.handle((req) => req.socket.destroy());
    const error = await failure(client().getAdminCredentials('ca_1'));
    expect(error.code).toBe('NETWORK_ERROR');
    expect(server.requests).toHaveLength(3);
  });

  it('throws NETWORK_ERROR when nothing listens', async () => {
    const closed = await startLoopbackServer();
    await closed.close();
    const error = await failure(createAitronosClient({ baseUrl: closed.url, retry: { retries: 0 } }).getAdminCredentials('ca_1'));
    expect(error.code).toBe('NETWORK_ERROR');
  });

  it('throws ABORTED when the caller aborts, without retrying', async () => {
    server.handle(() => undefined);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const error = await failure(client({ timeoutMs: 5_000 }).getAdminCredentials('ca_1', { signal: controller.signal }));
    expect(error.code).toBe('ABORTED');
    expect(server.requests).toHaveLength(1);
  });

  it.each([
    ['an empty error body', 500, '', 'text/plain', 'HTTP_500'],
    ['an HTML error page', 502, '<html>Bad gateway</html>', 'text/html', 'HTTP_502'],
    ['JSON that is not an envelope', 500, '{"oops":true}', 'application/json', 'HTTP_500'],
  ])('turns %s into an ApiError with an HTTP code', async (_label, status, body, type, code) => {
    server.handle((_req, res) => res.writeHead(status, { 'content-type': type, 'x-request-id': 'srv-1' }).end(body));
    const error = await failure(client({ retry: { retries: 0 } }).getAdminCredentials('ca_1'));
    expect(error.code).toBe(code);
    expect(error.status).toBe(status);
    expect(error.traceId).toBe('srv-1');
    expect(error.envelope).toBeUndefined();
  });

  it('turns a 200 whose body is not JSON into INVALID_RESPONSE', async () => {
    server.handle((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"truncated":'));
    const error = await failure(client().getAdminCredentials('ca_1'));
    expect(error.code).toBe('INVALID_RESPONSE');
  });

  it('does not follow redirects: the key stays with the API', async () => {
    const elsewhere = await startLoopbackServer();
    elsewhere.handle((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(credentials));
    server.handle((_req, res) => res.writeHead(307, { location: `${elsewhere.url}/steal` }).end());
    const error = await failure(client({ retry: { retries: 0 } }).getAdminCredentials('ca_1'));
    expect(error.status).toBe(307);
    expect(error.code).toBe('HTTP_307');
    expect(elsewhere.requests).toHaveLength(0);
    await elsewhere.close();
  });

  it('turns an empty 200 into INVALID_RESPONSE', async () => {
    server.handle((_req, res) => res.writeHead(200, { 'content-length': '0' }).end());
    const error = await failure(client().getAdminCredentials('ca_1'));
    expect(error.code).toBe('INVALID_RESPONSE');
  });
});

describe('throwApiErrors: the same errors from client.raw', () => {
  const path = '/v1/personal-connectors/admin/credentials/{credential_id}' as const;
  const params = { path: { credential_id: 'tcred_7Hq2LmX9pR4vN8sK3dWz' } };

  it('throws the ApiError of a non-2xx answer when passed per call, and leaves raw alone otherwise', async () => {
    server.handle((_req, res) => res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '7' }).end(envelope));
    const aitronos = client({ retry: { retries: 0 } });
    const error = await failure(aitronos.raw.GET(path, { params, middleware: [throwApiErrors] }));
    expect(error).toMatchObject({ status: 429, code: 'UPSTREAM_ERROR', traceId: 't', details: {}, retryAfterMs: 7000 });
    expect(error.requestId).toBe(server.requests.at(-1)?.headers['x-request-id']);
    const plain = await aitronos.raw.GET(path, { params });
    expect(plain.response.status).toBe(429);
    expect(plain.error).toMatchObject({ error: { code: 'UPSTREAM_ERROR' } });
  });

  it('names an unreadable error body by its status, and lets a 2xx through', async () => {
    server.handle((_req, res) => res.writeHead(502).end('<html>bad gateway</html>'));
    const aitronos = client({ retry: { retries: 0 } });
    const error = await failure(aitronos.raw.GET(path, { params, middleware: [throwApiErrors] }));
    expect(error).toMatchObject({ status: 502, code: 'HTTP_502', envelope: undefined });
    server.handle((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(credentials));
    expect((await aitronos.raw.GET(path, { params, middleware: [throwApiErrors] })).data).toEqual({ connection_id: 'ca_1' });
  });
});
