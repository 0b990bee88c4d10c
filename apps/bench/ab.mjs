// A/B of two builds of the server (AB_A and AB_B: paths to their main.js, each inside
// apps/server so that its imports resolve), warm or uncached (argv[2]; AB_REDIS=1 shares state
// through a Redis started for the run, as the bench's Redis rows do), interleaved rounds: the
// median req/s of each and the median of the B/A pair ratios. A development aid, not a result.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { startRedis } from '@connector-credentials/testkit/redis';
import { pin, startComposioStandIn, startServerProcess } from './common.mjs';
import { cpuMsOf } from './proc.mjs';

const mode = process.argv[2] ?? 'warm';
const ROUNDS = Number(process.env.AB_ROUNDS ?? 5);
const SECONDS = Number(process.env.AB_SECONDS ?? 4);
// AB_CONNECTIONS=1 measures requests one after another (latency-bound, no batching of writes).
const CONNECTIONS = Number(process.env.AB_CONNECTIONS ?? 32);
pin(process.pid, '1');
const upstream = await startComposioStandIn();
const redis = process.env.AB_REDIS === '1' ? await startRedis() : undefined;
const redisEnv = redis ? { REDIS_URL: redis.url, REDIS_ENCRYPTION_KEY: randomBytes(32).toString('base64') } : {};
// The logs go to files, as in the bench.
const logDir = mkdtempSync(path.join(os.tmpdir(), 'ab-logs-'));
async function start(main, name) {
  const server = await startServerProcess({
    composioUrl: upstream.url,
    env: { CACHE_TTL_MS: mode === 'warm' ? '600000' : '0', ...redisEnv },
    logFile: path.join(logDir, `${name}.log`),
    cpus: '0',
    main,
  });
  const id = await server.register('ca_Xo9ADr3cBz1p');
  return { pid: server.pid, url: `${server.url}/v1/personal-connectors/admin/credentials/${id}`, headers: { 'X-API-Key': server.key, ...(mode !== 'warm' && { 'Cache-Control': 'no-cache' }) }, stop: server.stop };
}
const [a, b] = await Promise.all([start(process.env.AB_A, 'a'), start(process.env.AB_B, 'b')]);
/** One run: its req/s, and the server's CPU µs per request (steadier than req/s on a busy machine). */
const run = async (t, s) => {
  const before = cpuMsOf(t.pid);
  const result = await autocannon({ url: t.url, headers: t.headers, connections: CONNECTIONS, duration: s });
  return { rps: result.requests.average, us: ((cpuMsOf(t.pid) - before) * 1000) / result.requests.total };
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
await Promise.all([a.stop(), b.stop()]);
rmSync(logDir, { recursive: true, force: true });
await upstream.close(); await redis?.stop(); process.exit(0);
