/**
 * Several server processes, as operators run them behind a load balancer: one PostgreSQL for the
 * registry, one Redis for shared state, one counting stand-in for Composio.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectedAccount } from '@connector-credentials/types';
import {
  createGate,
  createSpecValidator,
  freePort,
  metricValue,
  openapiBundlePath,
  startLoopbackServer,
  startPostgres,
  sized,
  startRedis,
  waitUntil,
  type Gate,
  type LoopbackServer,
  type PostgresServer,
  type RedisServer,
} from '@connector-credentials/testkit';
import { API_KEYS_JSON, COMPOSIO_TEST_KEY, KEYS, refusingLimit } from './helpers.js';

const main = path.resolve(fileURLToPath(new URL('../dist/main.js', import.meta.url)));
const examples = new Map(
  createSpecValidator(openapiBundlePath('composio'))
    .responseExamples()
    .filter((e) => e.status === '200')
    .map((e) => [e.name, e.value as ConnectedAccount]),
);
/** Every secret of the fixture account, which must never appear in Redis in plain text. */
const fixture = examples.get('oauth2_active')!;
const fixtureSecrets = Object.values(fixture.state.val as Record<string, unknown>).filter((v): v is string => typeof v === 'string' && v.length > 12);

let upstream: LoopbackServer;
let postgres: PostgresServer;
let redis: RedisServer;
let mode: 'ok' | 'failing' = 'ok';
/** Composio's answers wait behind it; open unless a test closes it to make requests overlap. */
let gate: Gate = openGate();
function openGate(): Gate {
  const g = createGate();
  g.open();
  return g;
}
/** An account that expires in an hour, or (ids containing `expired`) a minute ago. */
function account(id: string): ConnectedAccount {
  const current = structuredClone(fixture);
  current.id = id;
  current.updated_at = new Date(Date.now() - (id.includes('expired') ? 3_660_000 : 0)).toISOString();
  return current;
}

beforeAll(async () => {
  [upstream, postgres, redis] = await Promise.all([startLoopbackServer(), startPostgres(), startRedis()]);
  upstream.handle((req, res) => {
    const id = decodeURIComponent(req.url!.split('?')[0]!.split('/').pop()!);
    if (mode === 'failing') return res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":{"message":"down","code":503,"status":503,"slug":"unavailable"}}');
    void gate.passed.then(() => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(account(id))));
  });
});
afterAll(async () => {
  await Promise.all([upstream?.close(), postgres?.stop(), redis?.stop()]);
});

interface Instance {
  url: string;
  child: ChildProcess;
  output: () => string;
}
let running: Instance[] = [];
afterEach(async () => {
  await Promise.all(running.map(stop));
  running = [];
  mode = 'ok';
  gate = openGate();
});

async function stop(instance: Instance): Promise<void> {
  if (instance.child.exitCode !== null) return;
  await new Promise((resolve) => {
    instance.child.once('exit', resolve);
    instance.child.kill('SIGTERM');
  });
}

/**
 * Three instances on the shared Redis, started once and kept for the tests that leave them as
 * they found them (each uses its own accounts); tests that change their settings or stop Redis
 * start their own.
 */
let trio: Instance[] = [];
let trioStarted: Promise<Instance[]> | undefined;
const sharedTrio = () => (trioStarted ??= startInstances(3, withRedis(), { shared: true }));
afterAll(async () => {
  await Promise.all(trio.map(stop));
});

