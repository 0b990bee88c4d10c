/**
 * Where read credentials are kept between requests, and how concurrent misses are made one
 * Composio read. Two implementations with one contract:
 *
 * - `createMemoryStore`: in process (the embedded default, one instance).
 * - `createRedisStore`: shared by every instance through Redis, sealed (see sealed.ts), with a
 *   small in-process tier in front and a Redis mutex (owner-checked release, TTL) for
 *   cross-instance single-flight. When Redis is slow or down, every call gives up within the
 *   command timeout and the store behaves as the in-process one until Redis is back.
 *
 * "Fresh" entries answer reads (their TTL is decided by the caller); "last good" entries are
 * kept until the credential's own expiry and are only served when Composio fails.
 */
import { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import { Mutex } from 'redis-semaphore';
import type { MappedCredentials } from '../map-connected-account.js';
import { createSealer, type Sealer } from './sealed.js';

/** What the store keeps of a read: the mapped credentials, without the registry's fields. */
export type StoredCredentials = MappedCredentials;

export interface CredentialStore {
  getFresh(accountId: string): Promise<StoredCredentials | undefined>;
  setFresh(accountId: string, credentials: StoredCredentials, ttlMs: number): Promise<void>;
  getLastGood(accountId: string): Promise<StoredCredentials | undefined>;
  /** Keeps the value until `untilEpochMs` (the credential's expiry); nothing when that is past. */
  setLastGood(accountId: string, credentials: StoredCredentials, untilEpochMs: number): Promise<void>;
  /** Drops everything kept for the account, everywhere. */
  forget(accountId: string): Promise<void>;
  /**
   * Runs `load` once for concurrent callers of the same account. Across instances (Redis), the
   * caller holding the account's lock first reads the shared entry, and skips `load` when
   * another instance stored it meanwhile. Waiting for the lock is bounded by `waitMs`.
   */
  singleFlight(accountId: string, waitMs: number, load: () => Promise<StoredCredentials>): Promise<StoredCredentials>;
  /** `ok`, or `degraded` while a shared store is unreachable. */
  health(): 'ok' | 'degraded';
  close(): Promise<void>;
}

export interface StoreHooks {
  /** A shared-store call failed or was skipped, and the in-process path was used instead. */
  onFallback?: (operation: string) => void;
  /** A read was answered by another caller's load, in process or on another instance. */
  onCoalesced?: () => void;
}

interface MemoryOptions extends StoreHooks {
  maxEntries: number;
  /** Clock in ms (tests). */
  now?: () => number;
}

/** In-process single-flight: concurrent callers of one key share one promise. */
function inProcessFlights(onCoalesced?: () => void) {
  const flights = new Map<string, Promise<StoredCredentials>>();
  return (key: string, run: () => Promise<StoredCredentials>): Promise<StoredCredentials> => {
    const pending = flights.get(key);
    if (pending) {
      onCoalesced?.();
      return pending;
    }
    const started = run().finally(() => {
      if (flights.get(key) === started) flights.delete(key);
    });
    flights.set(key, started);
    return started;
  };
}

export function createMemoryStore(options: MemoryOptions): CredentialStore & { size(): number } {
  const clock = options.now ? { perf: { now: options.now }, ttlResolution: 0 } : {};
  const fresh = new LRUCache<string, StoredCredentials>({ max: options.maxEntries, ttlAutopurge: true, ...clock });
  const lastGood = new LRUCache<string, StoredCredentials>({ max: options.maxEntries, ttlAutopurge: true });
  const flight = inProcessFlights(options.onCoalesced);
  return {
    /** Fresh entries held (purged at their expiry, not only hidden). */
    size: () => fresh.size,
    async getFresh(id) {
      return fresh.get(id);
    },
    async setFresh(id, credentials, ttlMs) {
      if (ttlMs > 0) fresh.set(id, credentials, { ttl: ttlMs });
      else fresh.delete(id);
    },
    async getLastGood(id) {
      return lastGood.get(id);
    },
    async setLastGood(id, credentials, until) {
      const ttl = until - Date.now();
      if (ttl > 0) lastGood.set(id, credentials, { ttl });
      else lastGood.delete(id);
    },
    async forget(id) {
      fresh.delete(id);
      lastGood.delete(id);
    },
    singleFlight: (id, _waitMs, load) => flight(id, load),
    health: () => 'ok',
    async close() {
      fresh.clear();
      lastGood.clear();
    },
  };
}

export interface RedisStoreOptions extends StoreHooks {
  url: string;
  /** Keys of `REDIS_ENCRYPTION_KEY`, newest first. */
  keys: Buffer[];
  /** Longest any Redis call may take. */
  commandTimeoutMs: number;
  /** Life of the in-process tier in front of Redis. */
  localTtlMs: number;
  maxLocalEntries: number;
  /** Key prefix, so several deployments can share one Redis. */
  prefix?: string;
}

/** The Redis store, and its client for the other shared state (rate limits). */
export function createRedisStore(options: RedisStoreOptions): CredentialStore & { readonly client: Redis } {
  const prefix = options.prefix ?? 'cc:';
  const sealer: Sealer = createSealer(options.keys);
  const redis = new Redis(options.url, {
    // Fail at once while disconnected instead of queueing: the caller falls back.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: options.commandTimeoutMs,
    connectTimeout: Math.max(options.commandTimeoutMs, 1_000),
    // Reconnect for ever, at most a second apart: shared mode resumes on its own.
    retryStrategy: (attempt) => Math.min(attempt * 100, 1_000),
    lazyConnect: false,
  });
  // Errors surface through the commands; an unhandled 'error' event would crash the process.
  redis.on('error', () => {});
  const local = new LRUCache<string, StoredCredentials>({ max: options.maxLocalEntries, ttl: options.localTtlMs, ttlAutopurge: true });
  const flight = inProcessFlights(options.onCoalesced);
  const key = (kind: string, id: string) => `${prefix}${kind}:${id}`;
  const ready = () => redis.status === 'ready';

  /** Runs a Redis call; on trouble (or while disconnected) gives `fallback` and counts it. */
  async function attempt<T>(operation: string, fallback: T, call: () => Promise<T>): Promise<T> {
    if (!ready()) {
      options.onFallback?.(operation);
      return fallback;
    }
    try {
      return await call();
    } catch {
      options.onFallback?.(operation);
      return fallback;
    }
  }

  const open = (sealed: string | null, id: string): StoredCredentials | undefined => {
    if (sealed === null) return undefined;
    const plain = sealer.open(sealed, id);
    return plain === undefined ? undefined : (JSON.parse(plain) as StoredCredentials);
  };

  /**
   * The shared entry, kept in the in-process tier too: for `localTtlMs` at most, and never past
   * the shared entry's own end (its lifetime was decided by the credential's expiry). Its time
   * left is read with it, in one round trip, and the round trip's length taken off it.
   */
  async function readFresh(id: string): Promise<StoredCredentials | undefined> {
    const asked = performance.now();
    const read = await attempt('get', undefined, async () => {
      const [[, sealed], [, left]] = (await redis.pipeline().get(key('fresh', id)).pttl(key('fresh', id)).exec()) as [[Error | null, string | null], [Error | null, number]];
      return { value: open(sealed, id), left };
    });
    if (read?.value === undefined) return undefined;
    const ttl = Math.min(options.localTtlMs, Math.floor(read.left - (performance.now() - asked)) - 1);
    if (ttl > 0) local.set(id, read.value, { ttl });
    return read.value;
  }

  return {
    client: redis,
    async getFresh(id) {
      return local.get(id) ?? readFresh(id);
    },
    async setFresh(id, credentials, ttlMs) {
      if (ttlMs <= 0) {
        local.delete(id);
        await attempt('del', undefined, async () => void (await redis.del(key('fresh', id))));
        return;
      }
      local.set(id, credentials, { ttl: Math.min(ttlMs, options.localTtlMs) });
      await attempt('set', undefined, async () => void (await redis.set(key('fresh', id), sealer.seal(JSON.stringify(credentials), id), 'PX', ttlMs)));
    },
    async getLastGood(id) {
      return attempt('get', undefined, async () => open(await redis.get(key('last-good', id)), id));
    },
    async setLastGood(id, credentials, until) {
      const ttl = Math.floor(until - Date.now());
      if (ttl <= 0) {
        // As the in-process store does: an earlier value must not outlive this one.
        await attempt('del', undefined, async () => void (await redis.del(key('last-good', id))));
        return;
      }
      await attempt('set', undefined, async () => void (await redis.set(key('last-good', id), sealer.seal(JSON.stringify(credentials), id), 'PX', ttl)));
    },
    async forget(id) {
      local.delete(id);
      await attempt('del', undefined, async () => void (await redis.del(key('fresh', id), key('last-good', id))));
    },
    singleFlight(id, waitMs, load) {
      // In process first: one caller per instance goes on to the cross-instance lock.
      return flight(id, async () => {
        if (!ready()) {
          options.onFallback?.('lock');
          return load();
        }
        const mutex = new Mutex(redis, key('lock', id), {
          // The holder's load takes at most the deadline and two Redis writes: the lock outlives
          // it, so no other instance starts a second read meanwhile; a holder that died frees it
          // soon after.
          lockTimeout: waitMs + 2 * options.commandTimeoutMs + 1_000,
          acquireTimeout: waitMs,
          retryInterval: 10,
          refreshInterval: 0,
          onLockLost: () => {},
        });
        try {
          // At once when free; otherwise another instance is loading it, and we wait.
          if (!(await mutex.tryAcquire())) await mutex.acquire();
        } catch {
          // Redis trouble, or a wait past the deadline: read for ourselves.
          options.onFallback?.('lock');
          return load();
        }
        try {
          // Whoever held the lock before us may have stored it meanwhile.
          const filled = await readFresh(id);
          if (filled) {
            options.onCoalesced?.();
            return filled;
          }
          return await load();
        } finally {
          await mutex.release().catch(() => options.onFallback?.('unlock'));
        }
      });
    },
    health: () => (ready() ? 'ok' : 'degraded'),
    async close() {
      local.clear();
      redis.disconnect();
    },
  };
}
