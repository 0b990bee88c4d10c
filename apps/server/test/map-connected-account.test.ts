import { describe, expect, it, vi } from 'vitest';
import type { ConnectedAccount } from '@connector-credentials/types';
import { createSpecValidator, generateVendorPayloads, openapiBundlePath } from '@connector-credentials/testkit';
import {
  emailFromIdToken,
  isMasked,
  mapConnectedAccount,
  normalizeExpiresIn,
  normalizeScope,
  registrationOf,
  secretTablesOf,
  toIsoTimestamp,
} from '../src/map-connected-account.js';
import { loadSpec } from '../src/specs.js';

// The real loader, watched: the mapper may read the spec on first use only.
vi.mock('../src/specs.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../src/specs.js')>();
  return { ...actual, loadSpec: vi.fn(actual.loadSpec) };
});

const aitronos = createSpecValidator(openapiBundlePath('aitronos'));
const composio = createSpecValidator(openapiBundlePath('composio'));
const composioExamples = composio.responseExamples().filter((e) => e.status === '200' && e.path === '/api/v3/connected_accounts/{nanoid}');
/** The Aitronos examples of a credentials read, less `credential_id` (the registry's, not the mapper's). */
const aitronosExamples = new Map(
  aitronos
    .responseExamples()
    .filter((e) => e.status === '200' && e.path === '/v1/personal-connectors/admin/credentials/{credential_id}')
    .map((e) => {
      const { credential_id: _registryId, ...mapped } = e.value as Record<string, unknown>;
      return [e.name, mapped];
    }),
);

const base: ConnectedAccount = composioExamples.find((e) => e.name === 'oauth2_active')!.value as ConnectedAccount;
const withState = (authScheme: string, val: Record<string, unknown>, extra: Partial<ConnectedAccount> = {}): ConnectedAccount =>
  ({ ...base, ...extra, state: { authScheme, val } }) as ConnectedAccount;
/** Schema errors of a mapped value, answered as an unregistered connection's credentials. */
const valid = (value: object) => aitronos.validateSchema('ConnectorCredentials', { credential_id: null, ...value }).errors;

describe('the spec tables of the mapper', () => {
  // First in the file: no other test has mapped anything yet.
  it('are not read at import, and are read once, on the first mapping', () => {
    expect(loadSpec).not.toHaveBeenCalled();
    mapConnectedAccount(base);
    mapConnectedAccount(base);
    expect(loadSpec).toHaveBeenCalledTimes(1);
    expect(loadSpec).toHaveBeenCalledWith('aitronos');
  });

  it('can be given: a spec without a scheme maps its secrets as an unknown scheme', () => {
    const spec = structuredClone(loadSpec('aitronos')) as { components: { schemas: { CredentialSecrets: { 'x-secrets-by-scheme': Record<string, string[]> } } } };
    delete spec.components.schemas.CredentialSecrets['x-secrets-by-scheme'].BILLCOM_AUTH;
    const account = withState('BILLCOM_AUTH', { status: 'ACTIVE', sessionId: 's', devKey: 'd', region: 'eu' });
    expect(mapConnectedAccount(account, secretTablesOf(spec)).credentials).toEqual({ sessionId: 's', devKey: 'd' });
    expect(() => secretTablesOf({ components: { schemas: {} } })).toThrow();
  });
});

describe('registrationOf', () => {
  it("records the caller's ids and name and the account's tool, user and email", () => {
    const registration = { connection_id: 'ca_1', organization_id: 'org_1', credential_name: 'Work' };
    expect(registrationOf(base, registration)).toEqual({
      ...registration,
      tool_key: 'googledrive',
      entity_id: base.user_id,
      account_email: 'ada.lovelace@example.com',
    });
    expect(registrationOf({ ...base, toolkit: { slug: 'Google Drive!' }, user_id: undefined } as unknown as ConnectedAccount, registration)).toMatchObject({
      tool_key: 'google_drive_',
      entity_id: null,
    });
    expect(registrationOf({ ...base, toolkit: { slug: '' } } as ConnectedAccount, registration).tool_key).toBe('unknown');
  });

  it('records no user id a database text could not hold (NUL)', () => {
    const registration = { connection_id: 'ca_1', organization_id: 'org_1', credential_name: null };
    expect(registrationOf({ ...base, user_id: 'user\u0000x' } as ConnectedAccount, registration).entity_id).toBeNull();
  });
});

