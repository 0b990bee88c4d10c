import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
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

  it('refuses to start in production without a Composio key and an admin key', () => {
    expect(problems({ ...base, NODE_ENV: 'production' })).toEqual([
      'COMPOSIO_API_KEY: required when NODE_ENV=production',
      'API_KEYS / API_KEYS_FILE: at least one key with the admin role is required when NODE_ENV=production',
    ]);
    const config = loadConfig({ ...base, NODE_ENV: 'production', COMPOSIO_API_KEY: 'k', API_KEYS: API_KEYS_JSON });
    expect(config.validateResponses).toBe(false);
  });

  it('reads keys from API_KEYS_FILE', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'keys-')), 'keys.json');
    writeFileSync(file, API_KEYS_JSON);
    expect(loadConfig({ ...base, API_KEYS_FILE: file }).apiKeys).toHaveLength(7);
    expect(problems({ ...base, API_KEYS_FILE: `${file}.missing` })[0]).toMatch(/cannot read .*ENOENT/);
    expect(problems({ ...base, API_KEYS_FILE: file, API_KEYS: API_KEYS_JSON })[0]).toMatch(/not both/);
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
