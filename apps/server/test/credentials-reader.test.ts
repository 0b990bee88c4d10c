/** The credentials cache and request coalescing, on fake timers. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ConnectedAccount } from '@connector-credentials/types';
import { createSpecValidator, openapiBundlePath } from '@connector-credentials/testkit';
import type { ComposioGateway } from '../src/composio/index.js';
import { createCredentialsReader } from '../src/credentials-reader.js';
import { createMemoryStore } from '../src/shared/credential-store.js';
import { AppError } from '../src/errors.js';

const examples = new Map(
  createSpecValidator(openapiBundlePath('composio'))
    .responseExamples()
    .filter((e) => e.status === '200')
    .map((e) => [e.name, e.value as ConnectedAccount]),
);
const NOW = Date.parse('2026-11-22T12:00:00Z');

/** A gateway whose answers the test sets, counting its calls, answering after `delayMs` of fake time. */
function scriptedGateway(delayMs = 50) {
  const calls: string[] = [];
  let answer: (id: string) => ConnectedAccount | Error = () => examples.get('api_key')!;
  const gateway: ComposioGateway = {
    circuitState: () => 'closed',
    getConnectedAccount: (id) =>
      new Promise((resolve, reject) => {
        calls.push(id);
        setTimeout(() => {
          const result = answer(id);
          if (result instanceof Error) reject(result);
          else resolve(structuredClone(result));
        }, delayMs);
      }),
  };
  return { gateway, calls, answer: (next: typeof answer) => void (answer = next) };
}

/** An ACTIVE OAuth2 account whose token expires `seconds` from now. */
function expiringIn(seconds: number): ConnectedAccount {
  const account = structuredClone(examples.get('oauth2_active')!);
  account.updated_at = new Date(Date.now()).toISOString();
  (account.state.val as { expires_in: number }).expires_in = seconds;
  return account;
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date', 'performance'] });
  vi.setSystemTime(NOW);
});
afterEach(() => vi.useRealTimers());

const options = { ttlMs: 30_000, maxEntries: 100, expiryMarginMs: 60_000 };

/** A reader over the in-process store, on the fake clock; `size()` counts the entries the store holds. */
function createReader(gateway: ComposioGateway, { ttlMs, maxEntries, expiryMarginMs }: typeof options, stale = false) {
  const store = createMemoryStore({ maxEntries, now: () => Date.now() });
  const reader = createCredentialsReader(gateway, store, { ttlMs, expiryMarginMs, deadlineMs: 5_000, staleIfError: { enabled: stale, lastGoodMaxMs: 3_600_000 } });
  return Object.assign(reader, { size: () => store.size() });
}

/** One read, with fake time advanced past the gateway's delay; a failure is returned, not left unhandled. */
async function read(reader: ReturnType<typeof createReader>, id = 'ca_1', noCache = false, advanceMs = 50) {
  const settled = reader.read(id, { requestId: 'r', noCache }).then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  await vi.advanceTimersByTimeAsync(advanceMs);
  const result = await settled;
  if (!result.ok) throw result.error;
  return result.value.credentials;
}

describe('credentials cache', () => {
  it('serves an ACTIVE account from memory for the TTL, then reads again', async () => {
    const { gateway, calls } = scriptedGateway();
    const reader = createReader(gateway, options);
    await read(reader);
    await vi.advanceTimersByTimeAsync(29_000);
    await read(reader);
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1_100);
    await read(reader);
    expect(calls).toHaveLength(2);
  });

  it('never keeps an entry past the credential expiry minus the margin', async () => {
    const { gateway, calls, answer } = scriptedGateway();
    answer(() => expiringIn(75)); // expires in 75 s; with a 60 s margin it may live 15 s
    const reader = createReader(gateway, { ...options, ttlMs: 300_000 });
    await read(reader);
    await vi.advanceTimersByTimeAsync(14_000);
    await read(reader);
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1_500);
    expect(reader.size()).toBe(0); // purged at its expiry, not only hidden
    await read(reader);
    expect(calls).toHaveLength(2);
  });

  it('does not cache a credential that expires within the margin', async () => {
    const { gateway, calls, answer } = scriptedGateway();
    answer(() => expiringIn(30));
    const reader = createReader(gateway, options);
    await read(reader);
    await read(reader);
    expect(calls).toHaveLength(2);
    expect(reader.size()).toBe(0);
  });

  it.each(['oauth2_expired', 'failed', 'initiated'])('does not cache a %s account', async (name) => {
    const { gateway, calls, answer } = scriptedGateway();
    answer(() => examples.get(name)!);
    const reader = createReader(gateway, options);
    await read(reader);
    await read(reader);
    expect(calls).toHaveLength(2);
  });

  it('does not cache failures', async () => {
    const { gateway, calls, answer } = scriptedGateway();
    answer(() => new AppError('UPSTREAM_ERROR'));
    const reader = createReader(gateway, options);
    await expect(read(reader)).rejects.toThrow(AppError);
    answer(() => examples.get('api_key')!);
    await expect(read(reader)).resolves.toMatchObject({ connection_id: 'ca_Sg8kEy2Wq4Zt' });
    expect(calls).toHaveLength(2);
  });

  it('Cache-Control: no-cache reads again and refreshes the entry', async () => {
    const { gateway, calls, answer } = scriptedGateway();
    const reader = createReader(gateway, options);
    await read(reader);
    answer(() => examples.get('bearer_token')!);
    expect((await read(reader, 'ca_1', true)).auth_scheme).toBe('BEARER_TOKEN');
    expect((await read(reader)).auth_scheme).toBe('BEARER_TOKEN');
    expect(calls).toHaveLength(2);
  });

  it('is bounded: the least recently used entry goes first', async () => {
    const { gateway, calls } = scriptedGateway();
    const reader = createReader(gateway, { ...options, maxEntries: 2 });
    await read(reader, 'a');
    await read(reader, 'b');
    await read(reader, 'a');
    await read(reader, 'c'); // evicts b
    expect(reader.size()).toBe(2);
    await read(reader, 'a');
    await read(reader, 'b');
    expect(calls).toEqual(['a', 'b', 'c', 'b']);
  });

  it('ttl 0 turns the cache off', async () => {
    const { gateway, calls } = scriptedGateway();
    const reader = createReader(gateway, { ...options, ttlMs: 0 });
    await read(reader);
    await read(reader);
    expect(calls).toHaveLength(2);
  });
});

