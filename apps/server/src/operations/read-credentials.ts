/**
 * `GET …/admin/credentials/{credential_id}` and `GET …/admin/credentials/by-connection/{connection_id}`:
 * resolve the registry entry (from memory when warm), read the connection's credentials (store,
 * or Composio and map), answer. The audit facts go on the request's log line.
 */
import type { RequestHandler, Response } from 'express';
import type { AitronosOperations, ConnectorCredentials } from '@connector-credentials/types';
import type { CredentialsReader } from '../credentials-reader.js';
import { principalOf } from '../auth.js';
import { credentialNotFound } from '../errors.js';
import type { Lookup, Registry } from '../registry/registry.js';

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
}

/** Reads `connectionId` for the lookup's entry (none: not registered) and answers. */
async function answer(deps: ReadDependencies, res: Response<Ok>, connectionId: string, { entry, unverified }: Lookup, noCache: boolean): Promise<void> {
  res.locals.audit = { event: 'credential_read', key_name: principalOf(res).name, credential_id: entry?.id ?? null, connection_id: connectionId };
  const result = await deps.reader.read(connectionId, { requestId: String(res.req.id), noCache });
  res.locals.audit.outcome = result.stale ? `stale:${result.stale}` : 'success';
  if (unverified) res.locals.audit.registry = 'unverified';
  const body: ConnectorCredentials = {
    credential_id: entry?.id ?? null,
    ...result.credentials,
    // A turned-off registry entry wins over the vendor's flag.
    is_disabled: entry && !entry.is_active ? true : result.credentials.is_disabled,
  };
  res.setHeader('Cache-Control', 'no-store');
  if (result.stale) res.setHeader(STALE_HEADER, result.stale);
  if (unverified) res.setHeader(REGISTRY_STALE_HEADER, 'DATABASE_UNAVAILABLE');
  res.status(200).json(body);
}

const noCacheOf = (header: string | string[] | undefined) => NO_CACHE.test(String(header ?? ''));

export function getAdminCredentials(deps: ReadDependencies): RequestHandler<ByCredential['parameters']['path'], Ok> {
  return async (req, res) => {
    const credentialId = req.params.credential_id;
    const lookup = await deps.registry.get(credentialId);
    if (!lookup.entry) {
      res.locals.audit = { event: 'credential_read', key_name: principalOf(res).name, credential_id: credentialId };
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
