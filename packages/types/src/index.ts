/**
 * Types of both APIs, generated from the specs in `openapi/` by openapi-typescript.
 * Import from here, never from `./generated/*`: the names below are the public surface.
 */
import type {
  components as AitronosComponents,
  operations as AitronosOperations,
  paths as AitronosPaths,
} from './generated/aitronos.js';
import type {
  components as ComposioComponents,
  operations as ComposioOperations,
  paths as ComposioPaths,
} from './generated/composio.js';

export type { AitronosComponents, AitronosOperations, AitronosPaths, ComposioComponents, ComposioOperations, ComposioPaths };

// --- Aitronos admin credentials API -------------------------------------------------------
type AitronosSchemas = AitronosComponents['schemas'];

/** Body of `GET /v1/personal-connectors/admin/credentials/{credential_id}`. */
export type ConnectorCredentials = AitronosSchemas['ConnectorCredentials'];
export type CredentialSecrets = AitronosSchemas['CredentialSecrets'];
export type ConnectionStatus = AitronosSchemas['ConnectionStatus'];
export type KnownConnectionStatus = AitronosSchemas['KnownConnectionStatus'];
export type AuthScheme = AitronosSchemas['AuthScheme'];
export type KnownAuthScheme = AitronosSchemas['KnownAuthScheme'];
/** The envelope of every Aitronos error response. */
export type ErrorEnvelope = AitronosSchemas['ErrorEnvelope'];
export type ErrorDetail = AitronosSchemas['ErrorDetail'];
export type ErrorCode = AitronosSchemas['ErrorCode'];
export type ErrorType = AitronosSchemas['ErrorType'];
export type GetAdminCredentialsParams = AitronosOperations['getAdminCredentials']['parameters'];
/** A credential's registry entry (`tcred_…`), as registration returns it. */
export type CredentialRecord = AitronosSchemas['CredentialRecord'];
export type RegisterCredentialRequest = AitronosSchemas['RegisterCredentialRequest'];
export type ConnectionSummary = AitronosSchemas['ConnectionSummary'];
export type ConnectionList = AitronosSchemas['ConnectionList'];
export type SetConnectionActiveRequest = AitronosSchemas['SetConnectionActiveRequest'];
export type ConnectionActiveState = AitronosSchemas['ConnectionActiveState'];

// --- Composio connected accounts API ------------------------------------------------------
type ComposioSchemas = ComposioComponents['schemas'];

/** Body of Composio's `GET /api/v3/connected_accounts/{nanoid}`. */
export type ConnectedAccount = ComposioSchemas['ConnectedAccount'];
/** A page of Composio's `GET /api/v3/connected_accounts`. */
export type ConnectedAccountList = ComposioSchemas['ConnectedAccountList'];
export type ConnectionState = ComposioSchemas['ConnectionState'];
export type OAuth2State = ComposioSchemas['OAuth2State'];
export type OAuth1State = ComposioSchemas['OAuth1State'];
export type ApiKeyState = ComposioSchemas['ApiKeyState'];
export type BasicState = ComposioSchemas['BasicState'];
export type BearerTokenState = ComposioSchemas['BearerTokenState'];
export type OtherSchemeState = ComposioSchemas['OtherSchemeState'];
export type ComposioAuthConfig = ComposioSchemas['AuthConfig'];
export type ComposioToolkit = ComposioSchemas['Toolkit'];
export type ComposioConnectionStatus = ComposioSchemas['ConnectionStatus'];
export type ComposioAuthScheme = ComposioSchemas['AuthScheme'];
/** Composio's error envelope. */
export type ComposioError = ComposioSchemas['Error'];
