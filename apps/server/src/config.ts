import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
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

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const flag = z
  .enum(['true', 'false', '1', '0'])
  .transform((v) => v === 'true' || v === '1')
  .optional();

/** Every variable the server reads, with its rule: the keys of its shape are the whole environment. */
export const environment = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
    HOST: z.string().min(1).default('127.0.0.1'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    COMPOSIO_BASE_URL: z.url({ protocol: /^https?$/, error: 'COMPOSIO_BASE_URL must be an http(s) URL' }).optional(),
    COMPOSIO_API_KEY: z.string().min(1).optional(),
    COMPOSIO_API_VERSION: z.enum(['v3', 'v3.1']).default('v3'),
    COMPOSIO_TIMEOUT_MS: positiveInt(5_000),
    COMPOSIO_RETRIES: z.coerce.number().int().min(0).max(5).default(1),
    /** Seconds to ask callers to wait when Composio rate limits without saying for how long. */
    UPSTREAM_RETRY_AFTER_SECONDS: positiveInt(30),
    API_KEYS: z.string().optional(),
    API_KEYS_FILE: z.string().min(1).optional(),
    VALIDATE_RESPONSES: flag,
    SHUTDOWN_TIMEOUT_MS: positiveInt(10_000),
    COMPOSIO_MAX_RESPONSE_BYTES: positiveInt(1_048_576),
    CACHE_TTL_MS: z.coerce.number().int().min(0).default(30_000),
    /** Credentials kept in process: the whole cache without Redis, the tier in front of it with Redis. */
    CREDENTIALS_CACHE_MAX_ENTRIES: positiveInt(1_000),
    CACHE_EXPIRY_MARGIN_MS: z.coerce.number().int().min(0).default(60_000),
    BREAKER_THRESHOLD: positiveInt(5),
    BREAKER_HALF_OPEN_AFTER_MS: positiveInt(10_000),
    RATE_LIMIT_WINDOW_MS: positiveInt(60_000),
    RATE_LIMIT_PER_KEY: positiveInt(600),
    RATE_LIMIT_PER_ADDRESS: positiveInt(1_200),
    /** Express "trust proxy": hops or addresses whose X-Forwarded-For is believed. Off by default. */
    TRUST_PROXY: z.string().min(1).optional(),
    /** The registry's PostgreSQL; without it, PGlite in DATA_DIR. */
    DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: 'DATABASE_URL must be a postgres:// URL' }).optional(),
    DATABASE_POOL_SIZE: positiveInt(10),
    /** PGlite's data directory (`memory://` keeps it in memory). */
    DATA_DIR: z.string().min(1).default('.data'),
    REGISTRY_CACHE_TTL_MS: positiveInt(300_000),
    /** Registry lookups (by credential id, by connection id) cached in each instance. */
    REGISTRY_CACHE_MAX_ENTRIES: positiveInt(10_000),
    /** Shared state (cache, single-flight, rate limits) for several instances; in process without it. */
    REDIS_URL: z.url({ protocol: /^rediss?$/, error: 'REDIS_URL must be a redis:// or rediss:// URL' }).optional(),
    /** Seals every value written to Redis; unused without REDIS_URL. */
    REDIS_ENCRYPTION_KEY: z.string().min(1).optional(),
    REDIS_COMMAND_TIMEOUT_MS: positiveInt(250),
    /** Life of the in-process tier in front of Redis; unused without REDIS_URL. */
    REDIS_LOCAL_CACHE_TTL_MS: positiveInt(1_000),
    CACHE_LAST_GOOD_MAX_MS: positiveInt(3_600_000),
    /** Serve the last good credentials when Composio fails (marked X-Credentials-Stale). */
    STALE_IF_ERROR: flag,
  })
  .superRefine((env, ctx) => {
    if (env.API_KEYS !== undefined && env.API_KEYS_FILE !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['API_KEYS_FILE'], message: 'set API_KEYS or API_KEYS_FILE, not both' });
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
  registry: { databaseUrl: string | undefined; poolSize: number; dataDir: string; cacheTtlMs: number; cacheMaxEntries: number };
  /** Shared state through Redis; undefined keeps everything in process. */
  redis: { url: string; keys: Buffer[]; commandTimeoutMs: number; localTtlMs: number } | undefined;
  /** Stale-if-error: keep last good credentials (at most lastGoodMaxMs when they have no expiry) and serve them when Composio fails. */
  staleIfError: { enabled: boolean; lastGoodMaxMs: number };
  upstreamRetryAfterSeconds: number;
  apiKeys: ApiKeyEntry[];
  validateResponses: boolean;
  shutdownTimeoutMs: number;
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
    trustProxy: parseTrustProxy(env.TRUST_PROXY),
    registry: { databaseUrl: env.DATABASE_URL, poolSize: env.DATABASE_POOL_SIZE, dataDir: env.DATA_DIR, cacheTtlMs: env.REGISTRY_CACHE_TTL_MS, cacheMaxEntries: env.REGISTRY_CACHE_MAX_ENTRIES },
    redis: env.REDIS_URL === undefined ? undefined : { url: env.REDIS_URL, keys: cacheKeys!, commandTimeoutMs: env.REDIS_COMMAND_TIMEOUT_MS, localTtlMs: env.REDIS_LOCAL_CACHE_TTL_MS },
    staleIfError: { enabled: env.STALE_IF_ERROR ?? true, lastGoodMaxMs: env.CACHE_LAST_GOOD_MAX_MS },
    upstreamRetryAfterSeconds: env.UPSTREAM_RETRY_AFTER_SECONDS,
    apiKeys,
    validateResponses: env.VALIDATE_RESPONSES ?? env.NODE_ENV !== 'production',
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
    deprecations,
  };
}