describe('request coalescing', () => {
  it('100 simultaneous misses for one id share exactly one read', async () => {
    const { gateway, calls } = scriptedGateway(200);
    const reader = createReader(gateway, { ...options, ttlMs: 0 });
    const all = Promise.all(Array.from({ length: 100 }, () => reader.read('ca_1', { requestId: 'r' })));
    await vi.advanceTimersByTimeAsync(200);
    const results = await all;
    expect(calls).toHaveLength(1);
    expect(new Set(results.map((r) => r.credentials.connection_id))).toEqual(new Set(['ca_Sg8kEy2Wq4Zt']));
  });

  it('shares a failure among those waiting, and the next read tries again', async () => {
    const { gateway, calls, answer } = scriptedGateway(100);
    answer(() => new AppError('UPSTREAM_TIMEOUT'));
    const reader = createReader(gateway, options);
    const all = Promise.allSettled(Array.from({ length: 10 }, () => reader.read('ca_1', { requestId: 'r' })));
    await vi.advanceTimersByTimeAsync(100);
    expect((await all).every((r) => r.status === 'rejected')).toBe(true);
    expect(calls).toHaveLength(1);
    answer(() => examples.get('api_key')!);
    await read(reader, 'ca_1', false, 100);
    expect(calls).toHaveLength(2);
  });

  it('different ids do not share', async () => {
    const { gateway, calls } = scriptedGateway(100);
    const reader = createReader(gateway, options);
    const all = Promise.all(['a', 'b', 'a', 'b'].map((id) => reader.read(id, { requestId: 'r' })));
    await vi.advanceTimersByTimeAsync(100);
    await all;
    expect(calls.sort()).toEqual(['a', 'b']);
  });
});

describe('stale-if-error', () => {
  it('serves the last good credentials, marked, when Composio fails, until they expire', async () => {
    const { gateway, calls, answer } = scriptedGateway();
    answer(() => expiringIn(3_600));
    const reader = createReader(gateway, { ...options, ttlMs: 0 }, true);
    await read(reader);
    answer(() => new AppError('UPSTREAM_UNAVAILABLE'));
    const settled = reader.read('ca_1', { requestId: 'r' });
    await vi.advanceTimersByTimeAsync(50);
    const stale = await settled;
    expect(stale.stale).toBe('UPSTREAM_UNAVAILABLE');
    expect(stale.credentials.connection_id).toBe('ca_Xo9ADr3cBz1p');
    expect(calls).toHaveLength(2);
    // Past the credential's own expiry, the error stands.
    await vi.advanceTimersByTimeAsync(3_601_000);
    await expect(read(reader)).rejects.toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' });
  });

  it('never serves stale credentials for a 404, a refused key or a bad id', async () => {
    for (const code of ['CONNECTION_NOT_FOUND', 'UPSTREAM_AUTH_ERROR', 'VALIDATION_ERROR'] as const) {
      const { gateway, answer } = scriptedGateway();
      answer(() => expiringIn(3_600));
      const reader = createReader(gateway, { ...options, ttlMs: 0 }, true);
      await read(reader);
      answer(() => new AppError(code));
      await expect(read(reader)).rejects.toMatchObject({ code });
    }
  });

  it('drops the last good credentials of an account read as revoked or gone, so an outage later serves nothing', async () => {
    for (const ended of [() => examples.get('revoked')!, () => new AppError('CONNECTION_NOT_FOUND')]) {
      const { gateway, answer } = scriptedGateway();
      answer(() => expiringIn(3_600));
      const reader = createReader(gateway, { ...options, ttlMs: 0 }, true);
      await read(reader);
      answer(ended);
      await read(reader).catch(() => undefined);
      answer(() => new AppError('UPSTREAM_UNAVAILABLE'));
      await expect(read(reader)).rejects.toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' });
    }
  });

  it('keeps nothing of a read that was under way when the account was forgotten', async () => {
    const { gateway, calls, answer } = scriptedGateway();
    answer(() => expiringIn(3_600));
    const reader = createReader(gateway, options, true);
    const settled = reader.read('ca_1', { requestId: 'r' });
    await vi.advanceTimersByTimeAsync(10);
    await reader.forget('ca_1');
    await vi.advanceTimersByTimeAsync(40);
    await settled;
    expect(reader.size()).toBe(0);
    answer(() => new AppError('UPSTREAM_UNAVAILABLE'));
    await expect(read(reader)).rejects.toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' });
    expect(calls).toHaveLength(2);
  });

  it('keeps nothing when turned off', async () => {
    const { gateway, answer } = scriptedGateway();
    answer(() => expiringIn(3_600));
    const reader = createReader(gateway, { ...options, ttlMs: 0 }, false);
    await read(reader);
    answer(() => new AppError('UPSTREAM_ERROR'));
    await expect(read(reader)).rejects.toMatchObject({ code: 'UPSTREAM_ERROR' });
  });
});
