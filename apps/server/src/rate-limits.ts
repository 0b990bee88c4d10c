/**
 * The two rate limits: per client address and per API key, in one pass per request.
 *
 * Every request counts against its address. A request to an operation whose key the operation
 * accepts also counts against its key, in the same pass, when its address is within its limit:
 * its route knows the operation, and the key is authenticated once for the pass and the key check
 * after it. A request refused per address, or without a key the operation accepts, does not count
 * per key. Counting is the stores' (express-rate-limit's in-process `MemoryStore`, or Redis
 * through `shared/rate-limit-store.ts`: one script run for both counters); this module reads the
 * counts, writes the headers the spec describes and refuses with 429. express-rate-limit's
 * middleware counts one limit per pass, so two limits cost two passes, each with its own key,
 * headers and awaits.
 *
 * The headers (the spec's `RateLimit`, `RateLimit-Policy`, `X-RateLimit-*`): both counting limits
 * in `RateLimit` and `RateLimit-Policy`, the per-address limit first, in the form of IETF
 * draft-ietf-httpapi-ratelimit-headers-08 as express-rate-limit writes it (the same partition key,
 * `pk`); `X-RateLimit-*` of the last counting limit, its reset in Unix time.
 */
import type { Request, RequestHandler, Response } from 'express';
import { ipKeyGenerator, MemoryStore, type IncrementResponse, type Options } from 'express-rate-limit';
import { LRUCache } from 'lru-cache';
import { meets, type OperationAccess } from './access.js';
import { authenticationOf, principalOf, sha256Hex, type KeyRing, type Principal } from './auth.js';
import { AppError } from './errors.js';
import type { Metrics } from './metrics.js';

export interface RateLimitSettings {
  windowMs: number;
  /** Requests per window per API key. */
  perKey: number;
  /** Requests per window per client address. */
  perAddress: number;
}

/** The counts of one request: its address's, and its key's when it counted per key. */
export interface RequestCounts {
  address: IncrementResponse;
  perKey?: IncrementResponse | undefined;
}

/** Where the counters live: in process, or shared (`shared/rate-limit-store.ts`). */
export interface RateLimitCounters {
  /**
   * Counts a hit of `address`, and of `perKey` when one is given and the address's count is
   * within `perAddressLimit`.
   */
  count(address: string, perKey: string | undefined): Promise<RequestCounts>;
  /** Counts a hit of a key alone (a request to what is no operation, after its key check). */
  countKey(perKey: string): Promise<IncrementResponse>;
}

type LimitName = 'per-address' | 'per-key';

/** A limit that counted a request: its counter (the address, or `key:<name>`) and the count. */
interface Counted {
  name: LimitName;
  counter: string;
  counted: IncrementResponse;
}

declare global {
  namespace Express {
    interface Locals {
      /** The limits that counted the request so far, in the order their headers list them. */
      rateLimits?: readonly Counted[];
    }
  }
}

/** A limit's counter of an API key. */
const perKeyCounter = (principal: Principal) => `key:${principal.name}`;

/** What a store needs to count: the window (express-rate-limit's stores take its options). */
export const storeOptions = (windowMs: number) => ({ windowMs }) as Options;

/**
 * A count's figures, copied: an express-rate-limit store hands out its own object, which later
 * requests count on before this one's figures are read.
 */
export const figuresOf = (counted: IncrementResponse): IncrementResponse => ({ totalHits: counted.totalHits, resetTime: counted.resetTime });

/** Counts both limits with the given counting functions, the per-key one only within the per-address limit. */
export function countBoth(
  countAddress: (key: string) => Promise<IncrementResponse>,
  countKey: (key: string) => Promise<IncrementResponse>,
  perAddressLimit: number,
): RateLimitCounters['count'] {
  return async (address, perKey) => {
    const counted = figuresOf(await countAddress(address));
    if (perKey === undefined || counted.totalHits > perAddressLimit) return { address: counted };
    return { address: counted, perKey: figuresOf(await countKey(perKey)) };
  };
}

/** The counters of one instance, in express-rate-limit's in-process stores. */
export function inProcessCounters(settings: RateLimitSettings): RateLimitCounters {
  const addresses = new MemoryStore();
  const keys = new MemoryStore();
  addresses.init(storeOptions(settings.windowMs));
  keys.init(storeOptions(settings.windowMs));
  return {
    count: countBoth((key) => addresses.increment(key), (key) => keys.increment(key), settings.perAddress),
    countKey: async (key) => figuresOf(await keys.increment(key)),
  };
}

/** The rate-limit middleware of the server. */
export interface RateLimits {
  /** First on an operation's route, after it is matched and before its key check: both limits. */
  operation(operation: OperationAccess): RequestHandler;
  /** What is no operation: the per-address limit. */
  perAddress: RequestHandler;
  /** What is no operation, after its key check: the per-key limit. */
  perKey: RequestHandler;
}

