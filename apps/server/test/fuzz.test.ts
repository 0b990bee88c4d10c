/**
 * Property-based fuzzing of everything a caller controls: method, path, ids, query string,
 * headers and request bodies (JSON, malformed, oversized, of other types, with lying lengths),
 * on every operation, sent as raw bytes so that nothing is cleaned up on the way. Every answer
 * comes (no request is left hanging), is never a 5xx, and is either a success or the envelope with its status.
 * Seeded and reproducible: FUZZ_SEED and FUZZ_RUNS (2 000 in the suite, 10 000 with TEST_SIZE=full).
 */
import { connect } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSpecValidator, openapiBundlePath, sized, startLoopbackServer, type LoopbackServer } from '@connector-credentials/testkit';
import { KEYS, startTestServer, type TestServer } from './helpers.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261122);
const RUNS = sized('FUZZ_RUNS', { suite: 2_000, full: 10_000 });
/** A budget against a hang (a request left unanswered), not a speed requirement. */
const ANSWER_WITHIN_MS = 30_000;
const aitronos = createSpecValidator(openapiBundlePath('aitronos'));
const account = JSON.stringify(createSpecValidator(openapiBundlePath('composio')).responseExamples().find((e) => e.name === 'oauth2_active')!.value);
const BASE = '/v1/personal-connectors/admin/credentials';
const CONNECTIONS = '/v1/personal-connectors/connections';

let upstream: LoopbackServer;
let server: TestServer;
let port: number;
beforeAll(async () => {
  upstream = await startLoopbackServer();
  upstream.handle((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(account));
  server = await startTestServer({ composioBaseUrl: upstream.url, env: { LOG_LEVEL: 'warn' } });
  port = Number(new URL(server.running.url).port);
});
afterAll(async () => {
  await server.close();
  await upstream.close();
});

interface Answer {
  status: number;
  head: string;
  body: string;
}

function send(bytes: Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    // Written, not half-closed: the server closes after its answer (every request says Connection: close).
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes));
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${ANSWER_WITHIN_MS} ms`));
    }, ANSWER_WITHIN_MS);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => undefined); // the server may close first; what it sent is checked
    socket.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      const split = text.indexOf('\r\n\r\n');
      const head = split === -1 ? text : text.slice(0, split);
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), head, body: split === -1 ? '' : text.slice(split + 4) });
    });
  });
}

// --- what a caller controls ------------------------------------------------------------------
const validId = fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/), fc.stringMatching(/^tcred_[A-Za-z0-9_-]{16,30}$/));
const nastyId = fc.oneof(
  fc.constantFrom('..', '../..', '..%2F..%2Fetc%2Fpasswd', '%2e%2e%2f', 'a%2Fb', '%00', 'a%00b', '%ff%fe', '%', '%zz', '~', '%20', 'ca_1;rm', '$(id)', '{credential_id}'),
  fc.string({ unit: 'grapheme', maxLength: 30 }).map(encodeURIComponent),
  fc.string({ unit: 'binary', maxLength: 20 }).map(encodeURIComponent),
  fc.integer({ min: 129, max: 10_000 }).map((n) => 'a'.repeat(n)),
);
const anyId = fc.oneof(validId, nastyId);
const path = fc.oneof(
  { weight: 4, arbitrary: anyId.map((id) => `${BASE}/${id}`) },
  { weight: 2, arbitrary: anyId.map((id) => `${BASE}/by-connection/${id}`) },
  { weight: 2, arbitrary: fc.oneof(anyId.map((id) => `${CONNECTIONS}/${id}`), anyId.map((id) => `${CONNECTIONS}/${id}/active`)) },
  { weight: 2, arbitrary: fc.constantFrom(BASE, `${BASE}/`, `${BASE}//x`, `${BASE}/a/b`, `${BASE}/by-connection`, CONNECTIONS, `${CONNECTIONS}/a/b/c`, '/v1', '/', '/healthz', '/readyz', '/metrics', '/openapi.json', '/docs/..', '//', '/%2e%2e/') },
  { weight: 1, arbitrary: fc.array(fc.string({ unit: 'binary-ascii', maxLength: 8 }).map(encodeURIComponent), { maxLength: 6 }).map((s) => `/${s.join('/')}`) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 40 }).map((s) => `/${s.replace(/[\s]/g, '')}`) },
);
const query = fc.option(
  fc.oneof(
    fc.constantFrom('?', '?a', '?a=1', '?a=1&a=2', '?credential_id=x', '?__proto__=1', '?constructor[prototype]=x', '?%00=%00', `?${'q'.repeat(5000)}`, '?organization_id=org_1', '?organization_id=', '?organization_id=a&organization_id=b'),
    fc.string({ unit: 'binary-ascii', maxLength: 40 }).map((s) => `?${encodeURIComponent(s)}=${encodeURIComponent(s)}`),
  ),
  { nil: '' },
);
const method = fc.oneof(
  { weight: 6, arbitrary: fc.constant('GET') },
  { weight: 4, arbitrary: fc.constantFrom('POST', 'PATCH', 'DELETE') },
  { weight: 2, arbitrary: fc.constantFrom('PUT', 'HEAD', 'OPTIONS', 'TRACE', 'get', 'CONNECT', 'PROPFIND') },
  { weight: 1, arbitrary: fc.stringMatching(/^[A-Z]{1,12}$/) },
);
const keyValue = fc.oneof(
  fc.constantFrom(KEYS.adminApi.key, KEYS.adminFlowplate.key, KEYS.adminHub.key, KEYS.readerApi.key, '', ' ', 'null', 'undefined'),
  fc.string({ unit: 'binary-ascii', maxLength: 64 }).map((s) => s.replace(/[\r\n\0]/g, '')),
  fc.integer({ min: 1_000, max: 12_000 }).map((n) => 'k'.repeat(n)),
);
const header = fc.oneof(
  fc.tuple(fc.constantFrom('X-API-Key', 'X-Flowplate-Key', 'X-Aitronos-Hub-Key', 'x-api-key', 'X-API-KEY'), keyValue),
  fc.tuple(fc.constant('X-Request-Id'), fc.oneof(fc.string({ unit: 'binary-ascii', maxLength: 200 }).map((s) => s.replace(/[\r\n\0]/g, '')), fc.constant('a'.repeat(300)))),
  fc.tuple(fc.constantFrom('Content-Length', 'Transfer-Encoding', 'Expect', 'Accept', 'Content-Type', 'X-Forwarded-For', 'Cache-Control', 'Prefer', 'Upgrade', 'Host'), fc.string({ unit: 'binary-ascii', maxLength: 30 }).map((s) => s.replace(/[\r\n\0]/g, ''))),
  fc.tuple(fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,20}$/), fc.string({ unit: 'binary-ascii', maxLength: 30 }).map((s) => s.replace(/[\r\n\0]/g, ''))),
);
const jsonValue = fc.jsonValue({ maxDepth: 3 });
/** A request body: well-formed registrations and toggles, near misses, anything JSON, and garbage. */
const body = fc.option(
  fc.record({
    text: fc.oneof(
      fc.record({ connection_id: fc.oneof(validId, nastyId), organization_id: fc.oneof(validId, fc.string()), credential_name: fc.option(fc.string({ maxLength: 300 }), { nil: undefined }) }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
      fc.record({ is_active: fc.oneof(fc.boolean(), jsonValue) }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
      jsonValue.map((v) => JSON.stringify(v)),
      fc.constantFrom('{', '{"connection_id":', 'null', '[]', '""', '{"__proto__":{"is_active":true}}', '{"is_active":true,"is_active":false}', 'x'.repeat(5000)),
      fc.string({ unit: 'binary-ascii', maxLength: 100 }),
    ),
    type: fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonx', ''),
    // The declared length: right, or lying (the server must not wait for bytes that never come).
    length: fc.oneof({ weight: 5, arbitrary: fc.constant<'exact'>('exact') }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 3000 }) }),
  }),
  { nil: undefined, freq: 2 },
);
const request = fc.record({ method, path, query, headers: fc.array(header, { maxLength: 5 }), body });

