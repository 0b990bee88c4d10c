/**
 * `GET …/admin/credentials/{credential_id}` and `GET …/admin/credentials/by-connection/{connection_id}`:
 * resolve the registry entry (from memory when warm), read the connection's credentials (store,
 * or Composio and map), answer. The audit facts go on the request's log line.
 */
import type { RequestHandler, Response } from 'express';
import type { AitronosOperations, ConnectorCredentials } from '@connector-credentials/types';
import type { CredentialsReader } from '../credentials-reader.js';
import type { StoredCredentials } from '../shared/credential-store.js';
import { principalOf } from '../auth.js';
import { credentialNotFound } from '../errors.js';
import type { CredentialEntry, Lookup, Registry } from '../registry/registry.js';

type ByCredential = AitronosOperations['getAdminCredentials'];
type ByConnection = AitronosOperations['getAdminCredentialsByConnection'];
type Ok = ByCredential['responses'][200]['content']['application/json'];

/** Response header set when Composio failed and the last good credentials are served. */
export const STALE_HEADER = 'X-Credentials-Stale';
/** Response header set when the registry entry was answered from memory while the database was lost. */
export const REGISTRY_STALE_HEADER = 'X-Registry-Stale';

const NO_CACHE = /(?:^|,)\s*no-cache\s*(?:,|$)/i;

export interface ReadDependencies {
  registry: Registry;
  reader: CredentialsReader;
  /**
   * Answer a body serialized once per cache entry and registry entry (production). Off when the
   * validator checks responses: it checks what goes through `res.json`.
   */
  serializeOnce?: boolean;
}

/**
 * The serialized body of each kept credentials object, with the registry entry it was made for.
 * Both stores hand out the same object for as long as an entry is kept, and the registry the same
 * entry object for as long as it is cached; a refreshed entry is a new object on either side, so
 * a body is never answered for anything but what it was made from.
 */
const serialized = new WeakMap<StoredCredentials, { entry: CredentialEntry | undefined; body: SerializedBody }>();

/**
 * A body serialized once: its JSON text and its length in UTF-8 bytes. It is answered as text, not
 * as a Buffer: Node writes the head and a text body as one string, in one write, where a Buffer
 * body goes out with the head through `writev`, which measured as the costlier of the two.
 */
export interface SerializedBody {
  json: string;
  bytes: number;
}

function bodyOf(entry: CredentialEntry | undefined, credentials: StoredCredentials): ConnectorCredentials {
  return {
    credential_id: entry?.id ?? null,
    ...credentials,
    // A turned-off registry entry wins over the vendor's flag.
    is_disabled: entry && !entry.is_active ? true : credentials.is_disabled,
  };
}

/** `bodyOf`, serialized, made once per (credentials, entry) pair. */
export function serializedBodyOf(entry: CredentialEntry | undefined, credentials: StoredCredentials): SerializedBody {
  const kept = serialized.get(credentials);
  if (kept !== undefined && kept.entry === entry) return kept.body;
  const json = JSON.stringify(bodyOf(entry, credentials));
  const body = { json, bytes: Buffer.byteLength(json, 'utf8') };
  serialized.set(credentials, { entry, body });
  return body;
}

/** Reads `connectionId` for the lookup's entry (none: not registered) and answers. */
async function answer(deps: ReadDependencies, res: Response<Ok>, connectionId: string, { entry, unverified }: Lookup, noCache: boolean): Promise<void> {
  res.locals.audit = { event: 'credential_read', key_name: principalOf(res).name, credential_id: entry?.id ?? null, connection_id: connectionId };
  const result = await deps.reader.read(connectionId, { requestId: String(res.req.id), noCache });
  res.locals.audit.outcome = result.stale ? `stale:${result.stale}` : 'success';
  if (unverified) res.locals.audit.registry = 'unverified';
  res.setHeader('Cache-Control', 'no-store');
  if (result.stale) res.setHeader(STALE_HEADER, result.stale);
  if (unverified) res.setHeader(REGISTRY_STALE_HEADER, 'DATABASE_UNAVAILABLE');
  if (deps.serializeOnce) {
    // The same bytes and headers as `res.json(bodyOf(…))`, serialized and measured once, and sent
    // as they are: Express's `send` would parse the content type and measure the body again on
    // every answer.
    const { json, bytes } = serializedBodyOf(entry, result.credentials);
    res.statusCode = 200;
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.setHeader('Content-Length', bytes);
    res.end(json, 'utf8');
  } else {
    res.status(200).json(bodyOf(entry, result.credentials));
  }
}

const noCacheOf = (header: string | string[] | undefined) => NO_CACHE.test(String(header ?? ''));

export function getAdminCredentials(deps: ReadDependencies): RequestHandler<ByCredential['parameters']['path'], Ok> {
  return async (req, res) => {
    const credentialId = req.params.credential_id;
    const lookup = await deps.registry.get(credentialId);
    if (!lookup.entry) {
      res.locals.audit = { event: 'credential_read', key_name: principalOf(res).name, credential_id: credentialId };
      // "Not registered", remembered while the database is lost: answered, and marked, as an entry would be.
      if (lookup.unverified) {
        res.locals.audit.registry = 'unverified';
        res.setHeader(REGISTRY_STALE_HEADER, 'DATABASE_UNAVAILABLE');
      }
      throw credentialNotFound(credentialId);
    }
    await answer(deps, res, lookup.entry.connection_id, lookup, noCacheOf(req.headers['cache-control']));
  };
}

export function getAdminCredentialsByConnection(deps: ReadDependencies): RequestHandler<ByConnection['parameters']['path'], Ok> {
  return async (req, res) => {
    const connectionId = req.params.connection_id;
    await answer(deps, res, connectionId, await deps.registry.getByConnection(connectionId), noCacheOf(req.headers['cache-control']));
  };
}
