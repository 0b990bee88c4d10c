/** Access control: rate limits, security headers, size limits, constant-time keys, protected metrics. */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ErrorEnvelope } from '@connector-credentials/client';
import { createSpecValidator, openapiBundlePath } from '@connector-credentials/testkit';
import { createKeyRing } from '../src/auth.js';
import { loadConfig } from '../src/config.js';
import { API_KEYS_JSON, COMPOSIO_TEST_KEY, KEYS, preferFromCredentialId, startTestServer, type TestServer } from './helpers.js';

const aitronos = createSpecValidator(openapiBundlePath('aitronos'));
const path = '/v1/personal-connectors/admin/credentials/by-connection';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({
    composioBaseUrl: inject('composioMockUrl'),
    configureComposio: preferFromCredentialId,
    env: { RATE_LIMIT_PER_KEY: '5', RATE_LIMIT_PER_ADDRESS: '40', RATE_LIMIT_WINDOW_MS: '60000' },
  });
});
afterAll(() => server.close());

/** Raw bytes over a socket, for requests fetch would refuse to send. */
function raw(request: string): Promise<{ status: number; headers: string; body: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL(server.running.url);
    const socket = connect(Number(url.port), url.hostname, () => socket.write(request));
    let data = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk) => (data += chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const [head = '', body = ''] = data.split('\r\n\r\n');
      resolve({ status: Number(head.split(' ')[1]), headers: head, body });
    });
  });
}

describe('rate limits', () => {
  it('per key: the sixth request in the window gets 429 with Retry-After and RateLimit headers', async () => {
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 6; i += 1) {
      last = await fetch(`${server.running.url}${path}/scenario--api_key`, { headers: { 'X-Aitronos-Hub-Key': KEYS.adminHub.key } });
      statuses.push(last.status);
      if (i < 5) {
        expect(last.headers.get('x-ratelimit-limit')).toBe('5');
        expect(last.headers.get("ratelimit")).toMatch(/"per-key"; r=\d+; t=\d+/);
      }
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    const body = (await last!.json()) as ErrorEnvelope;
    expect(body.error.code).toBe('RATE_LIMIT_EXCEEDED');
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(body.error.details.retry_after_seconds).toBe(Number(last!.headers.get('retry-after')));
    expect(aitronos.validateResponse('get', `${path}/{connection_id}`, 429, body).errors).toEqual([]);
    // Another key is not affected.
    expect((await fetch(`${server.running.url}${path}/scenario--api_key`, { headers: { 'X-Flowplate-Key': KEYS.adminFlowplate.key } })).status).toBe(200);
  });

  it('per address: unauthenticated floods are limited too', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 45; i += 1) statuses.push((await fetch(`${server.running.url}${path}/ca_1`, { headers: { 'X-API-Key': 'guess-' + i } })).status);
    expect(statuses.filter((s) => s === 401).length).toBeGreaterThan(0);
    expect(statuses.at(-1)).toBe(429);
  });
});

