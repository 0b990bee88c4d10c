import { describe, expect, expectTypeOf, inject, it } from 'vitest';
import { createSpecValidator, openapiBundlePath } from '@connector-credentials/testkit';
import { ApiError, createAitronosClient, type ConnectorCredentials, type ErrorEnvelope } from '../src/index.js';

const baseUrl = inject('aitronosMockUrl');
const spec = createSpecValidator(openapiBundlePath('aitronos'));
const path = '/v1/personal-connectors/admin/credentials/{credential_id}';
const examples = spec.responseExamples().filter((e) => e.path === path && e.method === 'get');
const CREDENTIAL = 'tcred_7Hq2LmX9pR4vN8sK3dWz';

/** Counts every HTTP attempt the client makes. */
function countingFetch() {
  const counter = { calls: 0, fetch: (request: Request) => ((counter.calls += 1), fetch(request)) };
  return counter;
}

async function rejection(promise: Promise<unknown>): Promise<ApiError<ErrorEnvelope>> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApiError);
  return error as ApiError<ErrorEnvelope>;
}

describe('getAdminCredentials against the Aitronos mock', () => {
  const client = createAitronosClient({ baseUrl, apiKey: 'admin-key', retry: { retries: 0 } });

  it.each(examples.filter((e) => e.status === '200').map((e) => [e.name, e.value] as const))(
    'returns the %s example, valid under the spec',
    async (name, value) => {
      const data = await client.getAdminCredentials(CREDENTIAL, { headers: { Prefer: `example=${name}` } });
      expect(data).toEqual(value);
      expect(spec.validateResponse('get', path, 200, data).errors).toEqual([]);
    },
  );

  it.each([
    ['apiKey', { apiKey: 'k' }],
    ['flowplateKey', { flowplateKey: 'k' }],
    ['hubKey', { hubKey: 'k' }],
  ] as const)('authenticates with %s in its own header', async (_name, key) => {
    const keyed = createAitronosClient({ baseUrl, ...key, retry: { retries: 0 } });
    await expect(keyed.getAdminCredentials(CREDENTIAL)).resolves.toHaveProperty('connection_id');
  });

  it('without a key gets AUTHENTICATION_REQUIRED as a typed error carrying the envelope', async () => {
    const anonymous = createAitronosClient({ baseUrl });
    const error = await rejection(anonymous.getAdminCredentials(CREDENTIAL, { requestId: 'req_test_1' }));
    expect(error.status).toBe(401);
    expect(error.code).toBe('AUTHENTICATION_REQUIRED');
    expect(error.requestId).toBe('req_test_1');
    expect(error.traceId).toBe('req_abc123xyz');
    expect(error.envelope?.success).toBe(false);
    expect(spec.validateResponse('get', path, 401, error.envelope).errors).toEqual([]);
  });

  it.each(examples.filter((e) => e.status !== '200').map((e) => [e.status, e.name, e.value] as const))(
    'turns the %s %s example into an ApiError',
    async (status, name, value) => {
      const counter = countingFetch();
      const noRetry = createAitronosClient({ baseUrl, apiKey: 'k', fetch: counter.fetch, retry: { retries: 0 } });
      const error = await rejection(noRetry.getAdminCredentials(CREDENTIAL, { headers: { Prefer: `code=${status}, example=${name}` } }));
      const envelope = value as ErrorEnvelope;
      expect(error.status).toBe(Number(status));
      expect(error.code).toBe(envelope.error.code);
      expect(error.message).toBe(envelope.error.message);
      expect(error.details).toEqual(envelope.error.details);
      expect(error.envelope).toEqual(envelope);
      expect(counter.calls).toBe(1);
    },
  );

  it('retries GET on 502 and 504 a bounded number of times, and not on 500 or 404', async () => {
    for (const [status, calls] of [
      [502, 3],
      [504, 3],
      [500, 1],
      [404, 1],
    ] as const) {
      const counter = countingFetch();
      const retrying = createAitronosClient({
        baseUrl,
        apiKey: 'k',
        fetch: counter.fetch,
        retry: { retries: 2, baseDelayMs: 1, maxDelayMs: 5 },
      });
      const error = await rejection(retrying.getAdminCredentials(CREDENTIAL, { headers: { Prefer: `code=${status}` } }));
      expect(error.status).toBe(status);
      expect(counter.calls, `calls for ${status}`).toBe(calls);
    }
  });

  it('does not wait for a Retry-After longer than allowed: the 503 is returned at once', async () => {
    const counter = countingFetch();
    const impatient = createAitronosClient({ baseUrl, apiKey: 'k', fetch: counter.fetch, retry: { retries: 3, maxRetryAfterMs: 1_000 } });
    const error = await rejection(impatient.getAdminCredentials(CREDENTIAL, { headers: { Prefer: 'code=503' } }));
    expect(error.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(counter.calls).toBe(1);
  });

  it('rejects an invalid credential id as the mock does (VALIDATION_ERROR family)', async () => {
    const error = await rejection(client.getAdminCredentials('bad id with spaces'));
    expect(error.status).toBe(400);
    expect(error.code).toBe('VALIDATION_ERROR');
  });

  it('refuses two keys at once', () => {
    expect(() => createAitronosClient({ baseUrl, apiKey: 'a', hubKey: 'b' } as never)).toThrow(TypeError);
  });

  it('exposes the typed raw client, whose non-2xx answers are returned rather than thrown', async () => {
    const { data, error, response } = await client.raw.GET(path, {
      params: { path: { credential_id: CREDENTIAL } },
      headers: { Prefer: 'code=404' },
    });
    expect(response.status).toBe(404);
    expect(data).toBeUndefined();
    expect(error?.error.code).toBe('CREDENTIAL_NOT_FOUND');
  });

  it('has the generated types: fields keep their spec types', () => {
    expectTypeOf<ConnectorCredentials['is_redacted']>().toEqualTypeOf<boolean>();
    expectTypeOf<ConnectorCredentials['expires_at']>().toEqualTypeOf<string | null>();
    expectTypeOf<ConnectorCredentials['credentials']['expires_in']>().toEqualTypeOf<number | null | undefined>();
    expectTypeOf<ErrorEnvelope['error']['status']>().toEqualTypeOf<number>();
    expectTypeOf(client.getAdminCredentials).returns.resolves.toEqualTypeOf<ConnectorCredentials>();
  });
});