/** A partition key per counter, as express-rate-limit makes it: the first 12 hex digits of its SHA-256, in base64. */
const partitionKey = (counter: string) => Buffer.from(sha256Hex(counter).slice(0, 12)).toString('base64');

export function createRateLimits(settings: RateLimitSettings, counters: RateLimitCounters, keyRing: KeyRing, metrics: Metrics): RateLimits {
  const windowSeconds = Math.ceil(settings.windowMs / 1000);
  const limits: Record<LimitName, number> = { 'per-address': settings.perAddress, 'per-key': settings.perKey };

  // A limit's policy for a counter does not change, so it is made once per counter: each key's
  // here, at start, with its counter (keys are configured); an address's on its first request, in
  // a bounded cache (addresses are many).
  const policy = (name: LimitName, counter: string) => `"${name}"; q=${limits[name]}; w=${windowSeconds}; pk=:${partitionKey(counter)}:`;
  const keyCounters = new Map<Principal, string>();
  const keyPolicies = new Map<string, string>();
  for (const principal of keyRing.principals) {
    const counter = perKeyCounter(principal);
    keyCounters.set(principal, counter);
    keyPolicies.set(counter, policy('per-key', counter));
  }
  const counterOf = (principal: Principal) => keyCounters.get(principal) ?? perKeyCounter(principal);
  const addressPolicies = new LRUCache<string, string>({ max: 10_000 });
  const policyOf = ({ name, counter }: Counted) => {
    let made = name === 'per-key' ? keyPolicies.get(counter) : addressPolicies.get(counter);
    if (made === undefined) {
      made = policy(name, counter);
      if (name === 'per-address') addressPolicies.set(counter, made);
    }
    return made;
  };

  const secondsUntil = (reset: Date | undefined, now: number) => (reset ? Math.max(0, Math.ceil((reset.getTime() - now) / 1000)) : windowSeconds);
  const remainingOf = ({ name, counted }: Counted) => Math.max(limits[name] - counted.totalHits, 0);
  const stateOf = (c: Counted, now: number) => `"${c.name}"; r=${remainingOf(c)}; t=${secondsUntil(c.counted.resetTime, now)}`;

  /** The 429 of a limit, its `Retry-After` the seconds until its window resets (at least one). */
  function refusal({ name, counted }: Counted): AppError {
    metrics.rateLimited.inc({ limit: name });
    return new AppError('RATE_LIMIT_EXCEEDED', {
      systemMessage: `Rate limit ${name} exceeded (${limits[name]} per ${settings.windowMs / 1000} s)`,
      retryAfterSeconds: Math.max(1, secondsUntil(counted.resetTime, Date.now())),
    });
  }

  const addressOf = (req: Request) => ipKeyGenerator(req.ip ?? req.socket.remoteAddress ?? '');

  /**
   * Adds the limits that counted the request to those that counted it before (a request to what
   * is no operation passes twice), writes their headers and goes on, or refuses by the first
   * limit the request is over.
   */
  function answer(res: Response, next: (error?: unknown) => void, counted: readonly Counted[]) {
    const all = res.locals.rateLimits === undefined ? counted : [...res.locals.rateLimits, ...counted];
    res.locals.rateLimits = all;
    if (!res.headersSent) {
      const now = Date.now();
      const last = all[all.length - 1]!;
      res.setHeader('RateLimit', all.map((c) => stateOf(c, now)).join(', '));
      res.setHeader('RateLimit-Policy', all.map(policyOf).join(', '));
      res.setHeader('X-RateLimit-Limit', String(limits[last.name]));
      res.setHeader('X-RateLimit-Remaining', String(remainingOf(last)));
      if (last.counted.resetTime) res.setHeader('X-RateLimit-Reset', String(Math.ceil(last.counted.resetTime.getTime() / 1000)));
    }
    const over = counted.find((c) => c.counted.totalHits > limits[c.name]);
    next(over && refusal(over));
  }

  const countRequest = (req: Request, res: Response, next: (error?: unknown) => void, perKey: string | undefined) => {
    const address = addressOf(req);
    counters.count(address, perKey).then((counts) => {
      const counted: Counted[] = [{ name: 'per-address', counter: address, counted: counts.address }];
      if (counts.perKey !== undefined && perKey !== undefined) counted.push({ name: 'per-key', counter: perKey, counted: counts.perKey });
      answer(res, next, counted);
    }, next);
  };

  return {
    operation: (operation) => (req, res, next) => {
      const authentication = authenticationOf(keyRing, req, res);
      countRequest(req, res, next, authentication.ok && meets(authentication.principal, operation.requirements) ? counterOf(authentication.principal) : undefined);
    },
    perAddress: (req, res, next) => countRequest(req, res, next, undefined),
    perKey: (_req, res, next) => {
      const perKey = counterOf(principalOf(res));
      counters.countKey(perKey).then((counted) => answer(res, next, [{ name: 'per-key', counter: perKey, counted }]), next);
    },
  };
}
