/** The built entry point as operators run it: refuses bad production config, drains on SIGTERM. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGate, freePort, pgliteDataDir, startLoopbackServer, createSpecValidator, openapiBundlePath, type LoopbackServer, type PgliteDataDir } from '@connector-credentials/testkit';
import { API_KEYS_JSON, KEYS } from './helpers.js';

const main = path.resolve(fileURLToPath(new URL('../dist/main.js', import.meta.url)));
const account = createSpecValidator(openapiBundlePath('composio')).responseExamples().find((e) => e.name === 'api_key')!.value;

function run(env: Record<string, string>): { child: ChildProcess; output: () => string; exit: Promise<number | null> } {
  let output = '';
  const child = spawn(process.execPath, [main], { env: { PATH: process.env.PATH ?? '', DATA_DIR: 'memory://', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exit };
}

async function waitFor(check: () => boolean, ms = 60_000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
}

let upstream: LoopbackServer;
let data: PgliteDataDir;
beforeAll(async () => {
  [upstream, data] = await Promise.all([startLoopbackServer(), pgliteDataDir()]);
});
afterAll(async () => {
  await upstream?.close();
  data?.remove();
});

describe('the server process', () => {
  it('refuses to start in production without keys, saying why', async () => {
    const proc = run({ NODE_ENV: 'production', COMPOSIO_BASE_URL: upstream.url });
    expect(await proc.exit).toBe(78);
    expect(proc.output()).toContain('COMPOSIO_API_KEY: required when NODE_ENV=production');
    expect(proc.output()).toContain('at least one key with the admin role');
  });

  it('on SIGTERM finishes the request in flight, refuses new ones, and exits 0, whatever signals follow', async () => {
    const port = await freePort();
    // Composio answers only once the process has begun shutting down: the request is in flight
    // during the drain by construction, not because an answer was slow enough.
    const gate = createGate();
    upstream.handle((_req, res) => void gate.passed.then(() => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(account))));
    const proc = run({
      NODE_ENV: 'production',
      PORT: String(port),
      COMPOSIO_BASE_URL: upstream.url,
      COMPOSIO_API_KEY: 'k',
      COMPOSIO_TIMEOUT_MS: '120000',
      API_KEYS: API_KEYS_JSON,
      DATA_DIR: data.dir,
    });
    await waitFor(() => proc.output().includes('"msg":"listening"'));
    const url = `http://127.0.0.1:${port}/v1/personal-connectors/admin/credentials/by-connection/ca_Sg8kEy2Wq4Zt`;
    const inFlight = fetch(url, { headers: { 'X-API-Key': KEYS.adminApi.key } });
    await waitFor(() => upstream.requests.length > 0);
    proc.child.kill('SIGTERM');
    await waitFor(() => proc.output().includes('shutting down'));
    // A second signal during the drain (Ctrl-C reaches `npm start` and the server, and `npm
    // start` passes its own on) does not cut it short.
    proc.child.kill('SIGTERM');
    proc.child.kill('SIGINT');
    gate.open();
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(((await response.json()) as { connection_id: string }).connection_id).toBe('ca_Sg8kEy2Wq4Zt');
    expect(await proc.exit).toBe(0);
    await expect(fetch(url, { headers: { 'X-API-Key': KEYS.adminApi.key } })).rejects.toThrow();
    expect(proc.output()).not.toContain(KEYS.adminApi.key);
  });
});
