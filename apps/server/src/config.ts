import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import express from 'express';
import { z } from 'zod';
import { KEY_HEADERS, type KeyHeader } from './auth.js';
import { parseSealingKeys } from './shared/sealed.js';

const keyEntry = z
  .object({
    name: z.string().min(1).max(100),
    header: z
      .string()
      .transform((h, ctx) => {
        const match = KEY_HEADERS.find((k) => k.toLowerCase() === h.toLowerCase());
        if (!match) ctx.addIssue({ code: 'custom', message: `header must be one of ${KEY_HEADERS.join(', ')}` });
        return match as KeyHeader;
      }),
    sha256: z
      .string()
      .regex(/^[0-9a-fA-F]{64}$/, 'sha256 must be the 64 hex digits of the SHA-256 digest of the key')
      .transform((s) => s.toLowerCase()),
    roles: z.array(z.string().min(1)).default([]),
  })
  .strict();

export type ApiKeyEntry = z.infer<typeof keyEntry>;

const keyList = z.array(keyEntry).superRefine((keys, ctx) => {
  const names = new Set<string>();
  const digests = new Set<string>();
  keys.forEach((key, index) => {
    if (names.has(key.name)) ctx.addIssue({ code: 'custom', path: [index, 'name'], message: `duplicate key name ${key.name}` });
    if (digests.has(key.sha256)) ctx.addIssue({ code: 'custom', path: [index, 'sha256'], message: 'the same key is configured twice' });
    names.add(key.name);
    digests.add(key.sha256);
  });
});

/** The longest delay a Node timer takes: a longer one fires at once. */
const MAX_TIMER_MS = 2_147_483_647;
/**
 * A whole number in `[min, max]`. An empty value is refused, not read as 0 (`PORT=` would
 * otherwise pick a random port, `CACHE_TTL_MS=` turn the cache off).
 */
const integer = (min: number, max: number) =>
  z
    .string()
    .regex(/^\s*-?\d+\s*$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));
const count = (fallback: number) => integer(1, Number.MAX_SAFE_INTEGER).default(fallback);
/** Milliseconds, at most what a timer takes. */
const ms = (fallback: number, min = 1) => integer(min, MAX_TIMER_MS).default(fallback);
const seconds = (fallback: number) => integer(1, MAX_TIMER_MS / 1000).default(fallback);
const flag = z
  .enum(['true', 'false', '1', '0'])
  .transform((v) => v === 'true' || v === '1')
  .optional();

