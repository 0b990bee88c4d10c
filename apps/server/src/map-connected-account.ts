/**
 * Composio connected account -> Aitronos ConnectorCredentials. Pure and total: whatever a payload
 * valid under the vendor's schema holds (extra properties of any type, odd strings, nulls), it
 * returns a value valid under the Aitronos spec. The rules are written in the spec's descriptions.
 */
import type { ConnectedAccount, ConnectorCredentials, CredentialSecrets } from '@connector-credentials/types';

type Json = unknown;
type Record_ = Record<string, Json>;

const isRecord = (v: Json): v is Record_ => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: Json): string | null => (typeof v === 'string' ? v : null);
const bool = (v: Json): boolean | null => (typeof v === 'boolean' ? v : null);

/** Secret fields by auth scheme: [field in state.val, field in credentials]. */
const OAUTH2_FIELDS = ['access_token', 'refresh_token', 'token_type', 'scope', 'expires_in', 'authed_user'] as const;
const SECRET_FIELDS: Readonly<Record<string, ReadonlyArray<readonly [string, string]>>> = {
  OAUTH2: OAUTH2_FIELDS.map((f) => [f, f] as const),
  DCR_OAUTH: [...OAUTH2_FIELDS, 'client_id', 'client_secret'].map((f) => [f, f] as const),
  OAUTH1: ['oauth_token', 'oauth_token_secret', 'consumer_key', 'oauth_verifier'].map((f) => [f, f] as const),
  API_KEY: ['api_key', 'generic_api_key', 'bearer_token', 'basic_encoded'].map((f) => [f, f] as const),
  BASIC: [['username', 'username'], ['password', 'password']],
  BASIC_WITH_JWT: [['username', 'username'], ['password', 'password']],
  BEARER_TOKEN: [['token', 'token']],
  GOOGLE_SERVICE_ACCOUNT: [['credentials_json', 'credentials_json']],
  BILLCOM_AUTH: [['sessionId', 'session_id'], ['devKey', 'dev_key']],
  SERVICE_ACCOUNT: ['application_id', 'installation_id', 'private_key'].map((f) => [f, f] as const),
  NO_AUTH: [],
  CALCOM_AUTH: [],
  SAML: [],
};

/** Fields of state.val that are never secrets: provider data, flow bookkeeping, mapped metadata. */
const PROVIDER_FIELDS = [
  'subdomain', 'your-domain', 'region', 'shop', 'account_url', 'COMPANYDOMAIN', 'extension', 'form_api_base_url',
  'instanceEndpoint', 'api_url', 'borneo_dashboard_url', 'proxy_username', 'proxy_password', 'domain', 'version', 'dc',
  'site_name', 'instanceName', 'your_server', 'server_location',
];
const FLOW_FIELDS = [
  'state_prefix', 'long_redirect_url', 'redirectUrl', 'authUri', 'finalRedirectUri', 'webhook_signature',
  'composio_link_redirect_url', 'client_id_issued_at', 'client_secret_expires_at', 'error', 'error_description',
];
/** Fields mapped to their own top-level field of the response. */
const MAPPED_FIELDS = [
  'status', 'id_token', 'code_verifier', 'callback_url', 'callbackUrl', 'base_url', 'account_id', 'expires_at',
  'expired_at', 'headers', 'query_params', 'queryParams',
];
const NOT_SECRET = new Set([...PROVIDER_FIELDS, ...FLOW_FIELDS, ...MAPPED_FIELDS, 'email', 'account_email', 'user_email']);

/** Statuses of state.val in which the secrets are real credentials. */
const USABLE_STATES = new Set(['ACTIVE', 'INACTIVE']);

const STRING_SECRETS = new Set([
  'access_token', 'token_type', 'client_id', 'client_secret', 'oauth_token', 'oauth_token_secret', 'consumer_key',
  'oauth_verifier', 'api_key', 'generic_api_key', 'bearer_token', 'basic_encoded', 'username', 'password', 'token',
  'credentials_json', 'session_id', 'dev_key', 'application_id', 'installation_id', 'private_key',
]);

/** Scopes as one space-separated string: lists and comma- or space-separated strings alike. */
export function normalizeScope(value: Json): string | null {
  const parts = typeof value === 'string' ? value.split(/[\s,]+/) : Array.isArray(value) ? value.filter((s) => typeof s === 'string') : null;
  if (parts === null) return null;
  return parts.map((s) => (s as string).trim()).filter(Boolean).join(' ');
}

/** Whole non-negative seconds from a number or a numeric string; null otherwise. */
export function normalizeExpiresIn(value: Json): number | null {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : Number.NaN;
  return Number.isFinite(n) && n >= 0 && n <= Number.MAX_SAFE_INTEGER ? Math.floor(n) : null;
}

const ISO_LIKE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?(?:Z|[+-]\d{2}:?\d{2})?$/i;

