/** What the server accepts from Composio's body: valid under our Composio spec (its size is bounded by http.ts). */
import { Ajv2020 } from 'ajv/dist/2020.js';
import ajvFormats from 'ajv-formats';
import type { ConnectedAccount } from '@connector-credentials/types';
import { loadSpec } from '../specs.js';
import { UpstreamBodyError } from './translate.js';

/** Checks a body against our hand-written Composio spec's `ConnectedAccount`, compiled once. */
export function accountChecker(): (body: unknown) => ConnectedAccount {
  const ajv = new Ajv2020({ strict: false, allErrors: false });
  ajvFormats.default(ajv);
  ajv.addSchema({ ...loadSpec('composio'), $id: 'composio' });
  const validate = ajv.compile<ConnectedAccount>({ $ref: 'composio#/components/schemas/ConnectedAccount' });
  return (body) => {
    if (validate(body)) return body;
    const first = validate.errors?.[0];
    throw new UpstreamBodyError(`Composio sent a connected account that breaks its contract (${first?.instancePath || '/'} ${first?.message ?? 'is invalid'})`, 200);
  };
}
