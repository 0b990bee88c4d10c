/**
 * Keys are compared in constant time: whatever is presented (an unknown key, a key of another
 * kind, a valid key), authentication hashes it once and compares the digest with every configured
 * digest through `timingSafeEqual`, with no early exit. Checked by counting the comparisons, which
 * holds on any machine, instead of by timing them.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';

const compared = vi.hoisted(() => ({ calls: [] as Array<[Buffer, Buffer]> }));
vi.mock('node:crypto', async (importOriginal) => {
  const original = await importOriginal<typeof import('node:crypto')>();
  return {
    ...original,
    timingSafeEqual: (a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => {
      compared.calls.push([Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)]);
      return original.timingSafeEqual(a, b);
    },
  };
});

const { createKeyRing } = await import('../src/auth.js');
const { loadConfig } = await import('../src/config.js');
const { API_KEYS_JSON, KEYS } = await import('./helpers.js');

const entries = loadConfig({ COMPOSIO_BASE_URL: 'http://127.0.0.1:1', API_KEYS: API_KEYS_JSON }).apiKeys;
const authenticate = createKeyRing(entries);
const configured = entries.map((e) => e.sha256).sort();

afterEach(() => {
  compared.calls.length = 0;
});

describe('keys are compared in constant time', () => {
  const cases = {
    'an unknown key': { 'x-api-key': 'k'.repeat(KEYS.adminFlowplate.key.length) },
    'a key of another kind': { 'x-api-key': KEYS.adminFlowplate.key },
    'the first configured key': { 'x-api-key': KEYS.adminApi.key },
    'the last configured key': { 'x-api-key': KEYS.connectionsApi.key },
  };

  for (const [name, headers] of Object.entries(cases)) {
    it(`${name}: one comparison with every configured digest, none skipped`, () => {
      authenticate(headers);
      expect(compared.calls).toHaveLength(entries.length);
      expect(compared.calls.map(([, known]) => known.toString('hex')).sort()).toEqual(configured);
      // The presented side is the same digest each time: the key is hashed once, not compared raw.
      expect(new Set(compared.calls.map(([presented]) => presented.toString('hex'))).size).toBe(1);
      expect(compared.calls[0]![0]).toHaveLength(32);
    });
  }

  it('the outcomes differ as they should', () => {
    expect(authenticate(cases['an unknown key']).ok).toBe(false);
    expect(authenticate(cases['a key of another kind']).ok).toBe(false);
    expect(authenticate(cases['the first configured key']).ok).toBe(true);
    expect(authenticate(cases['the last configured key']).ok).toBe(true);
  });
});