function toBytes(r: { method: string; path: string; query: string; headers: Array<[string, string]>; body: { text: string; type: string; length: 'exact' | number } | undefined }): Buffer {
  const payload = r.body ? Buffer.from(r.body.text, 'utf8') : Buffer.alloc(0);
  const bodyHeaders = r.body
    ? [...(r.body.type ? [`Content-Type: ${r.body.type}`] : []), `Content-Length: ${r.body.length === 'exact' ? payload.length : Math.min(r.body.length, payload.length)}`]
    : [];
  const lines = [`${r.method} ${r.path}${r.query} HTTP/1.1`, 'Host: 127.0.0.1', ...r.headers.map(([n, v]) => `${n}: ${v}`), ...bodyHeaders, 'Connection: close', '', ''];
  return Buffer.concat([Buffer.from(lines.join('\r\n'), 'latin1'), payload]);
}

describe(`fuzzing requests (seed ${SEED}, ${RUNS} runs)`, () => {
  it('every request gets an answer (no hang), never a 5xx, and a success or the envelope', { timeout: 600_000 }, async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const answer = await send(toBytes(r));
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        expect(answer.status, `no status line:\n${answer.head}`).toBeGreaterThanOrEqual(200);
        expect(answer.status).toBeLessThan(500);
        if (r.method === 'HEAD') return;
        if (answer.status >= 400) {
          const envelope = JSON.parse(answer.body) as { success: boolean; error: { status: number; code: string; trace_id: string } };
          expect(envelope.success).toBe(false);
          expect(envelope.error.status).toBe(answer.status);
          expect(aitronos.validateSchema('ErrorEnvelope', envelope).errors).toEqual([]);
          expect(answer.head).toMatch(new RegExp(`\\r\\nX-Request-Id: ${envelope.error.trace_id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\r\\n`, 'i'));
        } else if (r.path.startsWith(`${BASE}/`) && r.method === 'GET' && answer.status === 200) {
          expect(aitronos.validateSchema('ConnectorCredentials', JSON.parse(answer.body)).errors).toEqual([]);
        } else if (answer.status === 201) {
          expect(aitronos.validateSchema('CredentialRecord', JSON.parse(answer.body)).errors).toEqual([]);
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
    // The fuzzer reached the interesting answers, not only one kind of refusal.
    for (const status of [200, 400, 401, 404, 405, 413]) expect(statuses.get(status) ?? 0, `answers with status ${status}`).toBeGreaterThan(0);
    expect((await fetch(`${server.running.url}/healthz`)).status).toBe(200);
  });
});
