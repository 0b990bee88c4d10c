// Profiles the warm path: server with --cpu-prof, autocannon for 8 s.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { openSync } from 'node:fs';
import autocannon from '/work/main/node_modules/.pnpm/autocannon@8.0.0/node_modules/autocannon/autocannon.js';
import { startComposioStandIn } from '/work/main/apps/bench/common.mjs';
const upstream = await startComposioStandIn();
const key = 'k_' + randomBytes(8).toString('hex');
const port = 43123;
const child = spawn(process.execPath, ['--cpu-prof', '--cpu-prof-dir=/tmp/prof', '/work/main/apps/server/dist/main.js'], {
  env: { PATH: process.env.PATH, NODE_ENV: 'production', PORT: String(port), DATA_DIR: 'memory://', COMPOSIO_BASE_URL: upstream.url, COMPOSIO_API_KEY: 'x', CACHE_TTL_MS: process.env.TTL ?? '600000',
    API_KEYS: JSON.stringify([{ name: 'b', header: 'X-API-Key', sha256: createHash('sha256').update(key).digest('hex'), roles: ['admin'] }]), RATE_LIMIT_PER_KEY: '1000000000', RATE_LIMIT_PER_ADDRESS: '1000000000' },
  stdio: ['ignore', openSync('/tmp/prof/server.log', 'w'), 'inherit'] });
for (let i = 0; i < 100; i++) { try { if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) break; } catch {} await new Promise(r => setTimeout(r, 100)); }
const reg = await (await fetch(`http://127.0.0.1:${port}/v1/personal-connectors/admin/credentials`, { method: 'POST', headers: { 'X-API-Key': key, 'Content-Type': 'application/json' }, body: '{"connection_id":"ca_Xo9ADr3cBz1p","organization_id":"org_b"}' })).json();
const url = `http://127.0.0.1:${port}/v1/personal-connectors/admin/credentials/${reg.id}`;
const r = await autocannon({ url, headers: { 'X-API-Key': key }, connections: 32, duration: 8 });
console.log('req/s', r.requests.average, 'non2xx', r.non2xx);
child.kill('SIGTERM'); await new Promise(r => child.once('exit', r)); await upstream.close();
