// One call of each operation through the project's clients, for the scenario tests in Node and
// in the browser page: a scenario is run by calling its operation.
import type { AitronosClient, CallOptions, ComposioClient } from '@connector-credentials/client';
import type { Scenario } from '../src/index.ts';

const CREDENTIAL = 'tcred_7Hq2LmX9pR4vN8sK3dWz';

export const aitronosCalls: Record<string, (client: AitronosClient, init: CallOptions) => Promise<unknown>> = {
  getAdminCredentials: (c, init) => c.getAdminCredentials(CREDENTIAL, init),
  getAdminCredentialsByConnection: (c, init) => c.getAdminCredentialsByConnection('ca_1', init),
  registerCredential: (c, init) => c.registerCredential({ connection_id: 'ca_1', organization_id: 'org_1' }, init),
  deleteCredential: (c, init) => c.deleteCredential(CREDENTIAL, init),
  listConnections: (c, init) => c.listConnections('github', 'org_1', init),
  setConnectionActive: (c, init) => c.setConnectionActive(CREDENTIAL, false, init),
};

/** The Composio client is made for the path's API version (v3 or v3.1); the call is the same. */
export const composioCalls: Record<string, (client: ComposioClient, init: CallOptions) => Promise<unknown>> = {
  getConnectedAccount: (c, init) => c.getConnectedAccount('ca_1', init),
  getConnectedAccountV31: (c, init) => c.getConnectedAccount('ca_1', init),
  listConnectedAccounts: (c, init) => c.listConnectedAccounts({ user_ids: ['freddy_user_1'] }, init),
};

/** The call of a scenario's operation; throws for an operation without one. */
export function callFor<C>(calls: Record<string, (client: C, init: CallOptions) => Promise<unknown>>, scenario: Pick<Scenario, 'operationId'>) {
  const call = calls[scenario.operationId ?? ''];
  if (!call) throw new Error(`no client call for ${scenario.operationId}`);
  return call;
}