const cacheKey = randomBytes(32).toString('base64');
async function startInstances(count: number, env: Record<string, string>, { shared = false } = {}): Promise<Instance[]> {
  const started = await Promise.all(
    Array.from({ length: count }, async () => {
      const port = await freePort();
      let output = '';
      const child = spawn(process.execPath, [main], {
        env: {
          PATH: process.env.PATH ?? '',
          NODE_ENV: 'production',
          PORT: String(port),
          COMPOSIO_BASE_URL: upstream.url,
          COMPOSIO_API_KEY: COMPOSIO_TEST_KEY,
          COMPOSIO_RETRIES: '0',
          API_KEYS: API_KEYS_JSON,
          DATABASE_URL: postgres.url,
          LOG_LEVEL: 'warn',
          ...env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
      child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
      const instance = { url: `http://127.0.0.1:${port}`, child, output: () => output };
      (shared ? trio : running).push(instance);
      for (let i = 0; ; i += 1) {
        if (child.exitCode !== null) throw new Error(`instance exited: ${output}`);
        try {
          if ((await fetch(`${instance.url}/healthz`)).ok) return instance;
        } catch {
          // not yet
        }
        if (i > 3600) throw new Error(`instance did not start: ${output}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }),
  );
  return started;
}

const key = { 'X-API-Key': KEYS.adminApi.key };
const byConnection = (instance: Instance, id: string, headers: Record<string, string> = {}) =>
  fetch(`${instance.url}/v1/personal-connectors/admin/credentials/by-connection/${id}`, { headers: { ...key, ...headers } });
// Redis and Composio get deadlines far beyond any wait here: a busy machine must not turn a slow
// Redis call into the in-process fallback, nor a held answer into a timeout, and so change the counts.
const withRedis = () => ({
  REDIS_URL: redis.url,
  REDIS_ENCRYPTION_KEY: cacheKey,
  CACHE_TTL_MS: '60000',
  RATE_LIMIT_PER_KEY: '1000000',
  RATE_LIMIT_PER_ADDRESS: '1000000',
  REDIS_COMMAND_TIMEOUT_MS: '30000',
  COMPOSIO_TIMEOUT_MS: '120000',
});
const metricsOf = async (instance: Instance) => (await fetch(`${instance.url}/metrics`, { headers: key })).text();
const calls = () => upstream.requests.length;
/** Accounts read through all three instances (SCALE_OUT_ACCOUNTS; 500 with TEST_SIZE=full). */
const ACCOUNTS = sized('SCALE_OUT_ACCOUNTS', { suite: 150, full: 500 });

describe('two instances on one PostgreSQL', () => {
  it("see each other's registrations, deactivations and deletions", async () => {
    const [a, b] = await sharedTrio();
    const register = await fetch(`${a!.url}/v1/personal-connectors/admin/credentials`, {
      method: 'POST',
      headers: { ...key, 'Content-Type': 'application/json' },
      body: JSON.stringify({ connection_id: 'ca_two_instances', organization_id: 'org_x' }),
    });
    expect(register.status).toBe(201);
    const { id } = (await register.json()) as { id: string };
    const read = async (instance: Instance) => fetch(`${instance.url}/v1/personal-connectors/admin/credentials/${id}`, { headers: key });
    const readBody = async (instance: Instance) => (await (await read(instance)).json()) as { credential_id: string; is_disabled: boolean };
    expect((await readBody(b!)).credential_id).toBe(id);
    const conflict = await fetch(`${b!.url}/v1/personal-connectors/admin/credentials`, {
      method: 'POST',
      headers: { ...key, 'Content-Type': 'application/json' },
      body: JSON.stringify({ connection_id: 'ca_two_instances', organization_id: 'org_x' }),
    });
    expect(conflict.status).toBe(409);
    await fetch(`${a!.url}/v1/personal-connectors/connections/${id}/active`, { method: 'PATCH', headers: { ...key, 'Content-Type': 'application/json' }, body: '{"is_active":false}' });
    await expect.poll(async () => (await readBody(b!)).is_disabled).toBe(true);
    expect((await fetch(`${b!.url}/v1/personal-connectors/admin/credentials/${id}`, { method: 'DELETE', headers: key })).status).toBe(204);
    await expect.poll(async () => (await read(a!)).status).toBe(404);
  });
});

describe('three instances sharing one Redis', () => {
  it('make 300 concurrent requests for one account one Composio call', async () => {
    const instances = await sharedTrio();
    const misses = async () => (await Promise.all(instances.map(metricsOf))).reduce((sum, text) => sum + metricValue(text, 'credentials_cache_lookups_total{result="miss"}'), 0);
    const before = await misses();
    upstream.requests.length = 0;
    // Composio answers only once all 300 reads have reached the instances' caches (each counts a
    // miss): they overlap by construction. Were they not shared, up to 300 calls would arrive.
    gate = createGate();
    const pending = Promise.all(Array.from({ length: 300 }, (_, i) => byConnection(instances[i % 3]!, 'ca_hot_account')));
    await waitUntil('300 cache misses', async () => (await misses()) - before >= 300, { intervalMs: 50 });
    gate.open();
    const responses = await pending;
    expect(responses.map((r) => r.status)).toEqual(Array(300).fill(200));
    expect(calls()).toBe(1);
  });

  it(`read ${ACCOUNTS} accounts through all three with exactly ${ACCOUNTS} Composio calls, and keep no secret in plain text`, async () => {
    const instances = await sharedTrio();
    upstream.requests.length = 0;
    const ids = Array.from({ length: ACCOUNTS }, (_, i) => `ca_spread_${i}`);
    for (let start = 0; start < ids.length; start += 50) {
      await Promise.all(
        ids.slice(start, start + 50).map(async (id) => {
          for (const instance of instances) expect((await byConnection(instance, id)).status).toBe(200);
        }),
      );
    }
    expect(calls()).toBe(ACCOUNTS);

    const inspect = new Redis(redis.url);
    try {
      const names = await inspect.keys('*');
      expect(names.length).toBeGreaterThanOrEqual(ACCOUNTS);
      for (const name of names) {
        const type = await inspect.type(name);
        const value = type === 'string' ? ((await inspect.get(name)) ?? '') : JSON.stringify(await inspect.hgetall(name).catch(() => ({})));
        for (const secret of fixtureSecrets) {
          expect(name).not.toContain(secret);
          expect(value).not.toContain(secret);
        }
      }
    } finally {
      inspect.disconnect();
    }
  });

  it('count a per-key rate limit across instances: 120 requests, exactly 50 successes', async () => {
    const client = new Redis(redis.url);
    await client.flushall();
    client.disconnect();
    const instances = await startInstances(3, { ...withRedis(), RATE_LIMIT_PER_KEY: '50' });
    const statuses = await Promise.all(Array.from({ length: 120 }, (_, i) => byConnection(instances[i % 3]!, 'ca_limited').then((r) => r.status)));
    expect(statuses.filter((s) => s === 200)).toHaveLength(50);
    expect(statuses.filter((s) => s === 429)).toHaveLength(70);
  });

  it('count both limits in one script run per request: refusals by key or role only per address, a request refused per address not per key', async () => {
    const client = new Redis(redis.url);
    try {
      await client.flushall();
      const [a, b] = await startInstances(2, { ...withRedis(), CACHE_TTL_MS: '600000', RATE_LIMIT_PER_KEY: '8', RATE_LIMIT_PER_ADDRESS: '14' });
      // The account is read (and kept) first, so that no Composio read's lock script runs below;
      // then the counters and the command statistics start from nothing.
      expect((await byConnection(a!, 'ca_counted')).status).toBe(200);
      await client.del(...(await client.keys('cc:ratelimit:*')));
      await client.config('RESETSTAT');
      const sequence: Array<[Instance, Record<string, string>]> = [
        [a!, { 'X-API-Key': '' }], // no key: 401
        [b!, { 'X-API-Key': 'not-a-key' }], // 401
        [a!, { 'X-API-Key': '', 'X-Aitronos-Hub-Key': KEYS.readerHub.key }], // a key without the role: 403
        [b!, { 'X-API-Key': '', 'X-Aitronos-Hub-Key': KEYS.readerHub.key }], // 403
        ...Array.from({ length: 11 }, (_, i): [Instance, Record<string, string>] => [i % 2 ? b! : a!, {}]), // the admin key
      ];
      const answers: Array<{ status: number; limit: string | null }> = [];
      for (const [instance, headers] of sequence) {
        const response = await byConnection(instance, 'ca_counted', headers);
        const body = (await response.json()) as { error?: { system_message?: string } };
        answers.push({ status: response.status, limit: refusingLimit(response.status, body) });
      }
      expect(answers.map((a) => a.status)).toEqual([401, 401, 403, 403, 200, 200, 200, 200, 200, 200, 200, 200, 429, 429, 429]);
      // The 13th and 14th requests are within the per-address limit and over the per-key one; the 15th is over both, and refused per address.
      expect(answers.slice(12).map((a) => a.limit)).toEqual(['per-key', 'per-key', 'per-address']);
      const counters = await client.keys('cc:ratelimit:*');
      const perAddress = counters.filter((k) => k.startsWith('cc:ratelimit:per-address:'));
      expect(perAddress).toHaveLength(1);
      expect(await client.get(perAddress[0]!)).toBe('15');
      // Only the admin key's requests that passed the per-address limit: 10, not 11.
      expect(await client.get(`cc:ratelimit:per-key:key:${KEYS.adminApi.name}`)).toBe('10');
      // One script run per request: the 11 admin requests ran the two-counter script, the 4 refused ones rate-limit-redis's.
      const stats = await client.info('commandstats');
      const runs = (command: string) => {
        const line = new RegExp(`cmdstat_${command}:calls=(\\d+)[^\\r\\n]*?failed_calls=(\\d+)`).exec(stats);
        return line ? Number(line[1]) - Number(line[2]) : 0;
      };
      expect(runs('evalsha') + runs('eval')).toBe(15);
    } finally {
      client.disconnect();
    }
  });

  it('serve unexpired credentials stale, marked, when Composio fails; expired ones give the documented error', async () => {
    const [a, b] = await sharedTrio();
    expect((await byConnection(a!, 'ca_stale_ok')).status).toBe(200);
    expect((await byConnection(a!, 'ca_stale_expired')).status).toBe(200);
    mode = 'failing';
    const stale = await byConnection(b!, 'ca_stale_ok', { 'Cache-Control': 'no-cache' });
    expect(stale.status).toBe(200);
    expect(stale.headers.get('x-credentials-stale')).toBe('UPSTREAM_ERROR');
    expect(((await stale.json()) as { connection_id: string }).connection_id).toBe('ca_stale_ok');
    const expired = await byConnection(b!, 'ca_stale_expired', { 'Cache-Control': 'no-cache' });
    expect(expired.status).toBe(502);
    expect(expired.headers.get('x-credentials-stale')).toBeNull();
    expect(((await expired.json()) as { error: { code: string } }).error.code).toBe('UPSTREAM_ERROR');
  });

  it('keep answering while Redis is down, report it, and share again when it is back', async () => {
    const instances = await startInstances(3, withRedis());
    await redis.stop();
    const statuses = await Promise.all(Array.from({ length: 90 }, (_, i) => byConnection(instances[i % 3]!, `ca_outage_${i % 10}`).then((r) => r.status)));
    expect(statuses.every((s) => s === 200)).toBe(true);
    const ready = (await (await fetch(`${instances[0]!.url}/readyz`)).json()) as { checks: Record<string, string> };
    expect(ready.checks.redis).toBe('degraded');
    const metrics = await (await fetch(`${instances[0]!.url}/metrics`, { headers: key })).text();
    expect(metrics).toMatch(/shared_state_fallbacks_total\{operation="get"\} [1-9]/);

    await redis.restart();
    await expect.poll(async () => ((await (await fetch(`${instances[1]!.url}/readyz`)).json()) as { checks: Record<string, string> }).checks.redis, { timeout: 60_000 }).toBe('ok');
    await expect.poll(async () => ((await (await fetch(`${instances[2]!.url}/readyz`)).json()) as { checks: Record<string, string> }).checks.redis, { timeout: 60_000 }).toBe('ok');
    upstream.requests.length = 0;
    expect((await byConnection(instances[1]!, 'ca_after_outage')).status).toBe(200);
    expect((await byConnection(instances[2]!, 'ca_after_outage')).status).toBe(200);
    expect(calls()).toBe(1);
  });
});
