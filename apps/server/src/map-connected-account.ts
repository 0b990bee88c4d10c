/**
 * Composio connected account -> Aitronos ConnectorCredentials, and -> the registry's record of it.
 * Total: whatever a payload valid under the vendor's schema holds (extra properties of any type,
 * odd strings, nulls), it returns a value valid under the Aitronos spec. The rules are written in
 * the spec's descriptions. Importing it does no I/O: the spec's secret tables are read on the
 * first mapping, once (or given, `secretTablesOf`).
 */
import { z } from 'zod';
import type { ConnectedAccount, ConnectorCredentials, CredentialSecrets } from '@connector-credentials/types';
import type { NewCredential } from './registry/registry.js';
import { loadSpec } from './specs.js';

/** Any value a vendor payload may hold where the spec allows anything. */
type VendorValue = unknown;
/** A JSON object of the vendor's, read field by field. */
type VendorObject = Readonly<Record<string, VendorValue>>;

const isRecord = (v: VendorValue): v is VendorObject => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: VendorValue): string | null => (typeof v === 'string' ? v : null);
const bool = (v: VendorValue): boolean | null => (typeof v === 'boolean' ? v : null);

/**
 * The Aitronos spec's CredentialSecrets is the one source of the secret fields: which fields each
 * auth scheme carries (`x-secrets-by-scheme`), the few Composio names differently
 * (`x-vendor-names`), and which are strings (their `type`).
 */
const secretsSchema = z.object({
  components: z.object({
    schemas: z.object({
      CredentialSecrets: z.object({
        properties: z.record(z.string(), z.object({ type: z.unknown() })),
        'x-secrets-by-scheme': z.record(z.string(), z.array(z.string())),
        'x-vendor-names': z.record(z.string(), z.string()),
      }),
    }),
  }),
});

export interface SecretTables {
  /** Secret fields by auth scheme: [field in state.val, field in credentials]. */
  byScheme: ReadonlyMap<string, ReadonlyArray<readonly [string, string]>>;
  /** Secrets the spec types as plain strings: any other value is dropped. */
  strings: ReadonlySet<string>;
}

/** The secret tables of an Aitronos spec (the bundled one, parsed). */
export function secretTablesOf(spec: unknown): SecretTables {
  const secrets = secretsSchema.parse(spec).components.schemas.CredentialSecrets;
  return {
    byScheme: new Map(
      Object.entries(secrets['x-secrets-by-scheme']).map(([scheme, fields]) => [
        scheme,
        fields.map((field) => [secrets['x-vendor-names'][field] ?? field, field] as const),
      ]),
    ),
    strings: new Set(
      Object.entries(secrets.properties)
        .filter(([, property]) => property.type === 'string')
        .map(([field]) => field),
    ),
  };
}

let bundledTables: SecretTables | undefined;
/** The bundled spec's tables, read on first use. */
const bundledSecretTables = () => (bundledTables ??= secretTablesOf(loadSpec('aitronos')));

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

/** Scopes as one space-separated string: lists and comma- or space-separated strings alike. */
export function normalizeScope(value: VendorValue): string | null {
  const parts = typeof value === 'string' ? value.split(/[\s,]+/) : Array.isArray(value) ? value.filter((s): s is string => typeof s === 'string') : null;
  if (parts === null) return null;
  return parts.map((s) => s.trim()).filter(Boolean).join(' ');
}

/** Whole non-negative seconds from a number or a numeric string; null otherwise. */
export function normalizeExpiresIn(value: VendorValue): number | null {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : Number.NaN;
  return Number.isFinite(n) && n >= 0 && n <= Number.MAX_SAFE_INTEGER ? Math.floor(n) : null;
}

const ISO_LIKE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?(?:Z|[+-]\d{2}:?\d{2})?$/i;

/** A zone designator at the end of a timestamp. */
const ZONED = /(?:Z|[+-]\d{2}:?\d{2})$/i;

/**
 * An ISO 8601 UTC timestamp from a date-like string; null for anything else. A date and time
 * without a zone is read as UTC, as the vendor means it (JavaScript would read it in the server's
 * own time zone).
 */