describe('security headers and limits', () => {
  it('sends security headers on API answers', async () => {
    const response = await fetch(`${server.running.url}/healthz`);
    expect(response.headers.get('content-security-policy')).toBe("default-src 'none';frame-ancestors 'none';base-uri 'none'");
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('strict-transport-security')).toMatch(/max-age=/);
    expect(response.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(response.headers.get('cross-origin-resource-policy')).toBe('same-origin');
    expect(response.headers.get('x-powered-by')).toBeNull();
  });

  it('refuses a request body early: 413 in the envelope', async () => {
    const response = await raw(`GET ${path}/ca_1 HTTP/1.1\r\nHost: x\r\nX-API-Key: ${KEYS.adminApi.key}\r\nContent-Length: 100000000\r\n\r\n`);
    expect(response.status).toBe(413);
    expect((JSON.parse(response.body) as ErrorEnvelope).error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(aitronos.validateResponse('get', `${path}/{connection_id}`, 413, JSON.parse(response.body)).errors).toEqual([]);
  });

  it('answers oversized headers with 431 in the envelope', async () => {
    const response = await raw(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(response.status).toBe(431);
    expect((JSON.parse(response.body) as ErrorEnvelope).error.code).toBe('REQUEST_HEADERS_TOO_LARGE');
    expect(aitronos.validateResponse('get', `${path}/{connection_id}`, 431, JSON.parse(response.body)).errors).toEqual([]);
  });

  it('answers a malformed request with 400 in the envelope', async () => {
    const response = await raw(`GET /v1/\u0000 HTTP/1.1\r\nHost: x\r\n\r\n`);
    expect(response.status).toBe(400);
    expect((JSON.parse(response.body) as ErrorEnvelope).error.code).toBe('VALIDATION_ERROR');
  });

  it('never shows the Composio key in any answer', async () => {
    for (const id of ['scenario--oauth2_active', 'status--401', 'status--500', 'status--429']) {
      const text = await (await fetch(`${server.running.url}${path}/${id}`, { headers: { 'X-Flowplate-Key': KEYS.adminFlowplate.key } })).text();
      expect(text).not.toContain(COMPOSIO_TEST_KEY);
    }
  });
});

describe('/metrics', () => {
  it('needs a key with the metrics or admin role', async () => {
    expect((await fetch(`${server.running.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${server.running.url}/metrics`, { headers: { 'X-API-Key': KEYS.readerApi.key } })).status).toBe(403);
    const response = await fetch(`${server.running.url}/metrics`, { headers: { 'X-API-Key': KEYS.adminApi.key } });
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toMatch(/http_requests_total\{route="\/v1\/personal-connectors\/admin\/credentials\/by-connection\/:connection_id",method="GET",status="200"\} \d+/);
    expect(text).toMatch(/rate_limited_total\{limit="per-key"\} 1/);
  });
});

describe('keys are compared in constant time', () => {
  /** Mann-Whitney U test, normal approximation: two-sided p-value. */
  function mannWhitneyP(a: number[], b: number[]): number {
    const all = [...a.map((v) => ({ v, g: 0 })), ...b.map((v) => ({ v, g: 1 }))].sort((x, y) => x.v - y.v);
    let rankA = 0;
    all.forEach((item, i) => {
      if (item.g === 0) rankA += i + 1;
    });
    const u = rankA - (a.length * (a.length + 1)) / 2;
    const mean = (a.length * b.length) / 2;
    const sd = Math.sqrt((a.length * b.length * (a.length + b.length + 1)) / 12);
    const z = Math.abs((u - mean) / sd);
    // erfc approximation (Abramowitz-Stegun 7.1.26)
    const t = 1 / (1 + 0.3275911 * (z / Math.SQRT2));
    const erfc = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) * Math.exp(-(z * z) / 2);
    return erfc;
  }

  it('an unknown key and a key of another kind take indistinguishable time', () => {
    const authenticate = createKeyRing(loadConfig({ COMPOSIO_BASE_URL: 'http://127.0.0.1:1', API_KEYS: API_KEYS_JSON }).apiKeys);
    const unknown = { 'x-api-key': 'k'.repeat(KEYS.adminFlowplate.key.length) };
    const wrongKind = { 'x-api-key': KEYS.adminFlowplate.key };
    const batch = (headers: Record<string, string>) => {
      const started = process.hrtime.bigint();
      for (let i = 0; i < 300; i += 1) authenticate(headers);
      return Number(process.hrtime.bigint() - started) / 300;
    };
    for (let i = 0; i < 20; i += 1) batch(unknown), batch(wrongKind); // warm up
    const a: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < 120; i += 1) {
      // Interleaved in random order so drift on a shared machine hits both alike.
      if (Math.random() < 0.5) a.push(batch(unknown)), b.push(batch(wrongKind));
      else b.push(batch(wrongKind)), a.push(batch(unknown));
    }
    expect(authenticate(unknown).ok).toBe(false);
    expect(authenticate(wrongKind).ok).toBe(false);
    expect(mannWhitneyP(a, b)).toBeGreaterThan(0.001);
  });
});
