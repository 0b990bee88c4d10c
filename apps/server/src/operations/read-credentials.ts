/**
 * `GET …/admin/credentials/{credential_id}` and `GET …/admin/credentials/by-connection/{connection_id}`:
 * resolve the registry entry (from memory when warm), read the connection's credentials (store,
 * or Composio and map), answer. One audit line per read.
 */
import type { RequestHandler, Response } from 'express';
import type { AitronosOperations, ConnectorCredentials } from '@connector-credentials/types';
import type { Logger } from 'pino';
import type { CredentialsReader } from '../credentials-reader.js';
import { principalOf } from '../auth.js';
import { AppError, toAppError } from '../errors.js';
import type { CredentialEntry, Registry } from '../registry/registry.js';

type ByCredential = AitronosOperations['getAdminCredentials'];
type ByConnection = AitronosOperations['getAdminCredentialsByConnection'];
type Ok = ByCredential['responses'][200]['content']['application/json'];

/** Response header set when Composio failed and the last good credentials are served. */
export const STALE_HEADER = 'X-Credentials-Stale';

const NO_CACHE = /(?:^|,)\s*no-cache\s*(?:,|$)/i;

export interface ReadDependencies {
  registry: Registry;
  reader: CredentialsReader;
  audit: Logger;
}

/** Reads `connectionId` for `entry` (undefined: not registered) and answers; audits the outcome. */
async function answer(deps: ReadDependencies, res: Response<Ok>, connectionId: string, entry: CredentialEntry | undefined, audited: { credential_id: string | null }, noCache: boolean): Promise<void> {
  const traceId = String(res.req.id);
  // Noticed so that an abandoned request is not counted as a failure.
  let gone = false;
  res.on('close', () => {
    gone = !res.writableFinished;
  });
  const record = (outcome: string) =>
    deps.audit.info(
      { event: 'credential_read', key_name: principalOf(res).name, ...audited, connection_id: connectionId, outcome, trace_id: traceId },
      'credential read',
    );
  let result;
  try {
    result = await deps.reader.read(connectionId, { requestId: traceId, noCache });
  } catch (error) {
    if (gone) return record('abandoned'); // nobody to answer, and no fault of the server
    record(toAppError(error).code);
    throw error;
  }
  if (gone) return record('abandoned');
  record(result.stale ? `stale:${result.stale}` : 'success');
  const body: ConnectorCredentials = {
    credential_id: entry?.id ?? null,
    ...result.credentials,
    // A turned-off registry entry wins over the vendor's flag.
    is_disabled: entry && !entry.is_active ? true : result.credentials.is_disabled,
  };
  res.setHeader('Cache-Control', 'no-store');
  if (result.stale) res.setHeader(STALE_HEADER, result.stale);
  res.status(200).json(body);
}

const noCacheOf = (header: string | string[] | undefined) => NO_CACHE.test(String(header ?? ''));

export function getAdminCredentials(deps: ReadDependencies): RequestHandler<ByCredential['parameters']['path'], Ok> {
  return async (req, res) => {
    const credentialId = req.params.credential_id;
    const entry = await deps.registry.get(credentialId);
    if (!entry) {
      deps.audit.info({ event: 'credential_read', key_name: principalOf(res).name, credential_id: credentialId, outcome: 'CREDENTIAL_NOT_FOUND', trace_id: String(req.id) }, 'credential read');
      throw new AppError('CREDENTIAL_NOT_FOUND', { systemMessage: 'No credential is registered with this id', details: { credential_id: credentialId } });
    }
    await answer(deps, res, entry.connection_id, entry, { credential_id: entry.id }, noCacheOf(req.headers['cache-control']));
  };
}

export function getAdminCredentialsByConnection(deps: ReadDependencies): RequestHandler<ByConnection['parameters']['path'], Ok> {
  return async (req, res) => {
    const connectionId = req.params.connection_id;
    const entry = await deps.registry.getByConnection(connectionId);
    await answer(deps, res, connectionId, entry, { credential_id: entry?.id ?? null }, noCacheOf(req.headers['cache-control']));
  };
}
