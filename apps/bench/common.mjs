// Shared by the load test and the benchmark: a fast Composio stand-in, the server as a child
// process (as operators run it), RSS readings, and the machine's description.
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import os from 'node:os';
import { bundledSpecPath } from '@connector-credentials/openapi';
import { pgliteDataDir } from '@connector-credentials/testkit/pglite';
import { freePort } from '@connector-credentials/testkit/ports';
import path from 'node:path';

const require = createRequire(import.meta.url);
export const serverMain = path.join(path.dirname(require.resolve('@connector-credentials/server/package.json')), 'dist', 'main.js');

/**
 * The oauth2_active example of the Composio spec, what the stand-in answers for every id, made
 * current: its token was issued now and lives an hour (the example's own expired long ago, and
 * the server rightly does not cache expired credentials).
 */
export function exampleAccount() {
  const spec = JSON.parse(readFileSync(bundledSpecPath('composio'), 'utf8'));
  const account = spec.components.examples.oauth2_active.value;
  account.updated_at = new Date().toISOString();
  return account;
}

/** A Composio stand-in that answers at once, after an optional fixed delay. */
export function startComposioStandIn({ delayMs = 0 } = {}) {
  const body = JSON.stringify(exampleAccount());
  let calls = 0;
  const server = createServer((req, res) => {
    calls += 1;
    const answer = () => res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
    if (delayMs > 0) setTimeout(answer, delayMs);
    else answer();
  });
  server.keepAliveTimeout = 30_000;
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${server.address().port}`,
        calls: () => calls,
        close: () => new Promise((done) => (server.closeAllConnections(), server.close(done))),
      }),
    ),
  );
}

/**
 * Pins a running process, every thread of it, to `cpus` (e.g. "0") with taskset when given and
 * available. Processes are pinned once they are up, not from their start: starts (module loading,
 * PGlite's start) then spread over every core, and what is measured runs where it is pinned.
 */
export function pin(pid, cpus) {
  if (cpus === undefined || !existsSync('/usr/bin/taskset')) return;
  execFileSync('/usr/bin/taskset', ['-a', '-p', '-c', String(cpus), String(pid)], { stdio: 'ignore' });
}

/**
 * The server as a separate process, configured like production (NODE_ENV=production, default
 * log level, so the access and audit lines are written); its log goes to `logFile` (or is
 * discarded). `cpus` pins it; `main` is another build's entry point (`ab.mjs`). Resolves once it listens.
 */
export async function startServerProcess({ composioUrl, env = {}, logFile, cpus, main = serverMain }) {
  const key = `bench_${randomBytes(16).toString('hex')}`;
  const port = await freePort();
  // An empty registry, as a first start leaves it: a copy of a cluster initialized once, not
  // initdb for every server (seconds of CPU each, before anything is measured).
  // With DATABASE_URL in `env` the registry is that PostgreSQL, and no data directory is made.
  const data = env.DATABASE_URL ? { dir: undefined, remove() {} } : await pgliteDataDir();
  const dataDir = data.dir;
  const log = logFile ? openSync(logFile, 'a') : 'ignore';
  const child = spawn(process.execPath, [main], {
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      PORT: String(port),
      HOST: '127.0.0.1',
      ...(dataDir !== undefined && { DATA_DIR: dataDir }),
      COMPOSIO_BASE_URL: composioUrl,
      COMPOSIO_API_KEY: 'bench-composio-key',
      API_KEYS: JSON.stringify([{ name: 'bench', header: 'X-API-Key', sha256: createHash('sha256').update(key).digest('hex'), roles: ['admin'] }]),
      RATE_LIMIT_PER_KEY: '1000000000',
      RATE_LIMIT_PER_ADDRESS: '1000000000',
      ...env,
    },
    stdio: ['ignore', log, 'pipe'],
  });
  if (typeof log === 'number') closeSync(log);
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += c));
  // Never leave a server behind, even when this script dies.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i += 1) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      // not yet
    }
    // Up to 3 minutes (a hang guard): the benchmark starts its four servers together.
    if (i > 3600 || child.exitCode !== null) {
      child.kill('SIGKILL');
      data.remove();
      throw new Error(`server did not start: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  pin(child.pid, cpus);
  return {
    url,
    key,
    pid: child.pid,
    /** Registers a Composio connection and returns its credential id (`tcred_…`). */
    async register(connectionId) {
      const response = await fetch(`${url}/v1/personal-connectors/admin/credentials`, {
        method: 'POST',
        headers: { 'X-API-Key': key, 'Content-Type': 'application/json' },
        body: JSON.stringify({ connection_id: connectionId, organization_id: 'org_bench' }),
      });
      const body = await response.json();
      if (response.status === 201) return body.id;
      if (response.status === 409) return body.error.details.credential_id;
      throw new Error(`registration of ${connectionId} answered ${response.status}: ${JSON.stringify(body)}`);
    },
    stop: () =>
      new Promise((resolve) => {
        process.off('exit', killOnExit);
        const done = () => (data.remove(), resolve());
        if (child.exitCode !== null) return done();
        child.once('exit', done);
        child.kill('SIGTERM');
      }),
  };
}

export function machine() {
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    host: os.hostname(),
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memory_gib: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
  };
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
