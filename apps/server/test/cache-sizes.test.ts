/**
 * The two in-process caches are sized by settings of their own: CREDENTIALS_CACHE_MAX_ENTRIES
 * (credentials read from Composio) and REGISTRY_CACHE_MAX_ENTRIES (registry lookups). Two
 * accounts read in turn stay warm in a server of default sizes, and keep missing in one where
 * each cache holds one entry.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectedAccount } from '@connector-credentials/types';
import { createSpecValidator, openapiBundlePath, startLoopbackServer, type LoopbackServer } from '@connector-credentials/testkit';
import { answerAccounts, KEYS, startTestServer, type TestServer } from './helpers.js';

const account = createSpecValidator(openapiBundlePath('composio'))
  .responseExamples()
  .find((e) => e.status === '200' && e.name === 'api_key')!.value as ConnectedAccount;

let upstream: LoopbackServer;
let small: TestServer;
let standard: TestServer;
beforeAll(async () => {
  upstream = await startLoopbackServer();
  // An ACTIVE account without an expiry: cached for CACHE_TTL_MS.
  answerAccounts(upstream, () => account);
  const cached = { CACHE_TTL_MS: '60000' };
  [small, standard] = await Promise.all([
    startTestServer({ composioBaseUrl: upstream.url, env: { ...cached, CREDENTIALS_CACHE_MAX_ENTRIES: '1', REGISTRY_CACHE_MAX_ENTRIES: '1' } }),
    startTestServer({ composioBaseUrl: upstream.url, env: cached }),
  ]);
  // Two servers with PGlite start slowly on a busy machine: this only guards against a hang.
}, 180_000);
afterAll(async () => {
  await Promise.all([small?.close(), standard?.close()]);
  await upstream?.close();
});

async function counters(server: TestServer) {
  const text = await (await fetch(`${server.running.url}/metrics`, { headers: { 'X-API-Key': KEYS.adminApi.key } })).text();
  return {
    registryQueries: Number(/^registry_queries_total (\d+)/m.exec(text)?.[1] ?? 0),
    composioCalls: Number(/^composio_calls_total\{outcome="success"\} (\d+)/m.exec(text)?.[1] ?? 0),
  };
}

/** Reads two registered credentials in turn, after one warm-up read of each; what the turns cost. */
async function readInTurns(server: TestServer, prefix: string) {
  const ids = [];
  for (const n of [1, 2]) ids.push((await server.admin.registerCredential({ connection_id: `ca_${prefix}_${n}`, organization_id: 'org_sizes' })).id);
  for (const id of ids) await server.admin.getAdminCredentials(id);
  const before = await counters(server);
  for (let turn = 0; turn < 3; turn += 1) for (const id of ids) await server.admin.getAdminCredentials(id);
  const after = await counters(server);
  return { registryQueries: after.registryQueries - before.registryQueries, composioCalls: after.composioCalls - before.composioCalls };
}

describe('cache sizes', () => {
  it('default sizes: two credentials read in turn need no query and no Composio call', async () => {
    expect(await readInTurns(standard, 'standard')).toEqual({ registryQueries: 0, composioCalls: 0 });
  });

  it('one entry each: every read in turn queries the registry and calls Composio', async () => {
    const cost = await readInTurns(small, 'small');
    expect(cost.composioCalls).toBe(6);
    expect(cost.registryQueries).toBeGreaterThanOrEqual(6);
  });
});
