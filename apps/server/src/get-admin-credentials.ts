import type { RequestHandler } from 'express';
import type { AitronosOperations, ConnectorCredentials } from '@connector-credentials/types';
import type { Logger } from 'pino';
import type { Principal } from './auth.js';
import type { ComposioGateway } from './composio-gateway.js';
import { toAppError } from './errors.js';
import { mapConnectedAccount } from './map-connected-account.js';

type Operation = AitronosOperations['getAdminCredentials'];
type Params = Operation['parameters']['path'];
type Ok = Operation['responses'][200]['content']['application/json'];

/** `GET /v1/personal-connectors/admin/credentials/{credential_id}`: read from Composio, map, answer. */
export function getAdminCredentials(gateway: ComposioGateway, audit: Logger): RequestHandler<Params, Ok> {
  return async (req, res) => {
    const credentialId = req.params.credential_id;
    const principal = res.locals.principal as Principal;
    const traceId = String(req.id);
    // Stop waiting on Composio when the caller goes away.
    const gone = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) gone.abort();
    });
    const record = (outcome: string) =>
      audit.info({ event: 'credential_read', key_name: principal.name, credential_id: credentialId, outcome, trace_id: traceId }, 'credential read');
    let body: ConnectorCredentials;
    try {
      const account = await gateway.getConnectedAccount(credentialId, { requestId: traceId, signal: gone.signal });
      body = mapConnectedAccount(account);
    } catch (error) {
      record(toAppError(error).code);
      throw error;
    }
    record('success');
    res.setHeader('Cache-Control', 'no-store');
    res.status(200).json(body);
  };
}