/** An ISO 8601 UTC timestamp from a date-like string; null for anything else. */
export function toIsoTimestamp(value: Json): string | null {
  if (typeof value !== 'string' || !ISO_LIKE.test(value.trim())) return null;
  const ms = Date.parse(value.trim());
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

const MASKED = /^.{1,4}\.\.\.$/s;
/** A secret the vendor masked: `REDACTED`, or up to four characters and `...`. */
export const isMasked = (value: string) => value === 'REDACTED' || MASKED.test(value);

function anyMasked(value: Json, depth = 0): boolean {
  if (typeof value === 'string') return isMasked(value);
  if (depth > 4) return false;
  if (Array.isArray(value)) return value.some((v) => anyMasked(v, depth + 1));
  if (isRecord(value)) return Object.values(value).some((v) => anyMasked(v, depth + 1));
  return false;
}

function normalizeSecret(field: string, value: Json): { keep: boolean; value?: Json } {
  if (field === 'scope') return { keep: true, value: normalizeScope(value) };
  if (field === 'expires_in') return { keep: true, value: normalizeExpiresIn(value) };
  if (field === 'refresh_token') return typeof value === 'string' || value === null ? { keep: true, value } : { keep: false };
  if (field === 'authed_user') return isRecord(value) ? { keep: true, value } : { keep: false };
  if (STRING_SECRETS.has(field)) return typeof value === 'string' ? { keep: true, value } : { keep: false };
  return { keep: true, value };
}

/** String values of a header or query map; numbers and booleans become strings, the rest is dropped. */
function stringMap(value: Json): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isRecord(value)) return out;
  for (const [key, v] of Object.entries(value)) {
    if (typeof v === 'string') out[key] = v;
    else if (typeof v === 'number' || typeof v === 'boolean') out[key] = String(v);
  }
  return out;
}

const firstRecord = (...values: Json[]) => values.find(isRecord);
const EMAIL = /^[^\s@]+@[^\s@]+$/;
const MAX_ID_TOKEN = 16_384;

/** The `email` claim of a JWT's payload. The token is read, not verified: never use it to authenticate. */
export function emailFromIdToken(idToken: string | null): string | null {
  if (!idToken || idToken.length > MAX_ID_TOKEN) return null;
  const payload = idToken.split('.')[1];
  if (!payload) return null;
  try {
    const claims: Json = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    const email = isRecord(claims) ? claims.email : undefined;
    return typeof email === 'string' && EMAIL.test(email) ? email : null;
  } catch {
    return null;
  }
}

function accountEmail(val: Record_, account: Record_, idToken: string | null): string | null {
  for (const source of [val, account.data, account.params]) {
    if (!isRecord(source)) continue;
    for (const field of ['email', 'account_email', 'user_email']) {
      const v = source[field];
      if (typeof v === 'string' && EMAIL.test(v)) return v;
    }
  }
  return emailFromIdToken(idToken);
}

/** Upper-case status, reduced to the characters the spec allows; null when nothing is left. */
function normalizeStatus(value: Json): string | null {
  if (typeof value !== 'string') return null;
  const status = value.toUpperCase().replace(/[^A-Z0-9_]+/g, '_');
  return /[A-Z0-9]/.test(status) ? status : null;
}

export function mapConnectedAccount(input: ConnectedAccount): ConnectorCredentials {
  const account = input as unknown as Record_;
  const state = isRecord(account.state) ? account.state : {};
  const val = isRecord(state.val) ? state.val : {};
  const authConfig = isRecord(account.auth_config) ? account.auth_config : {};
  const toolkit = isRecord(account.toolkit) ? account.toolkit : {};

  const scheme = (typeof state.authScheme === 'string' && state.authScheme) || str(authConfig.auth_scheme) || null;
  const known = scheme !== null ? SECRET_FIELDS[scheme] : undefined;
  const secretFields: ReadonlyArray<readonly [string, string]> =
    known ?? Object.keys(val).filter((field) => !NOT_SECRET.has(field)).map((field) => [field, field] as const);

  const usable = typeof val.status === 'string' && USABLE_STATES.has(val.status);
  const credentials: Record_ = {};
  const consumed = new Set<string>(MAPPED_FIELDS);
  for (const [from, to] of secretFields) {
    consumed.add(from);
    if (!usable || !(from in val)) continue;
    const { keep, value } = normalizeSecret(to, val[from]);
    if (keep) credentials[to] = value;
  }

  const extraData: Record_ = {};
  for (const [field, value] of Object.entries(val)) {
    if (!consumed.has(field)) extraData[field] = value;
  }

  const idToken = str(val.id_token);
  const updatedAt = toIsoTimestamp(account.updated_at);
  const expiresIn = normalizeExpiresIn(val.expires_in);
  const derivedExpiry =
    updatedAt !== null && expiresIn !== null && expiresIn > 0 ? toIsoOrNull(Date.parse(updatedAt) + expiresIn * 1000) : null;
  const extraHeaders = stringMap(firstRecord(val.headers, isRecord(account.params) ? account.params.headers : undefined));

  return {
    connection_id: String(account.id ?? ''),
    status: normalizeStatus(account.status),
    app_name: str(toolkit.slug),
    auth_scheme: scheme,
    credentials: credentials as CredentialSecrets,
    account_email: accountEmail(val, account, idToken),
    account_id: str(val.account_id),
    entity_id: str(account.user_id),
    auth_config_id: str(authConfig.id),
    is_composio_managed: bool(authConfig.is_composio_managed),
    base_url: str(val.base_url),
    test_request_endpoint: str(account.test_request_endpoint),
    callback_url: str(val.callback_url) ?? str(val.callbackUrl),
    id_token: idToken,
    code_verifier: str(val.code_verifier),
    extra_headers: extraHeaders,
    query_params: stringMap(
      firstRecord(
        val.query_params,
        val.queryParams,
        isRecord(account.params) ? account.params.query_params : undefined,
        isRecord(account.params) ? account.params.queryParams : undefined,
      ),
    ),
    extra_data: extraData,
    expires_at: toIsoTimestamp(val.expires_at) ?? toIsoTimestamp(val.expired_at) ?? derivedExpiry,
    created_at: toIsoTimestamp(account.created_at),
    updated_at: updatedAt,
    status_reason: str(account.status_reason),
    is_disabled: bool(account.is_disabled),
    is_redacted: anyMasked(credentials) || anyMasked(extraHeaders),
  };
}

function toIsoOrNull(ms: number): string | null {
  if (!Number.isFinite(ms)) return null;
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) || date.getUTCFullYear() > 9999 ? null : date.toISOString();
}