export function toIsoTimestamp(value: VendorValue): string | null {
  const text = typeof value === 'string' ? value.trim() : '';
  if (!ISO_LIKE.test(text)) return null;
  const ms = Date.parse(text.length > 10 && !ZONED.test(text) ? `${text}Z` : text);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

const MASKED = /^.{1,4}\.\.\.$/s;
/** A secret the vendor masked: `REDACTED`, or up to four characters and `...`. */
export const isMasked = (value: string) => value === 'REDACTED' || MASKED.test(value);

function anyMasked(value: VendorValue, depth = 0): boolean {
  if (typeof value === 'string') return isMasked(value);
  if (depth > 4) return false;
  if (Array.isArray(value)) return value.some((v) => anyMasked(v, depth + 1));
  if (isRecord(value)) return Object.values(value).some((v) => anyMasked(v, depth + 1));
  return false;
}

function normalizeSecret(tables: SecretTables, field: string, value: VendorValue): { keep: boolean; value?: VendorValue } {
  if (field === 'scope') return { keep: true, value: normalizeScope(value) };
  if (field === 'expires_in') return { keep: true, value: normalizeExpiresIn(value) };
  if (field === 'refresh_token') return typeof value === 'string' || value === null ? { keep: true, value } : { keep: false };
  if (field === 'authed_user') return isRecord(value) ? { keep: true, value } : { keep: false };
  if (tables.strings.has(field)) return typeof value === 'string' ? { keep: true, value } : { keep: false };
  return { keep: true, value };
}

/** String values of a header or query map; numbers and booleans become strings, the rest is dropped. */
function stringMap(value: VendorValue): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isRecord(value)) return out;
  for (const [key, v] of Object.entries(value)) {
    if (typeof v === 'string') out[key] = v;
    else if (typeof v === 'number' || typeof v === 'boolean') out[key] = String(v);
  }
  return out;
}

const firstRecord = (...values: VendorValue[]) => values.find(isRecord);
/** An address as people write one: no spaces, no control characters (which no database text could hold, NUL). */
const EMAIL = /^[^\s@\p{Cc}]+@[^\s@\p{Cc}]+$/u;
const MAX_ID_TOKEN = 16_384;

/** The `email` claim of a JWT's payload. The token is read, not verified: never use it to authenticate. */
export function emailFromIdToken(idToken: string | null): string | null {
  if (!idToken || idToken.length > MAX_ID_TOKEN) return null;
  const payload = idToken.split('.')[1];
  if (!payload) return null;
  try {
    const claims: VendorValue = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    const email = isRecord(claims) ? claims.email : undefined;
    return typeof email === 'string' && EMAIL.test(email) ? email : null;
  } catch {
    return null;
  }
}

function accountEmail(sources: readonly VendorValue[], idToken: string | null): string | null {
  for (const source of sources) {
    if (!isRecord(source)) continue;
    for (const field of ['email', 'account_email', 'user_email']) {
      const v = source[field];
      if (typeof v === 'string' && EMAIL.test(v)) return v;
    }
  }
  return emailFromIdToken(idToken);
}

/** Upper-case status, reduced to the characters the spec allows; null when nothing is left. */
function normalizeStatus(value: VendorValue): string | null {
  if (typeof value !== 'string') return null;
  const status = value.toUpperCase().replace(/[^A-Z0-9_]+/g, '_');
  return /[A-Z0-9]/.test(status) ? status : null;
}

/** Where the secrets are, by the state's scheme; for a scheme the spec does not list, every field that is not known to be something else. */
function secretFieldsOf(tables: SecretTables, scheme: string | null, val: VendorObject): ReadonlyArray<readonly [string, string]> {
  const known = scheme !== null ? tables.byScheme.get(scheme) : undefined;
  return known ?? Object.keys(val).filter((field) => !NOT_SECRET.has(field)).map((field) => [field, field] as const);
}

/** The mapped credentials: everything but `credential_id`, which comes from the registry. */
export type MappedCredentials = Omit<ConnectorCredentials, 'credential_id'>;

