/**
 * express-rate-limit counters shared by every instance through Redis (rate-limit-redis), with
 * the in-process store standing in while Redis is slow or down: limits keep holding per
 * instance instead of failing requests or letting everything through. The Redis store is made
 * when Redis is ready, and made again after a failure (its scripts are loaded when it is made).
 */
import { MemoryStore, type ClientRateLimitInfo, type IncrementResponse, type Options, type Store } from 'express-rate-limit';
import type { Redis } from 'ioredis';
import { RedisStore } from 'rate-limit-redis';

export function createFallbackRateLimitStore(redis: Redis, prefix: string, onFallback: (operation: string) => void): Store {
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
    increment: (key: string): Promise<IncrementResponse> => either('ratelimit', (s) => s.increment(key), () => memory.increment(key)),
    decrement: (key: string) => either('ratelimit', (s) => s.decrement(key), () => memory.decrement(key)),
    resetKey: (key: string) => either('ratelimit', (s) => s.resetKey(key), () => memory.resetKey(key)),
    shutdown: () => memory.shutdown(),
  };
}
