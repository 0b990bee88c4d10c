/**
 * Secrets never reach a log line: every line the server writes during a run over all fixture
 * scenarios (successes and failures) is captured and searched for every secret of the fixtures,
 * the callers' keys and the Composio key. And each credential read leaves one audit line.
 */
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { createSpecValidator, openapiBundlePath } from '@connector-credentials/testkit';
import { COMPOSIO_TEST_KEY, KEYS, LogCapture, preferFromCredentialId, startTestServer, type TestServer } from './helpers.js';
import { createLogger } from '../src/logging.js';

const composio = createSpecValidator(openapiBundlePath('composio'));
const examples = composio.responseExamples().filter((e) => e.path === '/api/v3/connected_accounts/{nanoid}' && e.status === '200');
const SECRET_FIELDS = ['access_token', 'refresh_token', 'id_token', 'oauth_token', 'oauth_token_secret', 'generic_api_key', 'api_key', 'password', 'token', 'code_verifier'];
const fixtureSecrets = examples.flatMap((e) => {
  const val = (e.value as { state: { val: Record<string, unknown> } }).state.val;
  return SECRET_FIELDS.map((f) => val[f]).filter((v): v is string => typeof v === 'string' && v.length > 8);
});

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({
    composioBaseUrl: inject('composioMockUrl'),
    onComposioRequest: preferFromCredentialId,
    // A deprecated setting name: the start logs a warning for it.
    env: { CACHE_MAX_ENTRIES: '1000' },
  });
  for (const e of examples) {
    for (const key of Object.values(KEYS)) {
      await fetch(`${server.running.url}/v1/personal-connectors/admin/credentials/by-connection/scenario--${e.name}?access_token=${fixtureSecrets[0]}`, {
        headers: { [key.header]: key.key },
      });
      await fetch(`${server.running.url}/v1/personal-connectors/admin/credentials/by-connection/scenario--${e.name}`, { headers: { [key.header]: key.key } });
    }
  }
  for (const status of [401, 404, 429, 500]) {
    await fetch(`${server.running.url}/v1/personal-connectors/admin/credentials/by-connection/status--${status}`, { headers: { 'X-API-Key': KEYS.adminApi.key } });
  }
  await fetch(`${server.running.url}/v1/personal-connectors/admin/credentials/by-connection/ca_1`, { headers: { 'X-API-Key': 'a-wrong-key-that-is-secret-too' } });
});
afterAll(() => server.close());

describe('logs', () => {
  it('warns at start about each deprecated setting name in use', () => {
    const warnings = server.logs.records().filter((r) => r.level === 40 && /deprecated/.test(String(r.msg)));
    expect(warnings.map((r) => r.msg)).toEqual(['CACHE_MAX_ENTRIES is deprecated and will be removed in the next minor release: set CREDENTIALS_CACHE_MAX_ENTRIES instead']);
    expect(server.logs.records().findIndex((r) => r.msg === warnings[0]!.msg)).toBeLessThan(server.logs.records().findIndex((r) => r.msg === 'listening'));
  });

  it('the run logged something', () => {
    expect(server.logs.lines.length).toBeGreaterThan(100);
    expect(fixtureSecrets.length).toBeGreaterThanOrEqual(8);
  });

  it('contain no secret of the fixtures, no caller key and not the Composio key', () => {
    const text = server.logs.text;
    for (const secret of [...fixtureSecrets, ...Object.values(KEYS).map((k) => k.key), COMPOSIO_TEST_KEY, 'a-wrong-key-that-is-secret-too']) {
      expect(text.includes(secret), `a log line contains ${secret.slice(0, 6)}…`).toBe(false);
    }
  });

  it('have one audit line per credential read, with key name, credential and connection ids, outcome and trace id', () => {
    const audits = server.logs.records().filter((r) => r.audit === true);
    // Only admin keys reach the handler, and the requests with a query string are refused before it.
    const reads = examples.length * 3 + 4;
    expect(audits).toHaveLength(reads);
    for (const line of audits) {
      // Read by connection id, and not registered: the credential id is null.
      expect(line).toMatchObject({ event: 'credential_read', key_name: expect.stringMatching(/^admin-/), credential_id: null, connection_id: expect.any(String) });
      expect(line.trace_id).toEqual(expect.any(String));
    }
    const outcomes = new Set(audits.map((a) => a.outcome));
    expect(outcomes).toEqual(new Set(['success', 'UPSTREAM_AUTH_ERROR', 'CONNECTION_NOT_FOUND', 'UPSTREAM_UNAVAILABLE', 'UPSTREAM_ERROR']));
  });

  it("carry the time each line was written, in ISO form, to the millisecond", () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const capture = new LogCapture();
      const logger = createLogger('info', capture);
      const at = Date.UTC(2026, 10, 29, 6, 30, 0, 123);
      vi.setSystemTime(at);
      logger.info('first');
      logger.info('same millisecond');
      vi.setSystemTime(at + 1);
      logger.info('next millisecond');
      vi.setSystemTime(at + 60_000);
      logger.info('a minute on');
      expect(capture.records().map((r) => r.time)).toEqual([
        '2026-11-29T06:30:00.123Z',
        '2026-11-29T06:30:00.123Z',
        '2026-11-29T06:30:00.124Z',
        '2026-11-29T06:31:00.123Z',
      ]);
    } finally {
      vi.useRealTimers();
    }
  });
});
