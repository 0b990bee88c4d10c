/**
 * The two mocks agree: the same requests, valid and invalid under the spec, sent to real Prism
 * (as `npm run mock` starts it) and to the MSW handlers, get the same status, body and declared
 * headers (`Retry-After`, `X-Request-Id`, the rate-limit headers …), and the same violations
 * (`sl-violations`: where and which rule) when the request breaks the spec.
 */
import { readFileSync } from 'node:fs';
import { setupServer } from 'msw/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMocks, type MockServers } from '@connector-credentials/mocks';
import { freePort, openapiBundlePath } from '@connector-credentials/testkit';
import { createHandlers } from '../src/index.ts';

const AITRONOS = 'http://aitronos.test';
const COMPOSIO = 'http://composio.test';
const A = '/v1/personal-connectors';
const CREDENTIAL = 'tcred_7Hq2LmX9pR4vN8sK3dWz';
const json = { 'X-API-Key': 'k', 'Content-Type': 'application/json' };

interface Case {
  api: 'aitronos' | 'composio';
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}
const cases: Record<string, Case> = {
  'credential id without tcred_': { api: 'aitronos', path: `${A}/admin/credentials/ca_1` },
  'credential id without tcred_, with a Prefer header': { api: 'aitronos', path: `${A}/admin/credentials/ca_1`, headers: { Prefer: 'example=api_key' } },
  'valid credential id': { api: 'aitronos', path: `${A}/admin/credentials/${CREDENTIAL}` },
  'connection id with a dot': { api: 'aitronos', path: `${A}/admin/credentials/by-connection/ca.1` },
  'list without organization_id': { api: 'aitronos', path: `${A}/connections/googledrive` },
  'list with an invalid organization_id': { api: 'aitronos', path: `${A}/connections/googledrive?organization_id=org%201` },
  'valid list': { api: 'aitronos', path: `${A}/connections/googledrive?organization_id=org_1` },
  'register without organization_id': { api: 'aitronos', method: 'POST', path: `${A}/admin/credentials`, headers: json, body: '{"connection_id":"ca_1"}' },
  'register with an unknown field': { api: 'aitronos', method: 'POST', path: `${A}/admin/credentials`, headers: json, body: '{"connection_id":"ca_1","organization_id":"org_1","color":"red"}' },
  'valid registration': { api: 'aitronos', method: 'POST', path: `${A}/admin/credentials`, headers: json, body: '{"connection_id":"ca_1","organization_id":"org_1"}' },
  'toggle with a string': { api: 'aitronos', method: 'PATCH', path: `${A}/connections/${CREDENTIAL}/active`, headers: json, body: '{"is_active":"no"}' },
  'valid toggle': { api: 'aitronos', method: 'PATCH', path: `${A}/connections/${CREDENTIAL}/active`, headers: json, body: '{"is_active":true}' },
  'toggle sent as text/plain': { api: 'aitronos', method: 'PATCH', path: `${A}/connections/${CREDENTIAL}/active`, headers: { 'Content-Type': 'text/plain' }, body: '{"is_active":true}' },
  'a 429 scenario': { api: 'aitronos', path: `${A}/connections/googledrive?organization_id=org_1`, headers: { Prefer: 'code=429, example=rate_limit_exceeded' } },
  'a 503 scenario': { api: 'aitronos', path: `${A}/admin/credentials/${CREDENTIAL}`, headers: { Prefer: 'code=503, example=upstream_unavailable' } },
  'a 201': { api: 'aitronos', method: 'POST', path: `${A}/admin/credentials`, headers: { ...json, Prefer: 'code=201' }, body: '{"connection_id":"ca_1","organization_id":"org_1"}' },
  'Composio list with limit=abc': { api: 'composio', path: '/api/v3/connected_accounts?limit=abc' },
  'Composio list with an unknown status': { api: 'composio', path: '/api/v3/connected_accounts?statuses=SLEEPING' },
  'valid Composio list': { api: 'composio', path: '/api/v3/connected_accounts?limit=5&user_ids=a&user_ids=b' },
};

/** Every header name a response of either spec declares, in lower case. */
const DECLARED = new Set(
  [openapiBundlePath('aitronos'), openapiBundlePath('composio')].flatMap((file) =>
    [...readFileSync(file, 'utf8').matchAll(/"headers":\s*\{([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}/g)].flatMap((m) => [...m[1]!.matchAll(/"([A-Za-z0-9-]+)":\s*\{/g)].map((h) => h[1]!.toLowerCase())),
  ),
);

let mocks: MockServers;
const server = setupServer(...createHandlers({ aitronos: { baseUrl: AITRONOS }, composio: { baseUrl: COMPOSIO } }));

beforeAll(async () => {
  mocks = await startMocks({
    specs: { aitronos: openapiBundlePath('aitronos'), composio: openapiBundlePath('composio') },
    ports: { aitronos: await freePort(), composio: await freePort() },
  });
  // Only the MSW base URLs are intercepted: Prism is reached through the network.
  server.listen({ onUnhandledRequest: 'bypass' });
});
afterAll(async () => {
  server.close();
  await mocks?.stop();
});

async function send(base: string, c: Case) {
  const response = await fetch(`${base}${c.path}`, {
    method: c.method ?? 'GET',
    headers: { ...(c.api === 'aitronos' ? { 'X-API-Key': 'k' } : { 'x-api-key': 'k' }), ...c.headers },
    ...(c.body === undefined ? {} : { body: c.body }),
  });
  const text = await response.text();
  const violations = (JSON.parse(response.headers.get('sl-violations') ?? '[]') as Array<{ location: string[]; code: string }>)
    .map((v) => `${v.location.join('.')} ${v.code}`)
    .sort();
  // The headers the spec declares (Prism adds its own CORS and framing headers besides).
  const headers = Object.fromEntries([...response.headers].filter(([name]) => DECLARED.has(name)));
  return { status: response.status, body: text ? (JSON.parse(text) as unknown) : null, violations, headers };
}

describe('Prism and the MSW handlers', () => {
  it.each(Object.entries(cases))('%s: same status, body, declared headers and violations', async (_name, c) => {
    const prism = await send(c.api === 'aitronos' ? mocks.aitronos.url : mocks.composio.url, c);
    const msw = await send(c.api === 'aitronos' ? AITRONOS : COMPOSIO, c);
    expect(msw).toEqual(prism);
  });

  it('compares the declared headers: the answers above carry some', () => {
    expect([...DECLARED]).toEqual(expect.arrayContaining(['retry-after', 'x-request-id', 'ratelimit', 'location']));
  });
});
