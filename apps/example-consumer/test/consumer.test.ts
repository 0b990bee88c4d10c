/**
 * The example consumer against the running server, started the way the README's `npm start`
 * starts it (apps/server/dist/local.js: a Prism mock of Composio and a one-off admin key).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const local = path.join(path.dirname(require.resolve('@connector-credentials/server/package.json')), 'dist', 'local.js');
const consumer = path.resolve(fileURLToPath(new URL('../dist/index.js', import.meta.url)));

let server: ChildProcess;
let baseUrl: string;
let adminKey: string;
let output = '';

beforeAll(async () => {
  server = spawn(process.execPath, [local], { env: { ...process.env, PORT: '0', COMPOSIO_BASE_URL: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  server.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  server.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const started = Date.now();
  while (!/curl -s -H 'X-API-Key: (\S+)' (http:\/\/\S+?)\/v1/.test(output)) {
    if (Date.now() - started > 60_000 || server.exitCode !== null) throw new Error(`server did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const match = /curl -s -H 'X-API-Key: (\S+)' (http:\/\/\S+?)\/v1/.exec(output)!;
  adminKey = match[1]!;
  baseUrl = match[2]!;
});

afterAll(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    await exited;
  }
});

describe('the example consumer', () => {
  it('prints a summary of the credentials, secrets masked', async () => {
    const { stdout } = await run(process.execPath, [consumer, 'ca_Xo9ADr3cBz1p'], { env: { ...process.env, AITRONOS_BASE_URL: baseUrl, AITRONOS_API_KEY: adminKey } });
    expect(stdout).toBe(
      [
        'credential ca_Xo9ADr3cBz1p',
        '  app: googledrive  scheme: OAUTH2  status: ACTIVE',
        '  account: ada.lovelace@example.com  entity: freddy_user_5f3c2a',
        '  secrets: access_token, refresh_token, token_type, scope, expires_in',
        '  access token: ya29…(40 chars)  expires: 2026-11-20T08:59:59.000Z',
        '  redacted by the vendor: no',
        '',
      ].join('\n'),
    );
    expect(stdout).not.toContain('ya29.a0AfB_byC1exampleAccessTokenForDocs');
  });

  it('reports an API error with its code and trace id, and exits 1', async () => {
    const failure = await run(process.execPath, [consumer, 'ca_1'], { env: { ...process.env, AITRONOS_BASE_URL: baseUrl, AITRONOS_API_KEY: 'wrong' } }).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect((failure as { code: number }).code).toBe(1);
    expect((failure as { stderr: string }).stderr).toMatch(/^error INVALID_API_KEY \(HTTP 401\) trace [0-9a-f-]{36}: The API key is invalid\.$/m);
  });

  it('the server printed a curl that works, pasted as it is', async () => {
    const line = /^\s*(curl -s .*)$/m.exec(output)![1]!;
    const { stdout } = await run('sh', ['-c', line]);
    const body = JSON.parse(stdout) as { connection_id: string; credentials: { access_token: string } };
    expect(body.connection_id).toBe('ca_Xo9ADr3cBz1p');
    expect(body.credentials.access_token).toBe('ya29.a0AfB_byC1exampleAccessTokenForDocs');
  });
});
