/**
 * Registry administration: `POST …/admin/credentials` (register a vendor connection) and
 * `DELETE …/admin/credentials/{credential_id}`.
 */
import type { RequestHandler } from 'express';
import type { AitronosOperations, CredentialRecord } from '@connector-credentials/types';
import type { ComposioGateway } from '../composio/index.js';
import type { CredentialsReader } from '../credentials-reader.js';
import { principalOf } from '../auth.js';
import { AppError, credentialNotFound, validationError } from '../errors.js';
import { registrationOf } from '../map-connected-account.js';
import { CREDENTIALS_PATH } from '../paths.js';
import type { CredentialEntry, Registry } from '../registry/registry.js';

type Register = AitronosOperations['registerCredential'];
type Delete = AitronosOperations['deleteCredential'];
type RegisterBody = Register['requestBody']['content']['application/json'];

export interface RegistryAdminDependencies {
  registry: Registry;
  gateway: ComposioGateway;
  reader: CredentialsReader;
}

/** The public record: the entry without the connection's user. */
export const recordOf = ({ entity_id: _entity, ...record }: CredentialEntry): CredentialRecord => record;

export function registerCredential(deps: RegistryAdminDependencies): RequestHandler<Record<string, never>, CredentialRecord, RegisterBody> {
  return async (req, res) => {
    const { connection_id: connectionId, organization_id: organizationId, credential_name: name } = req.body;
    // PostgreSQL text cannot hold NUL: refused here, as the spec says, not a database error.
    if (name?.includes('\u0000')) throw validationError([{ location: 'body', path: '/body/credential_name', message: 'must not contain NUL (U+0000)' }]);
    const account = await deps.gateway.getConnectedAccount(connectionId, { requestId: String(req.id), idFrom: 'body' });
    const result = await deps.registry.register(registrationOf(account, { connection_id: connectionId, organization_id: organizationId, credential_name: name ?? null }));
    if ('existingId' in result) {
      throw new AppError('CREDENTIAL_ALREADY_REGISTERED', {
        systemMessage: `Connection ${connectionId} is registered as ${result.existingId}`,
        details: { credential_id: result.existingId, connection_id: connectionId },
      });
    }
    const record = recordOf(result.created);
    res.locals.audit = { event: 'credential_registered', key_name: principalOf(res).name, credential_id: record.id, connection_id: connectionId, organization_id: organizationId };
    res.setHeader('Location', `${CREDENTIALS_PATH}/${encodeURIComponent(record.id)}`);
    res.status(201).json(record);
  };
}

export function deleteCredential(deps: RegistryAdminDependencies): RequestHandler<Delete['parameters']['path']> {
  return async (req, res) => {
    const id = req.params.credential_id;
    const entry = await deps.registry.remove(id);
    if (!entry) throw credentialNotFound(id);
    await deps.reader.forget(entry.connection_id);
    res.locals.audit = { event: 'credential_deleted', key_name: principalOf(res).name, credential_id: id, connection_id: entry.connection_id };
    res.status(204).end();
  };
}
