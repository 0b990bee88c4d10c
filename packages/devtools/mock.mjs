// `npm run mock` / `pnpm mock`: Prism mock servers of both specs, for frontend teams. Ports are
// MOCK_AITRONOS_PORT (default 4011) and MOCK_COMPOSIO_PORT (default 4010); MOCK_HOST defaults to
// 127.0.0.1. See the README's scenario table.
import { ensureInstalled, turbo } from './bootstrap.mjs';

// MOCK_SKIP_BUILD: the test of this command runs inside the test pipeline, which has built already.
if (!process.env.MOCK_SKIP_BUILD) {
  ensureInstalled();
  turbo('build', 'bundle', '--filter=@connector-credentials/mocks', '--filter=@connector-credentials/openapi', '--output-logs=errors-only');
}

const { startMocks } = await import('../mocks/dist/index.js');
const { bundledSpecPath } = await import('../../openapi/locate.js');
const port = (name) => (process.env[name] ? Number(process.env[name]) : undefined);
const mocks = await startMocks({
  specs: { aitronos: bundledSpecPath('aitronos'), composio: bundledSpecPath('composio') },
  ports: { aitronos: port('MOCK_AITRONOS_PORT'), composio: port('MOCK_COMPOSIO_PORT') },
  host: process.env.MOCK_HOST,
});

const credentials = `${mocks.aitronos.url}/v1/personal-connectors/admin/credentials/tcred_7Hq2LmX9pR4vN8sK3dWz`;
const byConnection = `${mocks.aitronos.url}/v1/personal-connectors/admin/credentials/by-connection/ca_Xo9ADr3cBz1p`;
console.log(`
Aitronos admin credentials API mock: ${mocks.aitronos.url}
Composio connected accounts API mock: ${mocks.composio.url}

Any non-empty key is accepted; no key gives 401. Pick a scenario with the Prefer header:
  curl -s -H 'X-API-Key: any' -H 'Prefer: example=masked_secrets' ${credentials}
  curl -s -H 'X-API-Key: any' -H 'Prefer: code=404' ${credentials}
  curl -s -H 'X-API-Key: any' -H 'Prefer: dynamic=true' ${credentials}
  curl -s -H 'X-API-Key: any' ${byConnection}
  curl -s -X POST -H 'X-API-Key: any' -H 'Prefer: code=409' -H 'Content-Type: application/json' -d '{"connection_id":"ca_Xo9ADr3cBz1p","organization_id":"org_1"}' ${mocks.aitronos.url}/v1/personal-connectors/admin/credentials
  curl -s -H 'X-API-Key: any' '${mocks.aitronos.url}/v1/personal-connectors/connections/googledrive?organization_id=org_1'
  curl -s -H 'x-api-key: any' -H 'Prefer: example=oauth1_active' ${mocks.composio.url}/api/v3/connected_accounts/ca_Tw9xLm3Qp2Rs
Every scenario of every operation is in the README's scenario table.

Stop with Ctrl-C.`);

const stop = () => void mocks.stop().then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
