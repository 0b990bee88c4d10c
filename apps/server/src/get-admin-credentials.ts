import type { RequestHandler } from 'express';
import type { AitronosOperations, ConnectorCredentials } from '@connector-credentials/types';
import type { Logger } from 'pino';
import type { CredentialsReader } from './credentials-reader.js';
import { AppError, toAppError } from './errors.js';

type Operation = AitronosOperations['getAdminCredentials'];
type Params = Operation['parameters']['path'];
type Ok = Operation['responses'][200]['content']['application/json'];

const NO_CACHE = /(?:^|,)\s*no-cache\s*(?:,|$)/i;

/** `GET /v1/personal-connectors/admin/credentials/{credential_id}`: read (cache, or Composio and map), answer. */
export function getAdminCredentials(reader: CredentialsReader, audit: Logger): RequestHandler<Params, Ok> {
  return async (req, res) => {
    const credentialId = req.params.credential_id;
    const principal = res.locals.principal;
    // Mounted behind requireAdmin: a request without a principal never gets here.
    if (principal === undefined) throw new AppError('AUTHENTICATION_REQUIRED');
    const traceId = String(req.id);
    // Noticed so that an abandoned request is not counted as a failure.
    let gone = false;
    res.on('close', () => {
      gone = !res.writableFinished;
    });
    const record = (outcome: string) =>
      audit.info({ event: 'credential_read', key_name: principal.name, credential_id: credentialId, outcome, trace_id: traceId }, 'credential read');
    let body: ConnectorCredentials;
    try {
      body = await reader.read(credentialId, { requestId: traceId, noCache: NO_CACHE.test(String(req.headers['cache-control'] ?? '')) });
    } catch (error) {
      if (gone) {
        // The caller went away: nobody to answer, and no fault of the server.
        record('abandoned');
        return;
      }
      record(toAppError(error).code);
      throw error;
    }
    if (gone) return record('abandoned');
    record('success');
    res.setHeader('Cache-Control', 'no-store');
    res.status(200).json(body);
  };
}
