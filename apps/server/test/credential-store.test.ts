/**
 * The shared credential store on a real Redis: sealed values, lifetimes, cross-instance
 * single-flight, and Redis trouble that degrades to the in-process path instead of failing.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startRedis, type RedisServer } from '@connector-credentials/testkit';
import { createMemoryStore, createRedisStore, type CredentialStore, type StoredCredentials } from '../src/shared/credential-store.js';

const SECRET = 'ya29.super-secret-access-token';
const credentials = (id: string): StoredCredentials =>
  ({ connection_id: id, status: 'ACTIVE', credentials: { access_token: SECRET, refresh_token: `${SECRET}-refresh` } }) as unknown as StoredCredentials;

let redis: RedisServer;
let inspect: Redis;
const keys = [randomBytes(32)];
const stores: CredentialStore[] = [];
const fallbacks: string[] = [];
const open = (prefix = 'test:') => {
  const store = createRedisStore({ url: redis.url, keys, commandTimeoutMs: 200, localTtlMs: 50, maxLocalEntries: 100, prefix, onFallback: (op) => fallbacks.push(op) });
  stores.push(store);
  return store;
};

beforeAll(async () => {
  redis = await startRedis();
  inspect = new Redis(redis.url);
  inspect.on('error', () => {}); // while the outage test has Redis stopped
});
afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  inspect?.disconnect();
  await redis?.stop();
});

const ready = (store: CredentialStore) => vi.waitFor(() => expect(store.health()).toBe('ok'), { timeout: 30_000 });

describe('the Redis credential store', () => {
  it('keeps fresh values sealed, for at most their TTL, and never in plain text', async () => {
    const store = open();
    await ready(store);
    await store.setFresh('ca_1', credentials('ca_1'), 10_000);
    await store.setLastGood('ca_1', credentials('ca_1'), Date.now() + 20_000);
    expect(await store.getFresh('ca_1')).toEqual(credentials('ca_1'));
    const other = open();
    await ready(other);
    expect(await other.getFresh('ca_1')).toEqual(credentials('ca_1')); // another instance
    expect(await store.getLastGood('ca_1')).toEqual(credentials('ca_1'));

    const names = await inspect.keys('test:*');
    expect(names.sort()).toEqual(['test:fresh:ca_1', 'test:last-good:ca_1']);
    for (const name of names) {
      const value = (await inspect.get(name))!;
      expect(value).not.toContain(SECRET);
      expect(value).not.toContain('access_token');
    }
    // The last good value was written just after the fresh one, with an expiry 10 s longer: it
    // outlives it by about 10 s, whatever time has passed since (it is read first, so the fresh
    // one is read no earlier). The same expiry for both would leave a few milliseconds.
    const lastGoodTtl = await inspect.pttl('test:last-good:ca_1');
    const freshTtl = await inspect.pttl('test:fresh:ca_1');
    expect(freshTtl).toBeLessThanOrEqual(10_000);
    expect(lastGoodTtl).toBeLessThanOrEqual(20_000);
    expect(lastGoodTtl - freshTtl).toBeGreaterThan(5_000);
  });

  it('keeps no last good value past its expiry, and forgets everywhere', async () => {
    const [a, b] = [open(), open()];
    await Promise.all([ready(a), ready(b)]);
    await a.setLastGood('ca_2', credentials('ca_2'), Date.now() - 1);
    expect(await inspect.exists('test:last-good:ca_2')).toBe(0);
    await a.setFresh('ca_2', credentials('ca_2'), 10_000);
    await a.setLastGood('ca_2', credentials('ca_2'), Date.now() + 10_000);
    // A value whose expiry has passed replaces what was kept: nothing, not the earlier value.
    await a.setLastGood('ca_2', credentials('ca_2'), Date.now() - 1);
    expect(await inspect.exists('test:last-good:ca_2')).toBe(0);
    await a.setLastGood('ca_2', credentials('ca_2'), Date.now() + 10_000);
    expect(await b.getFresh('ca_2')).toBeDefined();
    await a.forget('ca_2');
    expect(await inspect.exists('test:fresh:ca_2', 'test:last-good:ca_2')).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 60)); // b's in-process tier lives 50 ms
    expect(await b.getFresh('ca_2')).toBeUndefined();
  });

  it("keeps a shared entry in process no longer than it lives in Redis", async () => {
    // b's in-process tier could keep an entry a minute, a's entry has a fraction of a second left.
    const a = open();
    const b = createRedisStore({ url: redis.url, keys, commandTimeoutMs: 200, localTtlMs: 60_000, maxLocalEntries: 100, prefix: 'test:' });
    stores.push(b);
    await Promise.all([ready(a), ready(b)]);
    await a.setFresh('ca_short', credentials('ca_short'), 300);
    expect(await b.getFresh('ca_short')).toBeDefined();
    await vi.waitFor(async () => expect(await inspect.exists('test:fresh:ca_short')).toBe(0), { timeout: 30_000 });
    expect(await b.getFresh('ca_short')).toBeUndefined();
  });

  it('does not open values sealed under a key it does not have', async () => {
    const other = createRedisStore({ url: redis.url, keys: [randomBytes(32)], commandTimeoutMs: 200, localTtlMs: 50, maxLocalEntries: 10, prefix: 'test:' });
    stores.push(other);
    const store = open();
    await Promise.all([ready(store), ready(other)]);
    await store.setFresh('ca_3', credentials('ca_3'), 10_000);
    expect(await other.getFresh('ca_3')).toBeUndefined();
  });

  it('makes concurrent misses on three instances one load', async () => {
    const instances = [open('flight:'), open('flight:'), open('flight:')];
    await Promise.all(instances.map(ready));
    let loads = 0;
    const load = (store: CredentialStore) => async () => {
      loads += 1;
      await new Promise((resolve) => setTimeout(resolve, 50));
      await store.setFresh('ca_hot', credentials('ca_hot'), 10_000);
      return credentials('ca_hot');
    };
    const results = await Promise.all(
      Array.from({ length: 300 }, (_, i) => {
        const store = instances[i % 3]!;
        return store.singleFlight('ca_hot', 5_000, load(store));
      }),
    );
    expect(loads).toBe(1);
    expect(results.every((r) => r.connection_id === 'ca_hot')).toBe(true);
    expect(await inspect.exists('flight:lock:ca_hot')).toBe(0); // released by its owner
  });

  it('falls back to the in-process path while Redis is down, and resumes when it is back', async () => {
    const store = open('outage:');
    await ready(store);
    await store.setFresh('ca_4', credentials('ca_4'), 10_000);
    await redis.stop();
    await vi.waitFor(() => expect(store.health()).toBe('degraded'), { timeout: 30_000 });
    fallbacks.length = 0;
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(await store.getFresh('ca_4')).toBeUndefined();
    let loads = 0;
    const results = await Promise.all(Array.from({ length: 20 }, () => store.singleFlight('ca_4', 1_000, async () => (loads += 1, credentials('ca_4')))));
    expect(loads).toBe(1); // still one load per instance
    expect(results).toHaveLength(20);
    await store.setFresh('ca_4', credentials('ca_4'), 10_000); // no throw
    expect(fallbacks).toEqual(expect.arrayContaining(['get', 'lock', 'set']));

    await redis.restart();
    await ready(store);
    await store.setFresh('ca_5', credentials('ca_5'), 10_000);
    const other = open('outage:');
    await ready(other);
    expect(await other.getFresh('ca_5')).toEqual(credentials('ca_5'));
  });
});

describe('the in-process credential store', () => {
  it('shares one load among concurrent callers and keeps values for their TTL', async () => {
    let now = 1_000; // lru-cache reads a start time of 0 as "no start"
    const store = createMemoryStore({ maxEntries: 10, now: () => now });
    let loads = 0;
    await Promise.all(Array.from({ length: 50 }, () => store.singleFlight('ca_m', 1_000, async () => (loads += 1, credentials('ca_m')))));
    expect(loads).toBe(1);
    await store.setFresh('ca_m', credentials('ca_m'), 1_000);
    expect(await store.getFresh('ca_m')).toBeDefined();
    now = 2_001;
    expect(await store.getFresh('ca_m')).toBeUndefined();
    await store.setLastGood('ca_m', credentials('ca_m'), Date.now() - 1);
    expect(await store.getLastGood('ca_m')).toBeUndefined();
  });
});