describe('mapConnectedAccount on the spec examples', () => {
  it.each(composioExamples.map((e) => [e.name, e.value] as const))(
    'maps the Composio %s example to the Aitronos example of the same name',
    (name, value) => {
      const mapped = mapConnectedAccount(value as ConnectedAccount);
      expect(aitronosExamples.has(name)).toBe(true);
      expect(mapped).toEqual(aitronosExamples.get(name));
      expect(valid(mapped)).toEqual([]);
    },
  );
});

describe('mapConnectedAccount rules', () => {
  it('prefers state.authScheme and falls back to auth_config.auth_scheme', () => {
    expect(mapConnectedAccount(withState('OAUTH1', { status: 'INITIALIZING' })).auth_scheme).toBe('OAUTH1');
    const noScheme = { ...base, state: { authScheme: '', val: { status: 'ACTIVE' } } } as unknown as ConnectedAccount;
    expect(mapConnectedAccount(noScheme).auth_scheme).toBe('OAUTH2');
  });

  it('gives credentials only while the state is ACTIVE or INACTIVE, and never leaks the rest into extra_data', () => {
    const initiated = mapConnectedAccount(
      withState('OAUTH1', { status: 'INITIATED', oauth_token: 't', oauth_token_secret: 's', authUri: 'https://x', redirectUrl: 'https://r' }),
    );
    expect(initiated.credentials).toEqual({});
    expect(initiated.extra_data).toEqual({ authUri: 'https://x', redirectUrl: 'https://r' });
    const inactive = mapConnectedAccount(withState('BEARER_TOKEN', { status: 'INACTIVE', token: 'tok' }));
    expect(inactive.credentials).toEqual({ token: 'tok' });
  });

  it('renames Bill.com fields and keeps service-account secrets', () => {
    expect(mapConnectedAccount(withState('BILLCOM_AUTH', { status: 'ACTIVE', sessionId: 's', devKey: 'd' })).credentials).toEqual({
      session_id: 's',
      dev_key: 'd',
    });
    expect(
      mapConnectedAccount(withState('SERVICE_ACCOUNT', { status: 'ACTIVE', application_id: '1', installation_id: '2', private_key: 'k' }))
        .credentials,
    ).toEqual({ application_id: '1', installation_id: '2', private_key: 'k' });
  });

  it('maps a scheme it does not know by taking every non-provider field as a secret', () => {
    const mapped = mapConnectedAccount(
      withState('ACME_TOKEN_V9', { status: 'ACTIVE', access_token: 'a', scope: ['x', 'y'], expires_in: '60', subdomain: 'acme', sessionId: 7 }),
    );
    expect(mapped.auth_scheme).toBe('ACME_TOKEN_V9');
    expect(mapped.credentials).toEqual({ access_token: 'a', scope: 'x y', expires_in: 60, sessionId: 7 });
    expect(mapped.extra_data).toEqual({ subdomain: 'acme' });
    expect(valid(mapped)).toEqual([]);
  });

  it('maps S2S_OAUTH2 by its own table: the token and the client credentials', () => {
    const mapped = mapConnectedAccount(
      withState('S2S_OAUTH2', { status: 'ACTIVE', access_token: 'a', client_id: 'c', client_secret: 's', token_type: 'bearer', scope: ['x', 'y'], expires_in: '60', subdomain: 'acme', note: 'n' }),
    );
    expect(mapped.credentials).toEqual({ access_token: 'a', client_id: 'c', client_secret: 's', token_type: 'bearer', scope: 'x y', expires_in: 60 });
    expect(mapped.extra_data).toEqual({ subdomain: 'acme', note: 'n' });
    expect(valid(mapped)).toEqual([]);
  });

  it.each(composioExamples.map((e) => [e.name, e.value as ConnectedAccount] as const))('never hands out the secrets of a REVOKED account (%s), whatever the vendor still sends', (_name, example) => {
    const account = structuredClone(example);
    account.status = 'REVOKED';
    const val = account.state.val as Record<string, unknown>;
    val.headers = { Authorization: 'Bearer still-here' };
    val.query_params = { key: 'still-here' };
    val.extra_token_data = { id_token: 'still-here' };
    const mapped = mapConnectedAccount(account);
    expect(mapped.status).toBe('REVOKED');
    expect(mapped.credentials).toEqual({});
    expect(mapped).toMatchObject({ extra_headers: {}, query_params: {}, id_token: null, code_verifier: null });
    expect(JSON.stringify(mapped)).not.toContain('still-here');
    expect(valid(mapped)).toEqual([]);
  });

  it('passes an unknown status through, upper-cased and reduced to the allowed characters', () => {
    expect(mapConnectedAccount({ ...base, status: 'REVOKED' } as ConnectedAccount).status).toBe('REVOKED');
    expect(mapConnectedAccount({ ...base, status: 'soft-deleted' } as ConnectedAccount).status).toBe('SOFT_DELETED');
    expect(mapConnectedAccount({ ...base, status: '---' } as ConnectedAccount).status).toBeNull();
  });

  it('derives expires_at from explicit expiry, then expired_at, then updated_at + expires_in', () => {
    const at = (val: Record<string, unknown>, updated_at = '2026-01-01T00:00:00Z') =>
      mapConnectedAccount(withState('OAUTH2', { status: 'ACTIVE', access_token: 'a', ...val }, { updated_at })).expires_at;
    expect(at({ expires_at: '2026-02-01T00:00:00+01:00', expired_at: '2026-03-01', expires_in: 10 })).toBe('2026-01-31T23:00:00.000Z');
    expect(at({ expired_at: '2026-03-01', expires_in: 10 })).toBe('2026-03-01T00:00:00.000Z');
    expect(at({ expires_in: 3600 })).toBe('2026-01-01T01:00:00.000Z');
    expect(at({ expires_in: 0 })).toBeNull();
    expect(at({ expires_in: 3600 }, 'yesterday')).toBeNull();
    expect(at({ expires_in: 1e300 })).toBeNull();
  });

  it('reads headers and query parameters the vendor supplies, as strings', () => {
    const mapped = mapConnectedAccount(
      withState('API_KEY', { status: 'ACTIVE', api_key: 'k', headers: { 'X-Api-Version': 2, 'X-Flag': true, Bad: { a: 1 } } }, {
        params: { queryParams: { api_key: 'k', page_size: 50 } },
      }),
    );
    expect(mapped.extra_headers).toEqual({ 'X-Api-Version': '2', 'X-Flag': 'true' });
    expect(mapped.query_params).toEqual({ api_key: 'k', page_size: '50' });
  });

  it('finds the account email in the account data before the id_token', () => {
    const mapped = mapConnectedAccount(withState('OAUTH2', { status: 'ACTIVE', access_token: 'a', email: 'grace@example.com' }));
    expect(mapped.account_email).toBe('grace@example.com');
    const fromData = mapConnectedAccount(withState('OAUTH2', { status: 'ACTIVE', access_token: 'a' }, { data: { email: 'x@example.com' } }));
    expect(fromData.account_email).toBe('x@example.com');
  });

  it('flags masked secrets, in credentials and headers', () => {
    expect(mapConnectedAccount(withState('BASIC', { status: 'ACTIVE', username: 'u', password: 'pass...' })).is_redacted).toBe(true);
    expect(mapConnectedAccount(withState('API_KEY', { status: 'ACTIVE', headers: { Authorization: 'REDACTED' } })).is_redacted).toBe(true);
    expect(mapConnectedAccount(withState('BASIC', { status: 'ACTIVE', username: 'u', password: 'password...' })).is_redacted).toBe(false);
  });

  it('drops secret values of the wrong type rather than breaking the contract', () => {
    const mapped = mapConnectedAccount(
      withState('OAUTH2', { status: 'ACTIVE', access_token: 'a', token_type: 5, refresh_token: { x: 1 }, authed_user: 'no', scope: 7, expires_in: -5 }),
    );
    expect(mapped.credentials).toEqual({ access_token: 'a', scope: null, expires_in: null });
    expect(valid(mapped)).toEqual([]);
  });
});

