/**
 * Two copies of the packaged tree as two instances behind a load balancer: one real PostgreSQL
 * (the registry) and one real Redis (shared state), and a counting stand-in for Composio.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSpecValidator,
  openapiBundlePath,
  startLoopbackServer,
  startPostgres,
  startRedis,
  type LoopbackServer,
  type PostgresServer,
  type RedisServer,
} from '@connector-credentials/testkit';
import { adminHeaders, API_KEYS_JSON, COMPOSIO_KEY, copyPackage, startPackaged, type Instance } from './support.js';

const fixture = createSpecValidator(openapiBundlePath('composio'))
  .responseExamples()
  .find((e) => e.status === '200' && e.name === 'oauth2_active')!.value as { id: string; updated_at: string };

let upstream: LoopbackServer;
let postgres: PostgresServer;
let redis: RedisServer;
const copies: Array<ReturnType<typeof copyPackage>> = [];
let a: Instance;
let b: Instance;

beforeAll(async () => {
  [upstream, postgres, redis] = await Promise.all([startLoopbackServer(), startPostgres(), startRedis()]);
  upstream.handle((req, res) => {
    const id = decodeURIComponent(req.url!.split('?')[0]!.split('/').pop()!);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ...fixture, id, updated_at: new Date().toISOString() }));
  });
  const env = {
    COMPOSIO_BASE_URL: upstream.url,
    COMPOSIO_API_KEY: COMPOSIO_KEY,
    API_KEYS: API_KEYS_JSON,
    DATABASE_URL: postgres.url,
    REDIS_URL: redis.url,
    REDIS_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    CACHE_TTL_MS: '600000',
  };
  copies.push(copyPackage(), copyPackage());
  // Started together: the migration lock lets one apply them while the other waits.
  [a, b] = (await Promise.all(copies.map((copy) => startPackaged(copy.dir, env)))) as [Instance, Instance];
});

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await Promise.all([upstream?.close(), postgres?.stop(), redis?.stop()]);
  for (const copy of copies) copy.remove();
});

describe('two copies of the packaged tree on one PostgreSQL and one Redis', () => {
  it('share the registry: a registration through one is read through the other', async () => {
    const register = await fetch(`${a.url}/v1/personal-connectors/admin/credentials`, {
      method: 'POST',
      headers: { ...adminHeaders, 'Content-Type': 'application/json' },
      body: JSON.stringify({ connection_id: 'ca_shared_registry', organization_id: 'org_shared' }),
    });
    expect(register.status, a.output()).toBe(201);
    const { id } = (await register.json()) as { id: string };
    expect(id).toMatch(/^tcred_/);
    const read = await fetch(`${b.url}/v1/personal-connectors/admin/credentials/${id}`, { headers: adminHeaders });
    expect(read.status, b.output()).toBe(200);
    expect(await read.json()).toMatchObject({ credential_id: id, connection_id: 'ca_shared_registry', status: 'ACTIVE' });
  });

  it('share Redis: credentials read through one are served to the other from the shared cache', async () => {
    const path = '/v1/personal-connectors/admin/credentials/by-connection/ca_shared_cache';
    const first = await fetch(`${a.url}${path}`, { headers: adminHeaders });
    expect(first.status).toBe(200);
    const calls = upstream.requests.filter((r) => r.url!.includes('ca_shared_cache')).length;
    expect(calls).toBe(1);
    const second = await fetch(`${b.url}${path}`, { headers: adminHeaders });
    expect(second.status).toBe(200);
    // The other instance found them in Redis: Composio was not asked again.
    expect(upstream.requests.filter((r) => r.url!.includes('ca_shared_cache')).length).toBe(1);
    expect(await second.json()).toEqual(await first.json());
    for (const instance of [a, b]) {
      const ready = (await (await fetch(`${instance.url}/readyz`)).json()) as { checks: Record<string, string> };
      expect(ready.checks.redis).toBe('ok');
    }
  });
});
