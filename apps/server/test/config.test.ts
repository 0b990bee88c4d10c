import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, DEPRECATED_NAMES, environment, loadConfig } from '../src/config.js';
import { API_KEYS_JSON } from './helpers.js';

const base = { COMPOSIO_BASE_URL: 'http://127.0.0.1:1' };
const problems = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
};

describe('configuration', () => {
  it('has defaults for everything but the Composio URL', () => {
    const config = loadConfig(base);
    expect(config).toMatchObject({ env: 'development', port: 3000, host: '127.0.0.1', validateResponses: true, apiKeys: [] });
    expect(config.composio).toMatchObject({ baseUrl: 'http://127.0.0.1:1', apiVersion: 'v3', timeoutMs: 5000, retries: 1 });
  });

  it("bounds the registry's database waits and its outage window, 0 turning the window off", () => {
    expect(loadConfig(base).registry).toMatchObject({ staleMaxMs: 60_000, connectTimeoutMs: 2_000, statementTimeoutMs: 5_000, retryAfterSeconds: 5 });
    const set = loadConfig({ ...base, REGISTRY_STALE_MAX_MS: '0', DATABASE_CONNECT_TIMEOUT_MS: '500', DATABASE_STATEMENT_TIMEOUT_MS: '1500', DATABASE_RETRY_AFTER_SECONDS: '2' });
    expect(set.registry).toMatchObject({ staleMaxMs: 0, connectTimeoutMs: 500, statementTimeoutMs: 1_500, retryAfterSeconds: 2 });
    expect(problems({ ...base, DATABASE_STATEMENT_TIMEOUT_MS: '0', REGISTRY_STALE_MAX_MS: '-1' }).join('\n')).toMatch(/DATABASE_STATEMENT_TIMEOUT_MS[\s\S]*REGISTRY_STALE_MAX_MS|REGISTRY_STALE_MAX_MS[\s\S]*DATABASE_STATEMENT_TIMEOUT_MS/);
  });

  it('says what is wrong, all at once', () => {
    const found = problems({ PORT: 'eighty', COMPOSIO_BASE_URL: 'ftp://x', LOG_LEVEL: 'loud', COMPOSIO_TIMEOUT_MS: '-1' });
    expect(found.join('\n')).toMatch(/PORT/);
    expect(found.join('\n')).toMatch(/COMPOSIO_BASE_URL must be an http\(s\) URL/);
    expect(found.join('\n')).toMatch(/LOG_LEVEL/);
    expect(found.join('\n')).toMatch(/COMPOSIO_TIMEOUT_MS/);
  });

  it('refuses an empty number, and a time no timer can wait, instead of reading 0 or firing at once', () => {
    const found = problems({ ...base, PORT: '', CACHE_TTL_MS: '', SHUTDOWN_TIMEOUT_MS: '2147483648', RATE_LIMIT_WINDOW_MS: '99999999999' }).join('\n');
    for (const name of ['PORT', 'CACHE_TTL_MS', 'SHUTDOWN_TIMEOUT_MS', 'RATE_LIMIT_WINDOW_MS']) expect(found).toMatch(new RegExp(`^${name}:`, 'm'));
    expect(loadConfig({ ...base, SHUTDOWN_TIMEOUT_MS: '2147483647', CACHE_TTL_MS: ' 0 ' })).toMatchObject({ shutdownTimeoutMs: 2_147_483_647, cache: { ttlMs: 0 } });
  });

  it('times slow senders, the headers within the whole request', () => {
    expect(loadConfig(base).http).toEqual({ headersTimeoutMs: 10_000, requestTimeoutMs: 30_000 });
    expect(loadConfig({ ...base, HTTP_HEADERS_TIMEOUT_MS: '500', HTTP_REQUEST_TIMEOUT_MS: '900' }).http).toEqual({ headersTimeoutMs: 500, requestTimeoutMs: 900 });
    expect(problems({ ...base, HTTP_HEADERS_TIMEOUT_MS: '5000', HTTP_REQUEST_TIMEOUT_MS: '1000' }).join('\n')).toMatch(/^HTTP_HEADERS_TIMEOUT_MS: must not be longer than HTTP_REQUEST_TIMEOUT_MS/m);
  });

  it('refuses a TRUST_PROXY Express cannot read, and a Composio URL with a password in it, before anything opens', () => {
    expect(problems({ ...base, TRUST_PROXY: '10.0.0.0/99' }).join('\n')).toMatch(/^TRUST_PROXY: /m);
    expect(loadConfig({ ...base, TRUST_PROXY: 'loopback, 10.0.0.0/8' }).trustProxy).toBe('loopback, 10.0.0.0/8');
    expect(loadConfig({ ...base, TRUST_PROXY: '2' }).trustProxy).toBe(2);
    const found = problems({ COMPOSIO_BASE_URL: 'https://user:secret-pass@backend.composio.dev' }).join('\n');
    expect(found).toMatch(/COMPOSIO_BASE_URL must not carry a user or password/);
    expect(found).not.toContain('secret-pass');
  });

  it('refuses to start in production without a Composio key and an admin key', () => {
    expect(problems({ ...base, NODE_ENV: 'production' })).toEqual([
      'COMPOSIO_API_KEY: required when NODE_ENV=production',
      'API_KEYS / API_KEYS_FILE: at least one key with the admin role is required when NODE_ENV=production',
    ]);
    const config = loadConfig({ ...base, NODE_ENV: 'production', COMPOSIO_API_KEY: 'k', API_KEYS: API_KEYS_JSON });
    expect(config.validateResponses).toBe(false);
  });

  it('reads keys from API_KEYS_FILE', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'keys-'));
    try {
      const file = path.join(dir, 'keys.json');
      writeFileSync(file, API_KEYS_JSON);
      expect(loadConfig({ ...base, API_KEYS_FILE: file }).apiKeys).toHaveLength(7);
      expect(problems({ ...base, API_KEYS_FILE: `${file}.missing` })[0]).toMatch(/cannot read .*ENOENT/);
      expect(problems({ ...base, API_KEYS_FILE: file, API_KEYS: API_KEYS_JSON })[0]).toMatch(/not both/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('validates each key and never echoes the content of a bad key list', () => {
    expect(problems({ ...base, API_KEYS: 'sk_live_plaintext_key' })).toEqual([
      'API_KEYS is not valid JSON (expected a list of { name, header, sha256, roles })',
    ]);
    const bad = JSON.stringify([
      { name: 'a', header: 'Authorization', sha256: 'abc', roles: ['admin'] },
      { name: 'a', header: 'X-API-Key', sha256: 'f'.repeat(64), roles: ['admin'], key: 'plain' },
    ]);
    const found = problems({ ...base, API_KEYS: bad }).join('\n');
    expect(found).toMatch(/header must be one of X-API-Key, X-Flowplate-Key, X-Aitronos-Hub-Key/);
    expect(found).toMatch(/sha256 must be the 64 hex digits/);
    expect(found).toMatch(/Unrecognized key/);
    expect(found).not.toContain('plain');
  });

  it('accepts header names in any case and hex digests in upper case', () => {
    const keys = JSON.stringify([{ name: 'a', header: 'x-api-key', sha256: 'F'.repeat(64), roles: ['admin'] }]);
    expect(loadConfig({ ...base, API_KEYS: keys }).apiKeys[0]).toEqual({ name: 'a', header: 'X-API-Key', sha256: 'f'.repeat(64), roles: ['admin'] });
  });
});

describe('settings named for what they size, and their former names', () => {
  const key = Buffer.alloc(32, 7).toString('base64');
  const redis = { REDIS_URL: 'redis://127.0.0.1:1' };

  it('sizes the credential cache and the registry cache separately; the Redis-only settings say so', () => {
    const defaults = loadConfig(base);
    expect(defaults.cache.maxEntries).toBe(1_000);
    expect(defaults.registry.cacheMaxEntries).toBe(10_000);
    expect(defaults.deprecations).toEqual([]);
    const config = loadConfig({ ...base, ...redis, CREDENTIALS_CACHE_MAX_ENTRIES: '50', REGISTRY_CACHE_MAX_ENTRIES: '70', REDIS_LOCAL_CACHE_TTL_MS: '250', REDIS_ENCRYPTION_KEY: key });
    expect(config.cache.maxEntries).toBe(50);
    expect(config.registry.cacheMaxEntries).toBe(70);
    expect(config.redis).toMatchObject({ localTtlMs: 250, keys: [Buffer.alloc(32, 7)] });
    expect(config.deprecations).toEqual([]);
    expect(problems({ ...base, REGISTRY_CACHE_MAX_ENTRIES: '0' }).join('\n')).toMatch(/REGISTRY_CACHE_MAX_ENTRIES/);
    expect(problems({ ...base, REDIS_ENCRYPTION_KEY: 'short' })).toEqual([expect.stringMatching(/^REDIS_ENCRYPTION_KEY: must be one or more comma-separated base64 keys of 32 bytes/)]);
    expect(problems({ ...base, ...redis, NODE_ENV: 'production', COMPOSIO_API_KEY: 'k', API_KEYS: API_KEYS_JSON })).toEqual([
      expect.stringMatching(/^REDIS_ENCRYPTION_KEY: required with REDIS_URL/),
    ]);
  });

  it('still reads the former names, with a deprecation each; a current name set wins', () => {
    const config = loadConfig({ ...base, ...redis, CACHE_MAX_ENTRIES: '40', CACHE_LOCAL_TTL_MS: '300', CACHE_ENCRYPTION_KEY: key });
    expect(config.cache.maxEntries).toBe(40);
    expect(config.registry.cacheMaxEntries).toBe(10_000);
    expect(config.redis).toMatchObject({ localTtlMs: 300, keys: [Buffer.alloc(32, 7)] });
    expect(config.deprecations).toEqual([
      'CACHE_MAX_ENTRIES is deprecated and will be removed in the next minor release: set CREDENTIALS_CACHE_MAX_ENTRIES instead',
      'CACHE_LOCAL_TTL_MS is deprecated and will be removed in the next minor release: set REDIS_LOCAL_CACHE_TTL_MS instead',
      'CACHE_ENCRYPTION_KEY is deprecated and will be removed in the next minor release: set REDIS_ENCRYPTION_KEY instead',
    ]);
    const both = loadConfig({ ...base, CACHE_MAX_ENTRIES: '40', CREDENTIALS_CACHE_MAX_ENTRIES: '60' });
    expect(both.cache.maxEntries).toBe(60);
    expect(both.deprecations).toEqual(['CACHE_MAX_ENTRIES is deprecated and ignored, as CREDENTIALS_CACHE_MAX_ENTRIES is set: remove CACHE_MAX_ENTRIES']);
    // A former name's bad value is reported under the current name, and never echoed.
    expect(problems({ ...base, CACHE_ENCRYPTION_KEY: 'secret-but-short' }).join('\n')).not.toContain('secret-but-short');
  });
});

describe('the environment schema', () => {
  it('lists the former names too: every variable the server reads, each with its rule', () => {
    for (const [former, current] of DEPRECATED_NAMES) {
      expect(Object.keys(environment.shape)).toEqual(expect.arrayContaining([former, current]));
    }
    expect(environment.shape.CACHE_MAX_ENTRIES.safeParse('0').success).toBe(false);
    expect(environment.shape.CACHE_ENCRYPTION_KEY.safeParse(Buffer.alloc(32).toString('base64')).success).toBe(true);
  });
});
