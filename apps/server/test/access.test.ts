/** Access control: rate limits, security headers, size limits, constant-time keys, protected metrics. */
import { connect } from 'node:net';
import express from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ErrorEnvelope } from '@connector-credentials/client';
import { createSpecValidator, openapiBundlePath, startLoopbackServer, type LoopbackServer } from '@connector-credentials/testkit';
import { COMPOSIO_TEST_KEY, KEYS, preferFromCredentialId, refusingLimit, startTestServer, type TestServer } from './helpers.js';

const aitronos = createSpecValidator(openapiBundlePath('aitronos'));
const aitronosExampleAccount = () =>
  createSpecValidator(openapiBundlePath('composio')).responseExamples().find((e) => e.name === 'api_key')!.value as Record<string, unknown>;
const path = '/v1/personal-connectors/admin/credentials/by-connection';

/** A server on the Composio mock with these rate limits, in a window of a minute. */
const startLimited = (perKey: number, perAddress: number) =>
  startTestServer({
    composioBaseUrl: inject('composioMockUrl'),
    onComposioRequest: preferFromCredentialId,
    env: { RATE_LIMIT_PER_KEY: String(perKey), RATE_LIMIT_PER_ADDRESS: String(perAddress), RATE_LIMIT_WINDOW_MS: '60000' },
  });

let server: TestServer;
beforeAll(async () => {
  server = await startLimited(5, 40);
});
afterAll(() => server.close());

/** Raw bytes over a socket, for requests fetch would refuse to send; resolves when the server closes it. */
function raw(request: string, target = server): Promise<{ status: number; headers: string; body: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL(target.running.url);
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
        // What the spec's headers say: both limits in RateLimit and RateLimit-Policy, the
        // address's first; the X-RateLimit-* of the per-key limit, its reset in Unix time.
        expect(last.headers.get('ratelimit')).toMatch(new RegExp(`^"per-address"; r=\\d+; t=\\d+, "per-key"; r=${4 - i}; t=\\d+$`));
        expect(last.headers.get('ratelimit-policy')).toMatch(/^"per-address"; q=40; w=60; pk=:[A-Za-z0-9+/]+=*:, "per-key"; q=5; w=60; pk=:[A-Za-z0-9+/]+=*:$/);
        expect(last.headers.get('x-ratelimit-limit')).toBe('5');
        expect(last.headers.get('x-ratelimit-remaining')).toBe(String(4 - i));
        const reset = Number(last.headers.get('x-ratelimit-reset'));
        expect(reset).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000));
        expect(reset).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + 60);
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

  it('what is no operation: a path under the API with a key counts per address, then per key, both listed', async () => {
    const response = await fetch(`${server.running.url}/v1/personal-connectors/no-such-operation`, { headers: { 'X-Flowplate-Key': KEYS.adminFlowplate.key } });
    expect(response.status).toBe(404);
    expect(response.headers.get('ratelimit')).toMatch(/^"per-address"; r=\d+; t=\d+, "per-key"; r=3; t=\d+$/);
    expect(response.headers.get('ratelimit-policy')).toMatch(/^"per-address"; q=40; w=60; pk=:[A-Za-z0-9+/]+=*:, "per-key"; q=5; w=60; pk=:[A-Za-z0-9+/]+=*:$/);
    expect(response.headers.get('x-ratelimit-limit')).toBe('5');
    // The key's second request: the test above made its first.
    expect(response.headers.get('x-ratelimit-remaining')).toBe('3');
    // A public file counts per address alone.
    const docs = await fetch(`${server.running.url}/openapi.json`);
    expect(docs.status).toBe(200);
    expect(docs.headers.get('ratelimit')).toMatch(/^"per-address"; r=\d+; t=\d+$/);
    expect(docs.headers.get('x-ratelimit-limit')).toBe('40');
  });

  it("RateLimit-Policy: each limit's quota, window and partition key, as express-rate-limit writes them for the same counters", async () => {
    // express-rate-limit itself, with its draft-8 headers, counting what the server counts: the
    // caller's address, and the key by its name.
    const stock = express();
    const limit = (identifier: string, quota: number, keyGenerator: (req: express.Request) => string) =>
      rateLimit({ windowMs: 60_000, limit: quota, standardHeaders: 'draft-8', legacyHeaders: false, identifier, keyGenerator, validate: false });
    stock.use(limit('per-address', 40, (req) => ipKeyGenerator(req.ip ?? '')));
    stock.use(limit('per-key', 5, () => `key:${KEYS.adminFlowplate.name}`));
    stock.get('/', (_req, res) => res.end());
    const reference = await startLoopbackServer();
    reference.handle(stock);
    try {
      const expected = (await fetch(reference.url)).headers.get('ratelimit-policy');
      expect(expected).toMatch(/^"per-address"; q=40; w=60; pk=:[A-Za-z0-9+/]+=*:, "per-key"; q=5; w=60; pk=:[A-Za-z0-9+/]+=*:$/);
      const ours = await fetch(`${server.running.url}${path}/scenario--api_key`, { headers: { 'X-Flowplate-Key': KEYS.adminFlowplate.key } });
      expect(ours.status).toBe(200);
      expect(ours.headers.get('ratelimit-policy')).toBe(expected);
      // Another key, another partition key: the policy is the key's own.
      const other = await fetch(`${server.running.url}${path}/scenario--api_key`, { headers: { 'X-API-Key': KEYS.adminApi.key } });
      expect(other.status).toBe(200);
      expect(other.headers.get('ratelimit-policy')?.split(', ')[1]).not.toBe(expected!.split(', ')[1]);
    } finally {
      await reference.close();
    }
  });

  it('per address: unauthenticated floods are limited too', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 45; i += 1) statuses.push((await fetch(`${server.running.url}${path}/ca_1`, { headers: { 'X-API-Key': 'guess-' + i } })).status);
    expect(statuses.filter((s) => s === 401).length).toBeGreaterThan(0);
    expect(statuses.at(-1)).toBe(429);
    // Refused before any key was accepted: the per-address limit alone.
    const refused = await fetch(`${server.running.url}${path}/ca_1`, { headers: { 'X-API-Key': 'guess' } });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('ratelimit')).toMatch(/^"per-address"; r=0; t=\d+$/);
    expect(refused.headers.get('x-ratelimit-limit')).toBe('40');
    expect(refused.headers.get('x-ratelimit-remaining')).toBe('0');
  });
});

