#!/usr/bin/env node
// `npm start` (packages/devtools/start.mjs): the server on an embedded default. Without
// COMPOSIO_BASE_URL it starts a Prism mock of the Composio spec and talks to that; without
// API_KEYS/API_KEYS_FILE it makes a one-off admin key. Then it prints a curl that returns
// credentials. A development entry only: Prism (@connector-credentials/mocks) is a
// devDependency, and main.ts, the production entry, never imports this file.
import { randomBytes } from 'node:crypto';
import { startPrism, type PrismProcess } from '@connector-credentials/mocks';
import { bundledSpecPath } from './specs.js';
import { sha256Hex } from './auth.js';
import { serve } from './entry.js';

async function main(): Promise<void> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  let mock: PrismProcess | undefined;
  if (!env.COMPOSIO_BASE_URL) {
    mock = await startPrism({ spec: bundledSpecPath('composio'), errors: true });
    env.COMPOSIO_BASE_URL = mock.url;
    env.COMPOSIO_API_KEY ??= 'local-mock-key';
  }
  let adminKey: string | undefined;
  if (!env.API_KEYS && !env.API_KEYS_FILE) {
    adminKey = `adm_${randomBytes(24).toString('base64url')}`;
    env.API_KEYS = JSON.stringify([{ name: 'local-admin', header: 'X-API-Key', sha256: sha256Hex(adminKey), roles: ['admin'] }]);
  }

  const { config, running } = await serve(env, { beforeExit: async () => mock?.stop() });

  const lines = [
    '',
    `Credentials server: ${running.url}`,
    mock ? `Composio: Prism mock of openapi/composio at ${mock.url} (set COMPOSIO_BASE_URL to use a real one)` : `Composio: ${config.composio.baseUrl}`,
  ];
  if (adminKey) {
    lines.push(
      `One-off admin key (valid until this process stops): ${adminKey}`,
      '',
      'Try it:',
      `  curl -s -H 'X-API-Key: ${adminKey}' ${running.url}/v1/personal-connectors/admin/credentials/ca_Xo9ADr3cBz1p`,
    );
  } else {
    lines.push('', `Try it: curl -s -H 'X-API-Key: <an admin key>' ${running.url}/v1/personal-connectors/admin/credentials/ca_Xo9ADr3cBz1p`);
  }
  lines.push('', 'Stop with Ctrl-C.', '');
  process.stderr.write(`${lines.join('\n')}\n`);
}

await main();