describe('normalizers', () => {
  it('scope', () => {
    expect(normalizeScope(['a', 'b'])).toBe('a b');
    expect(normalizeScope('repo,read:user')).toBe('repo read:user');
    expect(normalizeScope('  a   b ')).toBe('a b');
    expect(normalizeScope(['a', 3, null])).toBe('a');
    expect(normalizeScope(null)).toBeNull();
    expect(normalizeScope({})).toBeNull();
  });
  it('expires_in', () => {
    expect(normalizeExpiresIn(3599.9)).toBe(3599);
    expect(normalizeExpiresIn(' 60 ')).toBe(60);
    expect(normalizeExpiresIn('1.5')).toBe(1);
    expect(normalizeExpiresIn('1e3')).toBeNull();
    expect(normalizeExpiresIn(-1)).toBeNull();
    expect(normalizeExpiresIn(Number.POSITIVE_INFINITY)).toBeNull();
    expect(normalizeExpiresIn(2 ** 60)).toBeNull();
    expect(normalizeExpiresIn(null)).toBeNull();
  });
  it('timestamps', () => {
    expect(toIsoTimestamp('2026-11-20T08:00:00.000Z')).toBe('2026-11-20T08:00:00.000Z');
    expect(toIsoTimestamp('2026-11-20 08:00:00+02:00')).toBe('2026-11-20T06:00:00.000Z');
    expect(toIsoTimestamp('2026-11-20')).toBe('2026-11-20T00:00:00.000Z');
    expect(toIsoTimestamp('2026-13-45')).toBeNull();
    // Without a zone, UTC, whatever the server's own time zone.
    const zone = process.env.TZ;
    process.env.TZ = 'America/New_York';
    try {
      expect(toIsoTimestamp('2026-11-20T08:00:00')).toBe('2026-11-20T08:00:00.000Z');
      expect(toIsoTimestamp('2026-11-20 08:00')).toBe('2026-11-20T08:00:00.000Z');
      expect(toIsoTimestamp('2026-11-20')).toBe('2026-11-20T00:00:00.000Z');
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
    expect(toIsoTimestamp('1')).toBeNull();
    expect(toIsoTimestamp('Tue, 1 Jan 2026')).toBeNull();
    expect(toIsoTimestamp('lorem ipsum')).toBeNull();
  });
  it('masking', () => {
    expect(isMasked('REDACTED')).toBe(true);
    expect(isMasked('gho_...')).toBe(true);
    expect(isMasked('a...')).toBe(true);
    expect(isMasked('gho_x...')).toBe(false);
    expect(isMasked('...')).toBe(false);
  });
  it('id_token email', () => {
    const jwt = (claims: unknown) => `h.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.s`;
    expect(emailFromIdToken(jwt({ email: 'a@b.c' }))).toBe('a@b.c');
    expect(emailFromIdToken(jwt({ email: 'not an email' }))).toBeNull();
    // Control characters, NUL among them (no database text holds it), make no address.
    expect(emailFromIdToken(jwt({ email: 'ada\u0000@example.com' }))).toBeNull();
    expect(emailFromIdToken(jwt({ email: 'ada@exam\u0007ple.com' }))).toBeNull();
    expect(emailFromIdToken(jwt([1]))).toBeNull();
    expect(emailFromIdToken('garbage')).toBeNull();
    expect(emailFromIdToken('a.%%%.b')).toBeNull();
    expect(emailFromIdToken(`h.${'A'.repeat(20_000)}.s`)).toBeNull();
  });
});

describe('every payload valid under the vendor schema maps to a valid Aitronos body', () => {
  it('holds for 1000 seeded payloads (pure function)', () => {
    const failures: string[] = [];
    for (const [index, payload] of generateVendorPayloads({ seed: 7, count: 1000 }).entries()) {
      const errors = valid(mapConnectedAccount(payload as ConnectedAccount));
      if (errors.length) failures.push(`#${index}: ${errors.join('; ')}`);
    }
    expect(failures).toEqual([]);
  });
});