/** Every variable the server reads, with its rule: the keys of its shape are the whole environment. */
export const environment = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    PORT: integer(0, 65_535).default(3000),
    HOST: z.string().min(1).default('127.0.0.1'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    COMPOSIO_BASE_URL: z
      .url({ protocol: /^https?$/, error: 'COMPOSIO_BASE_URL must be an http(s) URL' })
      // It is logged at start: a password in it would reach the log. The key goes in COMPOSIO_API_KEY.
      .refine((url) => { const { username, password } = new URL(url); return username === '' && password === ''; }, 'COMPOSIO_BASE_URL must not carry a user or password (the key goes in COMPOSIO_API_KEY)')
      .optional(),
    COMPOSIO_API_KEY: z.string().min(1).optional(),
    COMPOSIO_API_VERSION: z.enum(['v3', 'v3.1']).default('v3'),
    COMPOSIO_TIMEOUT_MS: ms(5_000),
    COMPOSIO_RETRIES: integer(0, 5).default(1),
    /** Seconds to ask callers to wait when Composio rate limits without saying for how long. */
    UPSTREAM_RETRY_AFTER_SECONDS: seconds(30),
    API_KEYS: z.string().optional(),
    API_KEYS_FILE: z.string().min(1).optional(),
    VALIDATE_RESPONSES: flag,
    SHUTDOWN_TIMEOUT_MS: ms(10_000),
    /** Longest wait for a request's headers (then 408). */
    HTTP_HEADERS_TIMEOUT_MS: ms(10_000),
    /** Longest wait for a whole request, body included (then 408). */
    HTTP_REQUEST_TIMEOUT_MS: ms(30_000),
    COMPOSIO_MAX_RESPONSE_BYTES: count(1_048_576),
    CACHE_TTL_MS: ms(30_000, 0),
    /** Credentials kept in process: the whole cache without Redis, the tier in front of it with Redis. */
    CREDENTIALS_CACHE_MAX_ENTRIES: count(1_000),
    CACHE_EXPIRY_MARGIN_MS: ms(60_000, 0),
    BREAKER_THRESHOLD: count(5),
    BREAKER_HALF_OPEN_AFTER_MS: ms(10_000),
    RATE_LIMIT_WINDOW_MS: ms(60_000),
    RATE_LIMIT_PER_KEY: count(600),
    RATE_LIMIT_PER_ADDRESS: count(1_200),
    /** Express "trust proxy": hops or addresses whose X-Forwarded-For is believed. Off by default. */
    TRUST_PROXY: z.string().min(1).optional(),
    /** The registry's PostgreSQL; without it, PGlite in DATA_DIR. */
    DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: 'DATABASE_URL must be a postgres:// URL' }).optional(),
    DATABASE_POOL_SIZE: count(10),
    /** PGlite's data directory (`memory://` keeps it in memory). */
    DATA_DIR: z.string().min(1).default('.data'),
    REGISTRY_CACHE_TTL_MS: ms(300_000),
    /** How long after the database is lost the registry entries kept in memory are still served (marked). 0 serves none. */
    REGISTRY_STALE_MAX_MS: ms(60_000, 0),
    /** Longest wait for a database connection (new, or a free one of the pool). */
    DATABASE_CONNECT_TIMEOUT_MS: ms(2_000),
    /** Longest run of a registry statement; PostgreSQL cancels it. */
    DATABASE_STATEMENT_TIMEOUT_MS: ms(5_000),
    /** Retry-After of a 503 DATABASE_UNAVAILABLE. */
    DATABASE_RETRY_AFTER_SECONDS: seconds(5),
    /** Registry lookups (by credential id, by connection id) cached in each instance. */
    REGISTRY_CACHE_MAX_ENTRIES: count(10_000),
    /** Shared state (cache, single-flight, rate limits) for several instances; in process without it. */
    REDIS_URL: z.url({ protocol: /^rediss?$/, error: 'REDIS_URL must be a redis:// or rediss:// URL' }).optional(),
    /** Seals every value written to Redis; unused without REDIS_URL. */
    REDIS_ENCRYPTION_KEY: z.string().min(1).optional(),
    REDIS_COMMAND_TIMEOUT_MS: ms(250),
    /** Life of the in-process tier in front of Redis; unused without REDIS_URL. */
    REDIS_LOCAL_CACHE_TTL_MS: ms(1_000),
    CACHE_LAST_GOOD_MAX_MS: ms(3_600_000),
    /** Serve the last good credentials when Composio fails (marked X-Credentials-Stale). */
    STALE_IF_ERROR: flag,
    // Former names (DEPRECATED_NAMES), still read for one minor release: their values are moved to
    // the current names before this schema reads them. Declared here so the schema lists every
    // variable the server reads.
    CACHE_MAX_ENTRIES: integer(1, Number.MAX_SAFE_INTEGER).optional(),
    CACHE_LOCAL_TTL_MS: integer(1, MAX_TIMER_MS).optional(),
    CACHE_ENCRYPTION_KEY: z.string().min(1).optional(),
  })
  .superRefine((env, ctx) => {
    if (env.API_KEYS !== undefined && env.API_KEYS_FILE !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['API_KEYS_FILE'], message: 'set API_KEYS or API_KEYS_FILE, not both' });
    }
    if (env.HTTP_HEADERS_TIMEOUT_MS > env.HTTP_REQUEST_TIMEOUT_MS) {
      ctx.addIssue({ code: 'custom', path: ['HTTP_HEADERS_TIMEOUT_MS'], message: 'must not be longer than HTTP_REQUEST_TIMEOUT_MS (the headers are part of the request)' });
    }
  });