export function mapConnectedAccount(account: ConnectedAccount, tables: SecretTables = bundledSecretTables()): MappedCredentials {
  const { state, toolkit } = account;
  const authConfig = account.auth_config;
  // Each variant of the state union carries its scheme and a `val` object of its own shape; the
  // mapping reads `val` field by field, whatever the variant.
  const val: VendorObject = isRecord(state?.val) ? state.val : {};
  const params: VendorObject = isRecord(account.params) ? account.params : {};

  const scheme = (typeof state?.authScheme === 'string' && state.authScheme) || str(authConfig?.auth_scheme) || null;
  const status = normalizeStatus(account.status);
  // A revoked account's secrets are never handed out, whatever the vendor still sends.
  const revoked = status === 'REVOKED';
  const usable = !revoked && typeof val.status === 'string' && USABLE_STATES.has(val.status);
  const credentials: CredentialSecrets = {};
  const consumed = new Set<string>(MAPPED_FIELDS);
  for (const [from, to] of secretFieldsOf(tables, scheme, val)) {
    consumed.add(from);
    if (!usable || !(from in val)) continue;
    const { keep, value } = normalizeSecret(tables, to, val[from]);
    if (keep) credentials[to] = value;
  }

  const extraData: Record<string, VendorValue> = {};
  for (const [field, value] of Object.entries(val)) {
    // What else a provider's token response held may hold secrets too: not for revoked accounts.
    if (!consumed.has(field) && !(revoked && field === 'extra_token_data')) extraData[field] = value;
  }

  const idToken = str(val.id_token);
  const updatedAt = toIsoTimestamp(account.updated_at);
  const expiresIn = normalizeExpiresIn(val.expires_in);
  const derivedExpiry =
    updatedAt !== null && expiresIn !== null && expiresIn > 0 ? toIsoOrNull(Date.parse(updatedAt) + expiresIn * 1000) : null;
  const extraHeaders = revoked ? {} : stringMap(firstRecord(val.headers, params.headers));

  return {
    connection_id: String(account.id ?? ''),
    status,
    app_name: str(toolkit?.slug),
    auth_scheme: scheme,
    credentials,
    account_email: accountEmail([val, account.data, params], idToken),
    account_id: str(val.account_id),
    entity_id: str(account.user_id),
    auth_config_id: str(authConfig?.id),
    is_composio_managed: bool(authConfig?.is_composio_managed),
    base_url: str(val.base_url),
    test_request_endpoint: str(account.test_request_endpoint),
    callback_url: str(val.callback_url) ?? str(val.callbackUrl),
    id_token: revoked ? null : idToken,
    code_verifier: revoked ? null : str(val.code_verifier),
    extra_headers: extraHeaders,
    query_params: revoked ? {} : stringMap(firstRecord(val.query_params, val.queryParams, params.query_params, params.queryParams)),
    extra_data: extraData,
    expires_at: toIsoTimestamp(val.expires_at) ?? toIsoTimestamp(val.expired_at) ?? derivedExpiry,
    created_at: toIsoTimestamp(account.created_at),
    updated_at: updatedAt,
    status_reason: str(account.status_reason),
    is_disabled: bool(account.is_disabled),
    is_redacted: anyMasked(credentials) || anyMasked(extraHeaders),
  };
}

/** The tool key of an account: its toolkit slug, lower case, limited to the spec's alphabet. */
export function toolKeyOf(account: ConnectedAccount): string {
  const slug = account.toolkit.slug.toLowerCase().replace(/[^a-z0-9_-]/g, '_').slice(0, 64);
  return slug.length > 0 ? slug : 'unknown';
}

/** What the registry records when a vendor account is registered: the caller's ids and name, the account's tool, user and email. */
export function registrationOf(
  account: ConnectedAccount,
  registration: Pick<NewCredential, 'connection_id' | 'organization_id' | 'credential_name'>,
  tables: SecretTables = bundledSecretTables(),
): NewCredential {
  return {
    ...registration,
    tool_key: toolKeyOf(account),
    // A user id PostgreSQL text cannot hold (NUL) is no id this registry can record.
    entity_id: account.user_id?.includes('\u0000') ? null : (account.user_id ?? null),
    account_email: mapConnectedAccount(account, tables).account_email,
  };
}

function toIsoOrNull(ms: number): string | null {
  if (!Number.isFinite(ms)) return null;
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) || date.getUTCFullYear() > 9999 ? null : date.toISOString();
}
