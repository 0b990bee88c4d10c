#!/usr/bin/env node
// `npm start` (packages/devtools/start.mjs): the server on its embedded defaults. Without
// COMPOSIO_BASE_URL it starts a Prism mock of the Composio spec and talks to that; the registry
// is PGlite in DATA_DIR (`.data/` by default, kept across restarts); without API_KEYS or
// API_KEYS_FILE it makes a one-off admin key. On start it registers the mock's example accounts
// (once: registrations persist), then prints the variables the README's commands use (K, S, T)
// and a curl that returns credentials by credential id.
// A development entry only: Prism (@connector-credentials/mocks) is a devDependency, and main.ts,
// the production entry, never imports this file.
import { randomBytes } from 'node:crypto';
import { startPrism, type PrismProcess } from '@connector-credentials/mocks';
import type { ConnectedAccount } from '@connector-credentials/types';
import { sha256Hex } from './auth.js';
import { serve } from './entry.js';
import { registrationOf } from './map-connected-account.js';
import type { Registry } from './registry/registry.js';
import { bundledSpecPath, loadSpec } from './specs.js';

/** The Composio spec's example accounts, by example name. */
function exampleAccounts(): Map<string, ConnectedAccount> {
  const spec = loadSpec('composio') as { components: { examples: Record<string, { value: unknown }> } };
  const accounts = new Map<string, ConnectedAccount>();
  for (const [name, example] of Object.entries(spec.components.examples)) {
    const value = example.value as Partial<ConnectedAccount> | undefined;
    if (value && typeof value.id === 'string' && value.toolkit) accounts.set(name, value as ConnectedAccount);
  }
  return accounts;
}

/** Registers every example account that is not registered yet; returns credential ids by example name. */
async function registerExamples(registry: Registry, accounts: Map<string, ConnectedAccount>): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  for (const [name, account] of accounts) {
    const { entry: existing } = await registry.getByConnection(account.id);
    if (existing) {
      ids.set(name, existing.id);
      continue;
    }
    const result = await registry.register(registrationOf(account, { connection_id: account.id, organization_id: 'org_local', credential_name: name }));
    ids.set(name, 'created' in result ? result.created.id : result.existingId);
  }
  return ids;
}

async function main(): Promise<void> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  const accounts = exampleAccounts();
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

  // The mock answers each example account's id with that example (Prism's `Prefer` header).
  const exampleById = new Map([...accounts].map(([name, account]) => [account.id, name]));
  const { config, running } = await serve(env, {
    beforeExit: async () => mock?.stop(),
    start: mock
      ? {
          onComposioRequest: (path, headers) => {
            const name = exampleById.get(decodeURIComponent(path.split('/').pop() ?? ''));
            if (name) headers.Prefer = `example=${name}`;
          },
        }
      : {},
  });
  const ids = mock ? await registerExamples(running.registry, accounts) : new Map<string, string>();
  const sample = ids.get('oauth2_active');

  const lines = [
    '',
    `Credentials server: ${running.url}`,
    mock ? `Composio: Prism mock of openapi/composio at ${mock.url} (set COMPOSIO_BASE_URL to use a real one)` : `Composio: ${config.composio.baseUrl}`,
    `Registry: ${config.registry.databaseUrl ? 'PostgreSQL (DATABASE_URL)' : `PGlite in ${config.registry.dataDir}`}${ids.size ? `, with the mock's ${ids.size} example accounts registered in organization org_local` : ''}`,
  ];
  const key = adminKey ?? '<an admin key>';
  const path = sample ? `admin/credentials/${sample}` : 'admin/credentials/by-connection/<connection id>';
  if (adminKey) lines.push(`One-off admin key (valid until this process stops): ${adminKey}`);
  // The README's commands and snippets read these: one paste makes every one of them runnable.
  const variables = [adminKey ? `K=${adminKey}` : undefined, `S=${running.url}`, sample ? `T=${sample}` : undefined].filter(Boolean).join(' ');
  lines.push('', `Paste into your shell (the README's commands use K, the admin key; S, the server; T, a registered credential id):`, `  export ${variables}`);
  if (!adminKey) lines.push('  export K=<an admin key of API_KEYS>');
  lines.push('', 'Try it:', `  curl -s -H 'X-API-Key: ${key}' ${running.url}/v1/personal-connectors/${path}`);
  if (ids.size) {
    lines.push(`  curl -s -H 'X-API-Key: ${key}' '${running.url}/v1/personal-connectors/connections/googledrive?organization_id=org_local'`);
  }
  lines.push('', 'Stop with Ctrl-C.', '');
  process.stderr.write(`${lines.join('\n')}\n`);
}

await main();
