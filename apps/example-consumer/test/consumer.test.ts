/**
 * The example consumer against the running server, started the way the README's `npm start`
 * starts it (apps/server/dist/local.js: a Prism mock of Composio, PGlite in a data directory, the
 * mock's accounts registered, a one-off admin key), and the registrations surviving a restart.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgliteDataDir } from '@connector-credentials/testkit';

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const local = path.join(path.dirname(require.resolve('@connector-credentials/server/package.json')), 'dist', 'local.js');
const consumer = path.resolve(fileURLToPath(new URL('../dist/index.js', import.meta.url)));

const CURL = /curl -s -H 'X-API-Key: (\S+)' (http:\/\/\S+?)\/v1\/personal-connectors\/admin\/credentials\/(tcred_[A-Za-z0-9_-]+)/;
// An empty registry, as a first start leaves it (a copy: initdb runs once for all suites).
const dataDir = (await pgliteDataDir()).dir;
let server: ChildProcess;
let baseUrl: string;
let adminKey: string;
let credentialId: string;
let output = '';

/** Starts the local entry on the shared data directory; resolves once it printed its curl. */
async function start(): Promise<void> {
  output = '';
  server = spawn(process.execPath, [local], { env: { ...process.env, PORT: '0', COMPOSIO_BASE_URL: '', DATA_DIR: dataDir }, stdio: ['ignore', 'pipe', 'pipe'] });
  server.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  server.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const started = Date.now();
  while (!CURL.test(output)) {
    if (Date.now() - started > 180_000 || server.exitCode !== null) throw new Error(`server did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  [, adminKey, baseUrl, credentialId] = CURL.exec(output) as unknown as [string, string, string, string];
}

async function stop(): Promise<void> {
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    await exited;
  }
}

beforeAll(start);
afterAll(async () => {
  await stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the example consumer', () => {
  it('prints a summary of the credentials, secrets masked', async () => {
    const { stdout } = await run(process.execPath, [consumer, credentialId], { env: { ...process.env, AITRONOS_BASE_URL: baseUrl, AITRONOS_API_KEY: adminKey } });
    expect(stdout).toBe(
      [
        `credential ${credentialId}  connection ca_Xo9ADr3cBz1p`,
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
    const failure = await run(process.execPath, [consumer, credentialId], { env: { ...process.env, AITRONOS_BASE_URL: baseUrl, AITRONOS_API_KEY: 'wrong' } }).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect((failure as { code: number }).code).toBe(1);
    expect((failure as { stderr: string }).stderr).toMatch(/^error INVALID_API_KEY \(HTTP 401\) trace [0-9a-f-]{36}: The API key is invalid\.$/m);
  });

  it('the server printed a curl that works, pasted as it is', async () => {
    const line = /^\s*(curl -s .*)$/m.exec(output)![1]!;
    const { stdout } = await run('sh', ['-c', line]);
    const body = JSON.parse(stdout) as { credential_id: string; connection_id: string; credentials: { access_token: string } };
    expect(body.credential_id).toBe(credentialId);
    expect(body.connection_id).toBe('ca_Xo9ADr3cBz1p');
    expect(body.credentials.access_token).toBe('ya29.a0AfB_byC1exampleAccessTokenForDocs');
  });

  it('reads by connection id too', async () => {
    const { stdout } = await run(process.execPath, [consumer, 'ca_Xo9ADr3cBz1p'], { env: { ...process.env, AITRONOS_BASE_URL: baseUrl, AITRONOS_API_KEY: adminKey } });
    expect(stdout.split('\n')[0]).toBe(`credential ${credentialId}  connection ca_Xo9ADr3cBz1p`);
  });

  it('keeps its registrations across a restart: the same credential id, still answering', async () => {
    const before = credentialId;
    await stop();
    await start();
    expect(credentialId).toBe(before);
    const { stdout } = await run(process.execPath, [consumer, credentialId], { env: { ...process.env, AITRONOS_BASE_URL: baseUrl, AITRONOS_API_KEY: adminKey } });
    expect(stdout).toContain(`credential ${before}  connection ca_Xo9ADr3cBz1p`);
  });
});
