/**
 * express-rate-limit counters shared by every instance through Redis (rate-limit-redis), with
 * the in-process store standing in while Redis is slow or down: limits keep holding per
 * instance instead of failing requests or letting everything through. The Redis store is made
 * when Redis is ready, and made again after a failure (its scripts are loaded when it is made).
 *
 * The two limits of a request cost one round trip, not two: the route tells `together` which
 * per-key counter the request will count against (it is authenticated and allowed), and the
 * per-address store counts both in one script; the per-key limiter then takes that count instead
 * of asking Redis again. The script counts the per-key hit only when the per-address count is
 * within its limit, as the per-key limiter, which never runs for a request refused per address,
 * would. Both counters count as rate-limit-redis counts: a fixed window from the first hit.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { MemoryStore, type ClientRateLimitInfo, type IncrementResponse, type Options, type Store } from 'express-rate-limit';
import type { Redis, Result } from 'ioredis';
import { RedisStore } from 'rate-limit-redis';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    /** KEYS: the per-address and per-key counters; ARGV: the window in ms, the per-address limit. */
    rateLimitBoth(perAddress: string, perKey: string, windowMs: string, perAddressLimit: string): Result<number[], Context>;
  }
}

/** Both counters (one Redis instance or hash slot: the keys share the prefix); the per-key one only within the per-address limit. */
const COUNT_BOTH = `
local function hit(key, windowMs)
  local ttl = redis.call("PTTL", key)
  if ttl <= 0 then
    redis.call("SET", key, 1, "PX", windowMs)
    return { 1, windowMs }
  end
  return { redis.call("INCR", key), ttl }
end
local windowMs = tonumber(ARGV[1])
local address = hit(KEYS[1], windowMs)
if address[1] > tonumber(ARGV[2]) then return address end
local perKey = hit(KEYS[2], windowMs)
return { address[1], address[2], perKey[1], perKey[2] }
`;

/** What one request's chain carries between its two limiters. */
interface Together {
  /** The per-key counter this request counts against; undefined when it is not counted per key. */
  readonly perKey: string | undefined;
  /** That counter's count, made with the per-address one, until the per-key limiter takes it. */
  counted?: { key: string; result: IncrementResponse } | undefined;
}

export interface SharedRateLimits {
  /** The store of the per-address limit: it also counts the request's per-key hit when `together` names one. */
  readonly perAddress: Store;
  /** The store of the per-key limit: it takes the count made with the per-address one, else asks itself. */
  readonly perKey: Store;
  /** Runs `run` (the rest of the request's chain) with the per-key counter the request counts against. */
  together(perKey: string | undefined, run: () => void): void;
}

/**
 * One limit's store: Redis when it is ready, the in-process store when not. `countShared` counts
 * a hit in Redis (rate-limit-redis's increment unless given).
 */
function fallbackStore(
  redis: Redis,
  prefix: string,
  onFallback: (operation: string) => void,
  countShared?: (key: string, options: Options) => Promise<IncrementResponse> | undefined,
): Store {
  const memory = new MemoryStore();
  let options: Options | undefined;
  let shared: RedisStore | undefined;

  const sharedStore = (): RedisStore | undefined => {
    if (redis.status !== 'ready' || !options) return undefined;
    if (!shared) {
      shared = new RedisStore({ prefix, sendCommand: (command: string, ...args: string[]) => redis.call(command, ...args) as Promise<never> });
      // init loads the scripts; a failure shows in the next call, which then makes a new store.
      void Promise.resolve(shared.init(options)).catch(() => {});
    }
    return shared;
  };

  async function either<T>(operation: string, onShared: (store: RedisStore) => Promise<T>, onMemory: () => T | Promise<T>): Promise<T> {
    const store = sharedStore();
    if (store) {
      try {
        return await onShared(store);
      } catch {
        shared = undefined;
      }
    }
    onFallback(operation);
    return onMemory();
  }

  return {
    localKeys: false,
    prefix,
    init(given: Options) {
      options = given;
      memory.init(given);
    },
    get: (key: string): Promise<ClientRateLimitInfo | undefined> => either('ratelimit', (s) => s.get(key), () => memory.get(key)),
    increment: (key: string): Promise<IncrementResponse> =>
      either('ratelimit', (s) => countShared?.(key, options!) ?? s.increment(key), () => memory.increment(key)),
    decrement: (key: string) => either('ratelimit', (s) => s.decrement(key), () => memory.decrement(key)),
    resetKey: (key: string) => either('ratelimit', (s) => s.resetKey(key), () => memory.resetKey(key)),
    shutdown: () => memory.shutdown(),
  };
}

/** The two limits' stores in Redis under `prefix` (`<prefix>per-address:…`, `<prefix>per-key:…`). */
export function createSharedRateLimits(redis: Redis, prefix: string, onFallback: (operation: string) => void): SharedRateLimits {
  const requests = new AsyncLocalStorage<Together>();
  redis.defineCommand('rateLimitBoth', { numberOfKeys: 2, lua: COUNT_BOTH });
  const perKeyPrefix = `${prefix}per-key:`;
  const perAddressPrefix = `${prefix}per-address:`;

  const perAddress = fallbackStore(redis, perAddressPrefix, onFallback, (key, options) => {
    const request = requests.getStore();
    const perKey = request?.perKey;
    if (perKey === undefined || typeof options.limit !== 'number') return undefined;
    return redis.rateLimitBoth(`${perAddressPrefix}${key}`, `${perKeyPrefix}${perKey}`, String(options.windowMs), String(options.limit)).then((counts) => {
      const now = Date.now();
      const [hits, ttl, perKeyHits, perKeyTtl] = counts.map(Number);
      if (perKeyHits !== undefined && perKeyTtl !== undefined) request!.counted = { key: perKey, result: { totalHits: perKeyHits, resetTime: new Date(now + perKeyTtl) } };
      return { totalHits: hits!, resetTime: new Date(now + ttl!) };
    });
  });

  const perKeyStore = fallbackStore(redis, perKeyPrefix, onFallback);
  const perKey: Store = {
    ...perKeyStore,
    init: (options) => perKeyStore.init?.(options),
    increment(key) {
      const request = requests.getStore();
      const counted = request?.counted;
      if (counted !== undefined && counted.key === key) {
        request!.counted = undefined;
        return Promise.resolve(counted.result);
      }
      return perKeyStore.increment(key) as Promise<IncrementResponse>;
    },
  };

  return {
    perAddress,
    perKey,
    together: (key, run) => requests.run({ perKey: key }, run),
  };
}
