import type { Client, Middleware } from 'openapi-fetch';
import type {
  AitronosPaths,
  ConnectionActiveState,
  ConnectionList,
  ConnectorCredentials,
  CredentialRecord,
  RegisterCredentialRequest,
} from '@connector-credentials/types';
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
  /**
   * `GET /v1/personal-connectors/admin/credentials/by-connection/{connection_id}`: the same
   * answer, by the vendor's connection id; `credential_id` is null when it is not registered.
   */
  getAdminCredentialsByConnection(connectionId: string, options?: CallOptions): Promise<ConnectorCredentials>;
  /** `POST /v1/personal-connectors/admin/credentials`: registers a vendor connection (409 when it already is). */
  registerCredential(body: RegisterCredentialRequest, options?: CallOptions): Promise<CredentialRecord>;
  /** `DELETE /v1/personal-connectors/admin/credentials/{credential_id}`. */
  deleteCredential(credentialId: string, options?: CallOptions): Promise<void>;
  /** `GET /v1/personal-connectors/connections/{tool_key}?organization_id=…`: active and turned-off connections. */
  listConnections(toolKey: string, organizationId: string, options?: CallOptions): Promise<ConnectionList>;
  /** `PATCH /v1/personal-connectors/connections/{credential_id}/active`. */
  setConnectionActive(credentialId: string, isActive: boolean, options?: CallOptions): Promise<ConnectionActiveState>;
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
      return unwrap(
        raw.GET('/v1/personal-connectors/admin/credentials/{credential_id}', {
          params: { path: { credential_id: credentialId } },
          ...init,
        }),
        sent,
      );
    },
    getAdminCredentialsByConnection(connectionId, call = {}) {
      const { sent, init } = callInit(call);
      return unwrap(
        raw.GET('/v1/personal-connectors/admin/credentials/by-connection/{connection_id}', {
          params: { path: { connection_id: connectionId } },
          ...init,
        }),
        sent,
      );
    },
    registerCredential(body, call = {}) {
      const { sent, init } = callInit(call);
      return unwrap(
        raw.POST('/v1/personal-connectors/admin/credentials', { body, ...init }),
        sent,
      );
    },
    deleteCredential(credentialId, call = {}) {
      const { sent, init } = callInit(call);
      return unwrap(
        raw.DELETE('/v1/personal-connectors/admin/credentials/{credential_id}', {
          params: { path: { credential_id: credentialId } },
          ...init,
        }),
        sent,
        true,
      );
    },
    listConnections(toolKey, organizationId, call = {}) {
      const { sent, init } = callInit(call);
      return unwrap(
        raw.GET('/v1/personal-connectors/connections/{tool_key}', {
          params: { path: { tool_key: toolKey }, query: { organization_id: organizationId } },
          ...init,
        }),
        sent,
      );
    },
    setConnectionActive(credentialId, isActive, call = {}) {
      const { sent, init } = callInit(call);
      return unwrap(
        raw.PATCH('/v1/personal-connectors/connections/{credential_id}/active', {
          params: { path: { credential_id: credentialId } },
          body: { is_active: isActive },
          ...init,
        }),
        sent,
      );
    },
  };
}
