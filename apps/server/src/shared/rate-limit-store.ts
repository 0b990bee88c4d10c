/**
 * Rate-limit counters shared by every instance through Redis (rate-limit-redis), with
 * express-rate-limit's in-process store standing in while Redis is slow or down: limits keep
 * holding per instance instead of failing requests or letting everything through. The Redis
 * store is made when Redis is ready, and made again after a failure (its scripts are loaded when
 * it is made).
 *
 * The two limits of a request cost one round trip, not two: when the request counts per key (see
 * `rate-limits.ts`), one script counts both counters, the per-key one only when the per-address
 * count is within its limit. Both counters count as rate-limit-redis counts: a fixed window from
 * the first hit.
 */
import { MemoryStore, type IncrementResponse } from 'express-rate-limit';
import type { Redis, Result } from 'ioredis';
import { RedisStore } from 'rate-limit-redis';
import { countBoth, figuresOf, storeOptions, type RateLimitCounters, type RateLimitSettings } from '../rate-limits.js';

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

/** One limit's counter: Redis when it is ready, the in-process store when not. */
interface FallbackCounter {
  increment(key: string): Promise<IncrementResponse>;
  /** Counts in process (Redis is not ready, or failed): the store's own object, to be copied (`figuresOf`). */
  inProcess(key: string): Promise<IncrementResponse>;
}

function fallbackCounter(redis: Redis, prefix: string, windowMs: number, onFallback: (operation: string) => void): FallbackCounter {
  const memory = new MemoryStore();
  memory.init(storeOptions(windowMs));
  let shared: RedisStore | undefined;

  const sharedStore = (): RedisStore | undefined => {
    if (redis.status !== 'ready') return undefined;
    if (!shared) {
      shared = new RedisStore({ prefix, sendCommand: (command: string, ...args: string[]) => redis.call(command, ...args) as Promise<never> });
      // init loads the scripts; a failure shows in the next call, which then makes a new store.
      void Promise.resolve(shared.init(storeOptions(windowMs))).catch(() => {});
    }
    return shared;
  };
  const inProcess = (key: string): Promise<IncrementResponse> => {
    onFallback('ratelimit');
    return memory.increment(key);
  };

  return {
    inProcess,
    async increment(key) {
      const store = sharedStore();
      if (store) {
        try {
          return await store.increment(key);
        } catch {
          shared = undefined;
        }
      }
      return figuresOf(await inProcess(key));
    },
  };
}

/** The two limits' counters in Redis under `prefix` (`<prefix>per-address:…`, `<prefix>per-key:…`). */
export function createSharedCounters(redis: Redis, prefix: string, settings: RateLimitSettings, onFallback: (operation: string) => void): RateLimitCounters {
  redis.defineCommand('rateLimitBoth', { numberOfKeys: 2, lua: COUNT_BOTH });
  const perAddressPrefix = `${prefix}per-address:`;
  const perKeyPrefix = `${prefix}per-key:`;
  const addresses = fallbackCounter(redis, perAddressPrefix, settings.windowMs, onFallback);
  const keys = fallbackCounter(redis, perKeyPrefix, settings.windowMs, onFallback);
  const countInProcess = countBoth(addresses.inProcess, keys.inProcess, settings.perAddress);

  return {
    async count(address, perKey) {
      if (perKey === undefined) return { address: await addresses.increment(address) };
      if (redis.status === 'ready') {
        try {
          const counts = await redis.rateLimitBoth(`${perAddressPrefix}${address}`, `${perKeyPrefix}${perKey}`, String(settings.windowMs), String(settings.perAddress));
          const now = Date.now();
          const [hits, ttl, perKeyHits, perKeyTtl] = counts.map(Number);
          return {
            address: { totalHits: hits!, resetTime: new Date(now + ttl!) },
            perKey: perKeyHits === undefined || perKeyTtl === undefined ? undefined : { totalHits: perKeyHits, resetTime: new Date(now + perKeyTtl) },
          };
        } catch {
          // Counted in process below.
        }
      }
      return countInProcess(address, perKey);
    },
    countKey: (perKey) => keys.increment(perKey),
  };
}