export interface Config {
  /** NODE_ENV: decides the defaults above and the production checks; logged at start. */
  env: 'development' | 'test' | 'production';
  port: number;
  host: string;
  logLevel: string;
  composio: {
    baseUrl: string;
    apiKey: string | undefined;
    apiVersion: 'v3' | 'v3.1';
    timeoutMs: number;
    retries: number;
    maxResponseBytes: number;
  };
  breaker: { threshold: number; halfOpenAfterMs: number };
  /** The credential cache; `maxEntries` is what is kept in process. */
  cache: { ttlMs: number; maxEntries: number; expiryMarginMs: number };
  rateLimit: { windowMs: number; perKey: number; perAddress: number };
  trustProxy: boolean | number | string;
  registry: {
    databaseUrl: string | undefined;
    poolSize: number;
    dataDir: string;
    cacheTtlMs: number;
    /** Serve kept entries, marked, for this long after the database is lost. */
    staleMaxMs: number;
    connectTimeoutMs: number;
    statementTimeoutMs: number;
    retryAfterSeconds: number;
    cacheMaxEntries: number;
  };
  /** Shared state through Redis; undefined keeps everything in process. */
  redis: { url: string; keys: Buffer[]; commandTimeoutMs: number; localTtlMs: number } | undefined;
  /** Stale-if-error: keep last good credentials (at most lastGoodMaxMs when they have no expiry) and serve them when Composio fails. */
  staleIfError: { enabled: boolean; lastGoodMaxMs: number };
  upstreamRetryAfterSeconds: number;
  apiKeys: ApiKeyEntry[];
  validateResponses: boolean;
  shutdownTimeoutMs: number;
  /** How long a client may take to send a request's headers, and the whole request. */
  http: { headersTimeoutMs: number; requestTimeoutMs: number };
  /** Deprecated setting names in use, one sentence each, logged as warnings at start. */
  deprecations: string[];
}

/** Former names still read for one minor release (then removed): [former, current]. */
export const DEPRECATED_NAMES = [
  ['CACHE_MAX_ENTRIES', 'CREDENTIALS_CACHE_MAX_ENTRIES'],
  ['CACHE_LOCAL_TTL_MS', 'REDIS_LOCAL_CACHE_TTL_MS'],
  ['CACHE_ENCRYPTION_KEY', 'REDIS_ENCRYPTION_KEY'],
] as const;

