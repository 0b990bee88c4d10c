/**
 * The documented connection list and toggle: `GET /v1/personal-connectors/connections/{tool_key}`
 * and `PATCH /v1/personal-connectors/connections/{credential_id}/active`.
 */
import type { RequestHandler } from 'express';
import type { AitronosOperations } from '@connector-credentials/types';
import type { CredentialsReader } from '../credentials-reader.js';
import { principalOf } from '../auth.js';
import { credentialNotFound } from '../errors.js';
import type { Registry } from '../registry/registry.js';

type List = AitronosOperations['listConnections'];
type SetActive = AitronosOperations['setConnectionActive'];

export interface ConnectionsDependencies {
  registry: Registry;
  reader: CredentialsReader;
}

export function listConnections(deps: Pick<ConnectionsDependencies, 'registry'>): RequestHandler<List['parameters']['path'], List['responses'][200]['content']['application/json']> {
  return async (req, res) => {
    const toolKey = req.params.tool_key;
    const organizationId = String(req.query.organization_id);
    res.setHeader('Cache-Control', 'no-store');
    res.status(200).json({ connections: await deps.registry.list(organizationId, toolKey), tool_key: toolKey });
  };
}

export function setConnectionActive(
  deps: ConnectionsDependencies,
): RequestHandler<SetActive['parameters']['path'], SetActive['responses'][200]['content']['application/json'], SetActive['requestBody']['content']['application/json']> {
  return async (req, res) => {
    const id = req.params.credential_id;
    const entry = await deps.registry.setActive(id, req.body.is_active);
    if (!entry) throw credentialNotFound(id);
    if (!entry.is_active) await deps.reader.forget(entry.connection_id);
    res.locals.audit = { event: 'connection_toggled', key_name: principalOf(res).name, credential_id: id, connection_id: entry.connection_id, is_active: entry.is_active };
    res.status(200).json({ id: entry.id, is_active: entry.is_active });
  };
}
