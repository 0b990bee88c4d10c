import type { Client, Middleware } from 'openapi-fetch';
import type { AitronosPaths, ConnectorCredentials, ErrorEnvelope } from '@connector-credentials/types';
import { unwrap } from './response.js';
import { createRawClient } from './base.js';
import type { BaseClientOptions, CallOptions } from './options.js';

/** At most one key, each sent in the header of its own kind. */
export type AitronosKey =
  | { apiKey: string; flowplateKey?: never; hubKey?: never }
  | { apiKey?: never; flowplateKey: string; hubKey?: never }
  | { apiKey?: never; flowplateKey?: never; hubKey: string }
  | { apiKey?: never; flowplateKey?: never; hubKey?: never };

export type AitronosClientOptions = BaseClientOptions & AitronosKey;

export const AITRONOS_KEY_HEADERS = {
  apiKey: 'X-API-Key',
  flowplateKey: 'X-Flowplate-Key',
  hubKey: 'X-Aitronos-Hub-Key',
} as const;

export interface AitronosClient {
  /** The typed openapi-fetch client, for full control (non-2xx answers are returned, not thrown). */
  readonly raw: Client<AitronosPaths>;
  /** Adds openapi-fetch middleware. */
  use(...middleware: Middleware[]): void;
  /**
   * `GET /v1/personal-connectors/admin/credentials/{credential_id}`.
   * @throws ApiError<ErrorEnvelope> for any answer but 2xx, and for timeouts and network failures.
   */
  getAdminCredentials(credentialId: string, options?: CallOptions): Promise<ConnectorCredentials>;
}

export function createAitronosClient(options: AitronosClientOptions): AitronosClient {
  const keys = (Object.keys(AITRONOS_KEY_HEADERS) as Array<keyof typeof AITRONOS_KEY_HEADERS>).filter(
    (name) => options[name] !== undefined,
  );
  if (keys.length > 1) throw new TypeError('Give at most one of apiKey, flowplateKey and hubKey.');
  const headers: Record<string, string> = { ...options.headers };
  const key = keys[0];
  if (key) headers[AITRONOS_KEY_HEADERS[key]] = options[key] as string;

  const { raw, callInit } = createRawClient<AitronosPaths>(options, headers);

  return {
    raw,
    use: (...middleware) => raw.use(...middleware),
    getAdminCredentials(credentialId, call = {}) {
      const { sent, init } = callInit(call);
      return unwrap<ConnectorCredentials, ErrorEnvelope>(
        raw.GET('/v1/personal-connectors/admin/credentials/{credential_id}', {
          params: { path: { credential_id: credentialId } },
          ...init,
        }) as Promise<{ data?: ConnectorCredentials; error?: ErrorEnvelope; response: Response }>,
        sent,
      );
    },
  };
}
