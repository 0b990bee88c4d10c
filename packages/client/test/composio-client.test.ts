import { describe, expect, inject, it } from 'vitest';
import { createSpecValidator, openapiBundlePath } from '@connector-credentials/testkit';
import { ApiError, createComposioClient, type ComposioError, type ConnectedAccount } from '../src/index.js';

const baseUrl = inject('composioMockUrl');
const spec = createSpecValidator(openapiBundlePath('composio'));
const path = '/api/v3/connected_accounts/{nanoid}';
const examples = spec.responseExamples().filter((e) => e.path === path);

describe('getConnectedAccount against the Composio mock', () => {
  for (const apiVersion of ['v3', 'v3.1'] as const) {
    const client = createComposioClient({ baseUrl, apiKey: 'composio-key', apiVersion, retry: { retries: 0 } });

    it.each(examples.filter((e) => e.status === '200').map((e) => [e.name, e.value] as const))(
      `${apiVersion}: returns the %s example`,
      async (name, value) => {
        const account: ConnectedAccount = await client.getConnectedAccount('ca_Xo9ADr3cBz1p', { headers: { Prefer: `example=${name}` } });
        expect(account).toEqual(value);
      },
    );
  }

  it('sends the key as x-api-key: without it the mock answers 401', async () => {
    const anonymous = createComposioClient({ baseUrl, retry: { retries: 0 } });
    const error = (await anonymous.getConnectedAccount('ca_1').catch((e: unknown) => e)) as ApiError<ComposioError>;
    expect(error).toBeInstanceOf(ApiError);
    expect(error.status).toBe(401);
  });

  it.each(examples.filter((e) => e.status !== '200').map((e) => [e.status, e.name, e.value] as const))(
    'reads the vendor envelope of the %s %s example',
    async (status, name, value) => {
      const client = createComposioClient({ baseUrl, apiKey: 'k', retry: { retries: 0 } });
      const error = (await client
        .getConnectedAccount('ca_1', { headers: { Prefer: `code=${status}, example=${name}` } })
        .catch((e: unknown) => e)) as ApiError<ComposioError>;
      const envelope = value as ComposioError;
      expect(error).toBeInstanceOf(ApiError);
      expect(error.status).toBe(Number(status));
      expect(error.code).toBe(envelope.error.slug);
      expect(error.traceId).toBe(envelope.error.request_id);
      expect(error.envelope).toEqual(envelope);
    },
  );

  it('generates dynamic accounts that are valid under the spec', async () => {
    const client = createComposioClient({ baseUrl, apiKey: 'k', retry: { retries: 0 } });
    for (let i = 0; i < 20; i += 1) {
      const account = await client.getConnectedAccount(`ca_dyn${i}`, { headers: { Prefer: 'dynamic=true' } });
      expect(spec.validateResponse('get', path, 200, account).errors).toEqual([]);
    }
  });
});
