#!/usr/bin/env node
/**
 * An admin service reading a credential through the client package:
 *   AITRONOS_BASE_URL=http://127.0.0.1:3000 AITRONOS_API_KEY=… node dist/index.js tcred_…
 * (or AITRONOS_FLOWPLATE_KEY / AITRONOS_HUB_KEY). The id is a credential id (`tcred_…`) or a
 * Composio connection id (`ca_…`). Prints a summary; secrets are shown masked.
 */
import { ApiError, createAitronosClient, type AitronosKey, type ConnectorCredentials } from '@connector-credentials/client';

function keyFromEnvironment(env: NodeJS.ProcessEnv): AitronosKey {
  if (env.AITRONOS_API_KEY) return { apiKey: env.AITRONOS_API_KEY };
  if (env.AITRONOS_FLOWPLATE_KEY) return { flowplateKey: env.AITRONOS_FLOWPLATE_KEY };
  if (env.AITRONOS_HUB_KEY) return { hubKey: env.AITRONOS_HUB_KEY };
  return {};
}

const mask = (secret: string | null | undefined) => (secret ? `${secret.slice(0, 4)}…(${secret.length} chars)` : '-');

export function summarize(c: ConnectorCredentials): string {
  const secrets = Object.keys(c.credentials);
  return [
    `credential ${c.credential_id ?? '(not registered)'}  connection ${c.connection_id}`,
    `  app: ${c.app_name ?? '-'}  scheme: ${c.auth_scheme ?? '-'}  status: ${c.status ?? '-'}`,
    `  account: ${c.account_email ?? '-'}  entity: ${c.entity_id ?? '-'}`,
    `  secrets: ${secrets.length ? secrets.join(', ') : 'none'}`,
    `  access token: ${mask(c.credentials.access_token)}  expires: ${c.expires_at ?? 'unknown'}`,
    `  redacted by the vendor: ${c.is_redacted ? 'yes' : 'no'}`,
  ].join('\n');
}

async function main(): Promise<number> {
  const baseUrl = process.env.AITRONOS_BASE_URL ?? 'http://127.0.0.1:3000';
  const id = process.argv[2];
  if (!id) {
    console.error('usage: node dist/index.js <tcred_… credential id | ca_… connection id>');
    return 2;
  }
  const client = createAitronosClient({ baseUrl, ...keyFromEnvironment(process.env), timeoutMs: 10_000 });
  try {
    const credentials = id.startsWith('tcred_') ? await client.getAdminCredentials(id) : await client.getAdminCredentialsByConnection(id);
    console.log(summarize(credentials));
    return 0;
  } catch (error) {
    if (error instanceof ApiError) {
      console.error(`error ${error.code} (HTTP ${error.status}) trace ${error.traceId ?? '-'}: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

process.exitCode = await main();