describe('both rate limits in one pass, in process', () => {
  // Its own server with small limits: what counts per key, and which limit refuses.
  let limited: TestServer;
  beforeAll(async () => {
    limited = await startLimited(8, 14);
  });
  afterAll(() => limited?.close());

  it('counts per key only the requests the key check lets in and the address limit allows; refuses by the first limit exceeded', async () => {
    const sequence: Array<Record<string, string>> = [
      {}, // no key: 401
      { 'X-API-Key': 'not-a-key' }, // 401
      { 'X-Aitronos-Hub-Key': KEYS.readerHub.key }, // a key without the role: 403
      { 'X-Aitronos-Hub-Key': KEYS.readerHub.key }, // 403
      ...Array.from({ length: 11 }, () => ({ 'X-API-Key': KEYS.adminApi.key })),
    ];
    const answers: Array<{ status: number; limit: string | null; rateLimit: string | null; remaining: string | null }> = [];
    for (const headers of sequence) {
      const response = await fetch(`${limited.running.url}${path}/scenario--api_key`, { headers });
      const body = (await response.json()) as ErrorEnvelope;
      answers.push({
        status: response.status,
        limit: refusingLimit(response.status, body),
        // Each limit's state without its seconds to reset, which depend on how long the sequence takes.
        rateLimit: response.headers.get('ratelimit')?.replaceAll(/; t=\d+/g, '') ?? null,
        remaining: response.headers.get('x-ratelimit-remaining'),
      });
    }
    expect(answers.map((a) => a.status)).toEqual([401, 401, 403, 403, 200, 200, 200, 200, 200, 200, 200, 200, 429, 429, 429]);
    // The 13th and 14th requests are within the per-address limit and over the per-key one; the 15th is over both, refused per address.
    expect(answers.slice(12).map((a) => a.limit)).toEqual(['per-key', 'per-key', 'per-address']);
    // Refusals by key or role count per address alone, so the first admin request is the key's first.
    expect(answers.slice(0, 4).map((a) => a.rateLimit)).toEqual([0, 1, 2, 3].map((i) => `"per-address"; r=${13 - i}`));
    expect(answers[4]!.rateLimit).toBe('"per-address"; r=9, "per-key"; r=7');
    expect(answers[13]!.rateLimit).toBe('"per-address"; r=0, "per-key"; r=0');
    // Refused per address: not counted per key, so only the per-address limit is listed.
    expect(answers[14]!.rateLimit).toBe('"per-address"; r=0');
    expect(answers.map((a) => a.remaining)).toEqual(['13', '12', '11', '10', '7', '6', '5', '4', '3', '2', '1', '0', '0', '0', '0']);
    const metrics = await (await fetch(`${limited.running.url}/metrics`, { headers: { 'X-API-Key': KEYS.adminApi.key } })).text();
    expect(metrics).toMatch(/^rate_limited_total\{limit="per-key"\} 2$/m);
    expect(metrics).toMatch(/^rate_limited_total\{limit="per-address"\} 1$/m);
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

});

describe('slow senders and public files', () => {
  // A server of its own, with short timeouts and the default rate limits: a request is refused
  // for its slowness alone, and no spent limit answers for anything here.
  let own: TestServer;
  beforeAll(async () => {
    own = await startTestServer({ composioBaseUrl: inject('composioMockUrl'), env: { HTTP_HEADERS_TIMEOUT_MS: '300', HTTP_REQUEST_TIMEOUT_MS: '600' } });
  });
  afterAll(() => own.close());
  const active = '/v1/personal-connectors/connections/tcred_0000000000000000abcd/active';

  it('answers a request whose body stops coming with 408 in the envelope, and closes the connection', async () => {
    const head = `PATCH ${active} HTTP/1.1\r\nHost: x\r\nX-API-Key: ${KEYS.adminApi.key}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n`;
    const response = await raw(`${head}{"is_active":`, own);
    expect(response.status).toBe(408);
    expect(response.headers).toMatch(/\r\nconnection: close\r\n/i);
    expect((JSON.parse(response.body) as ErrorEnvelope).error.code).toBe('REQUEST_TIMEOUT');
    expect(aitronos.validateResponse('patch', '/v1/personal-connectors/connections/{credential_id}/active', 408, JSON.parse(response.body)).errors).toEqual([]);
  });

  it('answers a request whose headers stop coming with 408 in the envelope', async () => {
    const response = await raw(`GET /healthz HTTP/1.1\r\nHost: x\r\n`, own);
    expect(response.status).toBe(408);
    expect((JSON.parse(response.body) as ErrorEnvelope).error.code).toBe('REQUEST_TIMEOUT');
  });

  it('serves the public files whole, whatever the preconditions and ranges asked: never a 500', async () => {
    const asks: Array<Record<string, string>> = [{ Range: 'bytes=99999999-' }, { 'If-Match': '"x"' }, { 'If-Unmodified-Since': 'Thu, 01 Jan 1970 00:00:00 GMT' }];
    for (const headers of asks) {
      for (const file of ['/openapi.json', '/openapi.yaml', '/docs']) {
        const response = await fetch(`${own.running.url}${file}`, { headers });
        expect(response.status, `${file} ${JSON.stringify(headers)}`).toBe(200);
        await response.arrayBuffer();
      }
    }
  });
});

describe('the Composio key', () => {
  // Its own server and its own stand-in, so no earlier refusal (a spent rate limit, say) can
  // answer for it: every request must reach Composio, which echoes the key back in every way it can.
  let reflecting: LoopbackServer;
  let own: TestServer;
  beforeAll(async () => {
    reflecting = await startLoopbackServer();
    own = await startTestServer({ composioBaseUrl: reflecting.url });
  });
  afterAll(async () => {
    await own?.close();
    await reflecting?.close();
  });

  it('never shows in any answer, whatever Composio sends back', async () => {
    const account = aitronosExampleAccount();
    const answers: Array<[number, (key: string) => string, number]> = [
      // [Composio's status, its body given the key it received, our expected status]
      [200, () => JSON.stringify(account), 200],
      [404, (key) => JSON.stringify({ error: { message: `no account for ${key}`, code: 404, status: 404, slug: key } }), 404],
      [401, (key) => JSON.stringify({ error: { message: `bad key ${key}`, code: 401, status: 401, slug: key } }), 502],
      [500, (key) => `upstream failed for ${key}`, 502],
      [429, (key) => JSON.stringify({ error: { message: `slow down ${key}`, code: 429, status: 429, slug: key } }), 503],
    ];
    for (const [status, body, expected] of answers) {
      reflecting.requests.length = 0;
      reflecting.handle((req, res) => {
        const key = String(req.headers['x-api-key'] ?? '');
        res.writeHead(status, { 'content-type': 'application/json', 'x-echo-key': key, 'retry-after': '30' }).end(body(key));
      });
      const response = await fetch(`${own.running.url}${path}/ca_Sg8kEy2Wq4Zt`, { headers: { 'X-Flowplate-Key': KEYS.adminFlowplate.key } });
      const text = await response.text();
      // It reached Composio, with the key: the assertions below are about what came back.
      expect(reflecting.requests.length, `Composio ${status}`).toBeGreaterThan(0);
      expect(reflecting.requests[0]!.headers['x-api-key']).toBe(COMPOSIO_TEST_KEY);
      expect(response.status, `Composio ${status}: ${text}`).toBe(expected);
      expect(text).not.toContain(COMPOSIO_TEST_KEY);
      expect([...response.headers.values()].join('\n')).not.toContain(COMPOSIO_TEST_KEY);
    }
    expect(own.logs.text).not.toContain(COMPOSIO_TEST_KEY);
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
