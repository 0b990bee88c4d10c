// A/B of two builds of the server (AB_A and AB_B: paths to their main.js, each inside
// apps/server so that its imports resolve), warm or uncached (argv[2]; AB_REDIS=1 shares state
// through a Redis started for the run, as the bench's Redis rows do), interleaved rounds: the
// median req/s of each and the median of the B/A pair ratios. A development aid, not a result.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import autocannon from 'autocannon';
import { freePort } from '@connector-credentials/testkit/ports';
import { startRedis } from '@connector-credentials/testkit/redis';
import { startComposioStandIn } from './common.mjs';

const mode = process.argv[2] ?? 'warm';
const ROUNDS = Number(process.env.AB_ROUNDS ?? 5);
const SECONDS = Number(process.env.AB_SECONDS ?? 4);
// AB_CONNECTIONS=1 measures requests one after another (latency-bound, no batching of writes).
const CONNECTIONS = Number(process.env.AB_CONNECTIONS ?? 32);
try {
  execFileSync('taskset', ['-a', '-p', '-c', '1', String(process.pid)], { stdio: 'ignore' });
} catch {}
const upstream = await startComposioStandIn();
const redis = process.env.AB_REDIS === '1' ? await startRedis() : undefined;
const redisEnv = redis ? { REDIS_URL: redis.url, REDIS_ENCRYPTION_KEY: randomBytes(32).toString('base64') } : {};
async function start(main) {
  const key = `ab_${randomBytes(8).toString('hex')}`;
  const port = await freePort();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ab-data-'));
  // The log goes to a file, as in the bench.
  const log = openSync(path.join(dataDir, 'server.log'), 'a');
  const child = spawn('/usr/bin/taskset', ['-c', '0', process.execPath, main], {
    env: { PATH: process.env.PATH, NODE_ENV: 'production', PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, COMPOSIO_BASE_URL: upstream.url, COMPOSIO_API_KEY: 'k', CACHE_TTL_MS: mode === 'warm' ? '600000' : '0', API_KEYS: JSON.stringify([{ name: 'ab', header: 'X-API-Key', sha256: createHash('sha256').update(key).digest('hex'), roles: ['admin'] }]), RATE_LIMIT_PER_KEY: '1000000000', RATE_LIMIT_PER_ADDRESS: '1000000000', ...redisEnv },
    stdio: ['ignore', log, 'inherit'],
  });
  closeSync(log);
  process.once('exit', () => child.kill('SIGKILL'));
  const url = `http://127.0.0.1:${port}`;
  for (;;) { try { if ((await fetch(`${url}/healthz`)).ok) break; } catch {} await new Promise((r) => setTimeout(r, 100)); }
  const r = await fetch(`${url}/v1/personal-connectors/admin/credentials`, { method: 'POST', headers: { 'X-API-Key': key, 'Content-Type': 'application/json' }, body: JSON.stringify({ connection_id: 'ca_Xo9ADr3cBz1p', organization_id: 'org_ab' }) });
  const { id } = await r.json();
  return { pid: child.pid, url: `${url}/v1/personal-connectors/admin/credentials/${id}`, headers: { 'X-API-Key': key, ...(mode !== 'warm' && { 'Cache-Control': 'no-cache' }) }, stop: () => (child.kill('SIGTERM'), rmSync(dataDir, { recursive: true, force: true })) };
}
const [a, b] = await Promise.all([start(process.env.AB_A), start(process.env.AB_B)]);
// The server's CPU time (user + system, in clock ticks of 10 ms) from /proc.
const cpuOf = (pid) => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ').slice(11, 13).reduce((sum, v) => sum + Number(v), 0) * 10;
/** One run: its req/s, and the server's CPU µs per request (steadier than req/s on a busy machine). */
const run = async (t, s) => {
  const before = cpuOf(t.pid);
  const result = await autocannon({ url: t.url, headers: t.headers, connections: CONNECTIONS, duration: s });
  return { rps: result.requests.average, us: ((cpuOf(t.pid) - before) * 1000) / result.requests.total };
};
await run(a, 2); await run(b, 2);
const ra = [], rb = [], ratios = [], ua = [], ub = [], uratios = [];
for (let i = 0; i < ROUNDS; i += 1) {
  const [x, y] = i % 2 ? [await run(b, SECONDS), await run(a, SECONDS)].reverse() : [await run(a, SECONDS), await run(b, SECONDS)];
  ra.push(x.rps); rb.push(y.rps); ratios.push(y.rps / x.rps);
  ua.push(x.us); ub.push(y.us); uratios.push(y.us / x.us);
}
const med = (v) => [...v].sort((p, q) => p - q)[Math.floor(v.length / 2)];
console.log(`${mode}: A ${Math.round(med(ra))} req/s, B ${Math.round(med(rb))} req/s, B/A median of pairs ${med(ratios).toFixed(3)} (${ratios.map((r) => r.toFixed(2)).join(' ')})`);
console.log(`${mode}: server CPU per request: A ${med(ua).toFixed(0)} µs, B ${med(ub).toFixed(0)} µs, B/A median of pairs ${med(uratios).toFixed(3)} (${uratios.map((r) => r.toFixed(2)).join(' ')})`);
a.stop(); b.stop(); await upstream.close(); await redis?.stop(); process.exit(0);