/** The environment with former names moved to their current ones (a current name set wins), and what to warn about. */
function renameDeprecated(source: NodeJS.ProcessEnv): { env: NodeJS.ProcessEnv; deprecations: string[] } {
  const env = { ...source };
  const deprecations: string[] = [];
  for (const [former, current] of DEPRECATED_NAMES) {
    if (source[former] === undefined) continue;
    delete env[former];
    if (source[current] === undefined) {
      env[current] = source[former];
      deprecations.push(`${former} is deprecated and will be removed in the next minor release: set ${current} instead`);
    } else {
      deprecations.push(`${former} is deprecated and ignored, as ${current} is set: remove ${former}`);
    }
  }
  return { env, deprecations };
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

const describeIssues = (issues: z.core.$ZodIssue[], prefix = '') =>
  issues.map((i) => `${prefix}${i.path.length ? i.path.join('.') : '(value)'}: ${i.message}`);

function parseKeys(raw: string, source: string): ApiKeyEntry[] {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    // Never echo the content: it may hold a key pasted by mistake.
    throw new ConfigError([`${source} is not valid JSON (expected a list of { name, header, sha256, roles })`]);
  }
  const parsed = keyList.safeParse(json);
  if (!parsed.success) throw new ConfigError(describeIssues(parsed.error.issues, `${source}[`).map((m) => m.replace(/^(\S+?)\[(\d+)\./, '$1[$2].')));
  return parsed.data;
}

function parseTrustProxy(value: string | undefined): boolean | number | string {
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  return /^\d+$/.test(value) ? Number(value) : value;
}

/** Why Express would refuse this "trust proxy" value (an address or subnet it cannot read), if it would. */
function trustProxyProblem(value: boolean | number | string): string | undefined {
  try {
    express().set('trust proxy', value);
    return undefined;
  } catch (error) {
    return `TRUST_PROXY: ${(error as Error).message} (expected true, false, a number of hops, or addresses, subnets and loopback, linklocal, uniquelocal, separated by commas)`;
  }
}

/** Reads and validates the configuration once, at start. Throws ConfigError with every problem. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const { env: renamed, deprecations } = renameDeprecated(source);
  const parsed = environment.safeParse(renamed);
  if (!parsed.success) throw new ConfigError(describeIssues(parsed.error.issues));
  const env = parsed.data;

  let apiKeys: ApiKeyEntry[] = [];
  if (env.API_KEYS !== undefined) apiKeys = parseKeys(env.API_KEYS, 'API_KEYS');
  if (env.API_KEYS_FILE !== undefined) {
    let raw: string;
    try {
      raw = readFileSync(env.API_KEYS_FILE, 'utf8');
    } catch (error) {
      throw new ConfigError([`API_KEYS_FILE: cannot read ${env.API_KEYS_FILE} (${(error as NodeJS.ErrnoException).code ?? 'error'})`]);
    }
    apiKeys = parseKeys(raw, 'API_KEYS_FILE');
  }

  const problems: string[] = [];
  if (env.COMPOSIO_BASE_URL === undefined) problems.push('COMPOSIO_BASE_URL: required (the Composio API, or a mock of it)');
  if (env.NODE_ENV === 'production') {
    if (env.COMPOSIO_API_KEY === undefined) problems.push('COMPOSIO_API_KEY: required when NODE_ENV=production');
    if (!apiKeys.some((k) => k.roles.includes('admin'))) {
      problems.push('API_KEYS / API_KEYS_FILE: at least one key with the admin role is required when NODE_ENV=production');
    }
  }
  let cacheKeys: Buffer[] | undefined;
  if (env.REDIS_ENCRYPTION_KEY !== undefined) {
    try {
      cacheKeys = parseSealingKeys(env.REDIS_ENCRYPTION_KEY);
    } catch (error) {
      problems.push(`REDIS_ENCRYPTION_KEY: ${(error as Error).message}`);
    }
  }
  if (env.REDIS_URL !== undefined && env.REDIS_ENCRYPTION_KEY === undefined) {
    if (env.NODE_ENV === 'production') problems.push('REDIS_ENCRYPTION_KEY: required with REDIS_URL when NODE_ENV=production (credentials are sealed before they reach Redis)');
    // Elsewhere a key for this process alone: entries it seals are unreadable to other processes.
    else cacheKeys = [randomBytes(32)];
  }
  const trustProxy = parseTrustProxy(env.TRUST_PROXY);
  const trustProblem = trustProxyProblem(trustProxy);
  if (trustProblem !== undefined) problems.push(trustProblem);
  if (problems.length) throw new ConfigError(problems);

  return {
    env: env.NODE_ENV,
    port: env.PORT,
    host: env.HOST,
    logLevel: env.LOG_LEVEL,
    composio: {
      baseUrl: env.COMPOSIO_BASE_URL!.replace(/\/+$/, ''),
      apiKey: env.COMPOSIO_API_KEY,
      apiVersion: env.COMPOSIO_API_VERSION,
      timeoutMs: env.COMPOSIO_TIMEOUT_MS,
      retries: env.COMPOSIO_RETRIES,
      maxResponseBytes: env.COMPOSIO_MAX_RESPONSE_BYTES,
    },
    breaker: { threshold: env.BREAKER_THRESHOLD, halfOpenAfterMs: env.BREAKER_HALF_OPEN_AFTER_MS },
    cache: { ttlMs: env.CACHE_TTL_MS, maxEntries: env.CREDENTIALS_CACHE_MAX_ENTRIES, expiryMarginMs: env.CACHE_EXPIRY_MARGIN_MS },
    rateLimit: { windowMs: env.RATE_LIMIT_WINDOW_MS, perKey: env.RATE_LIMIT_PER_KEY, perAddress: env.RATE_LIMIT_PER_ADDRESS },
    trustProxy,
    registry: {
      databaseUrl: env.DATABASE_URL,
      poolSize: env.DATABASE_POOL_SIZE,
      dataDir: env.DATA_DIR,
      cacheTtlMs: env.REGISTRY_CACHE_TTL_MS,
      staleMaxMs: env.REGISTRY_STALE_MAX_MS,
      connectTimeoutMs: env.DATABASE_CONNECT_TIMEOUT_MS,
      statementTimeoutMs: env.DATABASE_STATEMENT_TIMEOUT_MS,
      retryAfterSeconds: env.DATABASE_RETRY_AFTER_SECONDS,
      cacheMaxEntries: env.REGISTRY_CACHE_MAX_ENTRIES,
    },
    redis: env.REDIS_URL === undefined ? undefined : { url: env.REDIS_URL, keys: cacheKeys!, commandTimeoutMs: env.REDIS_COMMAND_TIMEOUT_MS, localTtlMs: env.REDIS_LOCAL_CACHE_TTL_MS },
    staleIfError: { enabled: env.STALE_IF_ERROR ?? true, lastGoodMaxMs: env.CACHE_LAST_GOOD_MAX_MS },
    upstreamRetryAfterSeconds: env.UPSTREAM_RETRY_AFTER_SECONDS,
    apiKeys,
    validateResponses: env.VALIDATE_RESPONSES ?? env.NODE_ENV !== 'production',
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
    http: { headersTimeoutMs: env.HTTP_HEADERS_TIMEOUT_MS, requestTimeoutMs: env.HTTP_REQUEST_TIMEOUT_MS },
    deprecations,
  };
}
