// `node apps/bench/profile.mjs [warm|uncached|warm-redis|uncached-redis]`: the server under load with `--cpu-prof`, and
// where its CPU time went during the load window only (start-up excluded): self and inclusive
// shares by package (or server module) and the functions with the most self time. Production
// settings, as in bench.mjs: NODE_ENV=production, default log level to a log file, rate limits too
// high to trigger; `uncached` sends `Cache-Control: no-cache`, so every request reads the upstream;
// the `-redis` modes share state through a Redis started for the run (rate limits, sealed cache).
// PROFILE_SECONDS (10), PROFILE_CONNECTIONS (32), PROFILE_TOP (25); the profile is kept when
// PROFILE_DIR is set.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import autocannon from 'autocannon';
import { startRedis } from '@connector-credentials/testkit/redis';
import { pin, startComposioStandIn, startServerProcess } from './common.mjs';

const mode = process.argv[2] ?? 'warm';
const SECONDS = Number(process.env.PROFILE_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.PROFILE_CONNECTIONS ?? 32);
const TOP = Number(process.env.PROFILE_TOP ?? 25);
const pinning = availableParallelism() >= 2 && process.platform === 'linux';
if (pinning) pin(process.pid, '1');

const profileDir = process.env.PROFILE_DIR ?? mkdtempSync(path.join(tmpdir(), 'bench-profile-'));
const logDir = mkdtempSync(path.join(tmpdir(), 'bench-profile-logs-'));
const upstream = await startComposioStandIn();
const redis = mode.endsWith('-redis') ? await startRedis() : undefined;
const server = await startServerProcess({
  composioUrl: upstream.url,
  env: {
    CACHE_TTL_MS: mode.startsWith('warm') ? '600000' : '0',
    ...(redis && { REDIS_URL: redis.url, REDIS_ENCRYPTION_KEY: randomBytes(32).toString('base64') }),
    NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${profileDir}`,
  },
  logFile: path.join(logDir, 'server.log'),
  cpus: pinning ? '0' : undefined,
});
const id = await server.register('ca_Xo9ADr3cBz1p');
const url = `${server.url}/v1/personal-connectors/admin/credentials/${id}`;
const headers = { 'X-API-Key': server.key, ...(mode.startsWith('uncached') && { 'Cache-Control': 'no-cache' }) };
await autocannon({ url, headers, connections: CONNECTIONS, duration: 3 }); // warm-up, JIT
const loadStart = performance.now();
const result = await autocannon({ url, headers, connections: CONNECTIONS, duration: SECONDS });
const loadEnd = performance.now();
await server.stop();
const exited = performance.now();
await upstream.close();
await redis?.stop();
rmSync(logDir, { recursive: true, force: true });

const file = readdirSync(profileDir).find((f) => f.endsWith('.cpuprofile'));
const profile = JSON.parse(readFileSync(path.join(profileDir, file), 'utf8'));
if (!process.env.PROFILE_DIR) rmSync(profileDir, { recursive: true, force: true });

// Samples inside the load window, placed from the profile's end (the process's exit).
const from = profile.endTime - (exited - loadStart) * 1000;
const to = profile.endTime - (exited - loadEnd) * 1000;
if (process.env.PROFILE_DIR) writeFileSync(path.join(profileDir, `${file}.window.json`), JSON.stringify({ from, to }));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

/** Where a frame belongs: a package, a server module, Node's internals, or V8's own (GC, idle). */
function owner(frame) {
  const u = frame.url;
  if (!u) return frame.functionName.startsWith('(') ? frame.functionName : '(native)';
  if (u.startsWith('node:')) return u.replace(/^node:internal\//, 'node:').split('/').slice(0, 2).join('/');
  const pkg = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(u.replace(/.*node_modules\/\.pnpm\/[^/]+\/node_modules\//, 'node_modules/'));
  if (pkg) return pkg[1];
  const server = /apps\/server\/dist\/(.+)\.js/.exec(u);
  return server ? `server:${server[1]}` : u.split('/').slice(-2).join('/');
}

const self = new Map();
const inclusive = new Map();
const fnSelf = new Map();
let total = 0;
let t = profile.startTime;
for (let i = 0; i < profile.samples.length; i += 1) {
  t += profile.timeDeltas[i];
  if (t < from || t > to) continue;
  const leaf = byId.get(profile.samples[i]);
  if (leaf.callFrame.functionName === '(idle)') continue;
  total += 1;
  const o = owner(leaf.callFrame);
  self.set(o, (self.get(o) ?? 0) + 1);
  const fn = `${leaf.callFrame.functionName || '(anonymous)'} ${o}:${leaf.callFrame.lineNumber + 1}`;
  fnSelf.set(fn, (fnSelf.get(fn) ?? 0) + 1);
  const seen = new Set();
  for (let id = leaf.id; id !== undefined; id = parent.get(id)) seen.add(owner(byId.get(id).callFrame));
  for (const s of seen) inclusive.set(s, (inclusive.get(s) ?? 0) + 1);
}
const pct = (n) => `${((100 * n) / total).toFixed(1)}%`;
const top = (map) => [...map].sort((a, b) => b[1] - a[1]).slice(0, TOP);
console.log(`# Profile, ${mode}: ${Math.round(result.requests.average)} req/s at ${CONNECTIONS} connections for ${SECONDS} s; ${total} busy samples in the load window`);
console.log('\n| owner | self | inclusive |\n|---|---|---|');
for (const [o, n] of top(self)) console.log(`| ${o} | ${pct(n)} | ${pct(inclusive.get(o) ?? 0)} |`);
console.log('\n| inclusive only: owner | inclusive |\n|---|---|');
for (const [o, n] of top(inclusive)) console.log(`| ${o} | ${pct(n)} |`);
console.log('\n| function | self |\n|---|---|');
for (const [f, n] of top(fnSelf)) console.log(`| ${f} | ${pct(n)} |`);
