// `npm run bench`: one run, in production settings, measuring side by side on loopback:
//   - bare node:http and bare Express 5 answering the credentials JSON (Express is a reference
//     of the cached rows);
//   - Express 5 + express-openapi-validator alone on the bundled spec, answering the same JSON
//     for the same GET by `tcred_` id: the floor of the warm path, the other reference;
//   - a bare Express 5 proxy that fetches the account from the same upstream and answers it as
//     JSON (the reference of the uncached rows);
//   - the server warm and uncached, in process (PGlite registry, in-process cache), and the same
//     two with Redis (shared sealed cache, Redis rate limits). The uncached rows send
//     `Cache-Control: no-cache`: every request reads the upstream, none is coalesced.
// Production settings: NODE_ENV=production, the default log level with access and audit lines
// written to a log file, rate limits too high to trigger, request validation, auth, helmet and
// metrics on. Every server row reads by credential id (`tcred_…`), so registry resolution is
// included. On a machine with 2 or more cores the servers run on core 0 and the load generator
// and the upstream stand-in on core 1, so the load generator never starves the server; its own
// CPU use is measured and reported.
// Interleaved rounds, medians, each ratio against its reference; throughput at BENCH_CONNECTIONS
// (32) and latency p50/p99 at 1 (to the microsecond) and 32 connections. In a round the
// throughput of every row is measured first, one row after another in an order that puts each
// ratio's two sides next to each other, forwards in even rounds and backwards in odd ones, then
// the latency at 1 connection: on a shared machine whose speed drifts over minutes, the two sides
// of a ratio are measured seconds apart, and neither always first. Only the target measured runs:
// the others' processes are stopped (SIGSTOP) until their turn (turns.mjs), so an idle target's
// background work (V8's GC after load, its JIT) waits for its own turn instead of landing on the
// row measured next on the same core. Writes results/bench-*.json and results/bench-latest.md, and
// prints the table.
import { fork } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import { startRedis } from '@connector-credentials/testkit/redis';
import { freePort } from '@connector-credentials/testkit/ports';
import { machine, pin, startComposioStandIn, startServerProcess } from './common.mjs';
import { cpuMsOf } from './proc.mjs';
import { resumeAll, turn } from './turns.mjs';
import { writeReadmeBlock } from './readme.mjs';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 6);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
// Under load a server reaches its steady cost per request after about 8 s warm and 16 s uncached
// (CPU per request in 2 s windows from a fresh start; its JIT's threads share its core, and the
// heap grows to the load); the references sooner. Every row is warmed for longer than that.
const WARMUP = Number(process.env.BENCH_WARMUP_SECONDS ?? 20);
const LATENCY_SECONDS = Number(process.env.BENCH_LATENCY_SECONDS ?? Math.max(1, Math.round(SECONDS / 2)));
const ACCOUNT = 'ca_Xo9ADr3cBz1p';
const BARE_EXPRESS = 'bare Express';
const VALIDATOR_ALONE = 'Express + express-openapi-validator alone';
const BARE_PROXY = 'bare Express proxy (one upstream fetch)';
const WARM = 'server, warm';
const UNCACHED = 'server, uncached (no-cache: one upstream read per request)';
const WARM_REDIS = 'server, warm, Redis';
const UNCACHED_REDIS = 'server, uncached, Redis (no-cache)';
// Each ratio against its reference, both measured in this run (req/s at BENCH_CONNECTIONS).
const RATIOS = [
  { of: WARM, reference: VALIDATOR_ALONE, target: 0.85 },
  { of: WARM, reference: BARE_EXPRESS, target: 0.45 },
  { of: UNCACHED, reference: BARE_PROXY, target: 0.8 },
  { of: WARM_REDIS, reference: WARM, target: 0.9 },
  { of: UNCACHED_REDIS, reference: BARE_PROXY },
  { of: VALIDATOR_ALONE, reference: BARE_EXPRESS },
];
// Latency the server adds at concurrency 1 (p50), in ms.
const ADDED_TARGETS = { warm_over_bare_express_p50_ms: 0.15, uncached_over_upstream_p50_ms: 0.5 };

// Core 0 for the servers, core 1 for this process (the load generator) and the upstream. Each
// is pinned once everything is up: the starts spread over every core, the measuring does not.
const pinning = availableParallelism() >= 2 && process.platform === 'linux';
const serverCpus = pinning ? '0' : undefined;
const generatorCpus = pinning ? '1' : undefined;

async function startTarget(file, env) {
  const port = await freePort();
  const child = fork(new URL(file, import.meta.url), [], {
    env: { ...process.env, NODE_ENV: 'production', PORT: String(port), ...env },
    stdio: 'ignore',
  });
  process.once('exit', () => child.kill('SIGKILL'));
  await new Promise((resolve, reject) => (child.once('message', resolve), child.once('exit', reject)));
  pin(child.pid, serverCpus);
  return { pid: child.pid, url: `http://127.0.0.1:${port}`, stop: () => new Promise((r) => (child.exitCode !== null ? r() : (child.once('exit', r), child.kill('SIGTERM')))) };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const logDir = mkdtempSync(path.join(tmpdir(), 'bench-logs-'));
const started = [];
const track = (target) => (started.push(target), target);
// The targets' processes: only the one measured runs, the others are stopped (see `turn`).
const pids = [];
const stopAll = () => (resumeAll(pids), Promise.all(started.map((t) => (t.stop ?? t.close)())));
let rows;
let upstream;
try {
  upstream = track(await startComposioStandIn());
  const redis = track(await startRedis());
  const cacheKey = (await import('node:crypto')).randomBytes(32).toString('base64');
  const server = async (name, env) => {
    const s = track(await startServerProcess({ composioUrl: upstream.url, env, logFile: path.join(logDir, `${name}.log`), cpus: serverCpus }));
    const id = await s.register(ACCOUNT);
    return { pid: s.pid, url: `${s.url}/v1/personal-connectors/admin/credentials/${id}`, headers: { 'X-API-Key': s.key } };
  };
  const redisEnv = { REDIS_URL: redis.url, REDIS_ENCRYPTION_KEY: cacheKey };
  // The four servers start together: each initialises its own PGlite data directory, which is
  // the slow part of a start, and nothing is measured yet.
  const [warm, uncached, warmRedis, uncachedRedis] = await Promise.all([
    server('warm', { CACHE_TTL_MS: '600000' }),
    server('uncached', { CACHE_TTL_MS: '0' }),
    server('warm-redis', { CACHE_TTL_MS: '600000', ...redisEnv }),
    server('uncached-redis', { CACHE_TTL_MS: '0', ...redisEnv }),
  ]);
  // Every row answers the same credentials body: what the server answers for the account.
  const body = await (await fetch(warm.url, { headers: warm.headers })).text();
  const [bareHttp, bareExpress, validatorAlone, bareProxy] = await Promise.all(
    [
      startTarget('./targets/bare-http.mjs', { BENCH_BODY: body }),
      startTarget('./targets/bare-express.mjs', { BENCH_BODY: body }),
      startTarget('./targets/express-validator.mjs', { BENCH_BODY: body }),
      startTarget('./targets/bare-express-proxy.mjs', { UPSTREAM_URL: `${upstream.url}/api/v3/connected_accounts/${ACCOUNT}` }),
    ].map((starting) => starting.then(track)),
  );
  // This process (the load generator and the upstream stand-in) and Redis on their core.
  pin(process.pid, generatorCpus);
  pin(redis.pid, generatorCpus);
  // The uncached rows ask for a fresh read on every request: `Cache-Control: no-cache` skips the
  // cache and the single-flight sharing, so each request makes its own upstream read, as the
  // bare proxy does.
  const noCache = (s) => ({ ...s, headers: { ...s.headers, 'Cache-Control': 'no-cache' } });
  const validatorUrl = `${validatorAlone.url}${new URL(warm.url).pathname}`;
  // In the order they are measured: each ratio's two sides next to each other, or one apart.
  rows = [
    { name: 'bare node:http', pid: bareHttp.pid, url: `${bareHttp.url}/x`, headers: {} },
    { name: BARE_EXPRESS, pid: bareExpress.pid, url: `${bareExpress.url}/x`, headers: {} },
    { name: VALIDATOR_ALONE, pid: validatorAlone.pid, url: validatorUrl, headers: {} },
    { name: WARM, ...warm },
    { name: WARM_REDIS, ...warmRedis },
    { name: BARE_PROXY, pid: bareProxy.pid, url: `${bareProxy.url}/x`, headers: {} },
    { name: UNCACHED, ...noCache(uncached) },
    { name: UNCACHED_REDIS, ...noCache(uncachedRedis) },
  ];
  pids.push(...rows.map((row) => row.pid));
} catch (error) {
  await stopAll();
  rmSync(logDir, { recursive: true, force: true });
  throw error;
}

/**
 * Latency at concurrency 1, to the microsecond (autocannon reports whole milliseconds): requests
 * one after another on one kept-alive connection for `seconds`.
 */
async function sequential(row, seconds) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const url = new URL(row.url);
  const samples = [];
  let errors = 0;
  let non2xx = 0;
  const until = performance.now() + seconds * 1000;
  while (performance.now() < until) {
    const started = performance.now();
    try {
      const status = await new Promise((resolve, reject) => {
        const request = http.get({ agent, host: url.hostname, port: url.port, path: url.pathname + url.search, headers: row.headers }, (response) => {
          response.resume();
          response.once('end', () => resolve(response.statusCode));
        });
        request.once('error', reject);
      });
      if (status < 200 || status >= 300) non2xx += 1;
      samples.push(performance.now() - started);
    } catch {
      errors += 1;
    }
  }
  agent.destroy();
  samples.sort((a, b) => a - b);
  const at = (q) => +(samples[Math.min(samples.length - 1, Math.floor(q * samples.length))] ?? NaN).toFixed(3);
  return { p50: at(0.5), p99: at(0.99), errors, non2xx };
}

/**
 * One autocannon run; also this process's CPU share meanwhile (1.0 = one core saturated), and the
 * target's: its share of its core and its CPU time per request.
 */
async function measure(row, connections, duration) {
  const cpuBefore = process.cpuUsage();
  const targetBefore = cpuMsOf(row.pid);
  const t0 = performance.now();
  const result = await autocannon({ url: row.url, headers: row.headers, connections, duration });
  const elapsedMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpuBefore);
  const targetMs = cpuMsOf(row.pid) - targetBefore;
  return {
    result,
    generatorCpu: (cpu.user + cpu.system) / 1000 / elapsedMs,
    targetCpu: targetMs / elapsedMs,
    targetUsPerRequest: (targetMs * 1000) / result.requests.total,
  };
}

try {
  // Sanity: every target answers 200 before anything is measured.
  for (const row of rows) {
    const response = await fetch(row.url, { headers: row.headers });
    if (response.status !== 200) throw new Error(`${row.name} answered ${response.status}: ${await response.text()}`);
    await response.arrayBuffer();
  }
  if (WARMUP > 0) for (const row of rows) await turn(pids, row.pid, () => measure(row, CONNECTIONS, WARMUP));

  const measured = rows.map(() => ({ rps: [], p50: [], p99: [], p50c1: [], p99c1: [], cpu: [], targetCpu: [], targetUs: [], errors: 0, non2xx: 0 }));
  for (let round = 0; round < ROUNDS; round += 1) {
    const order = [...rows.keys()];
    if (round % 2 === 1) order.reverse();
    for (const index of order) {
      const m = measured[index];
      const { result, generatorCpu, targetCpu, targetUsPerRequest } = await turn(pids, rows[index].pid, () => measure(rows[index], CONNECTIONS, SECONDS));
      m.rps.push(result.requests.average);
      m.p50.push(result.latency.p50);
      m.p99.push(result.latency.p99);
      m.cpu.push(generatorCpu);
      m.targetCpu.push(targetCpu);
      m.targetUs.push(targetUsPerRequest);
      m.errors += result.errors + result.timeouts;
      m.non2xx += result.non2xx;
    }
    for (const index of order) {
      const m = measured[index];
      const single = await turn(pids, rows[index].pid, () => sequential(rows[index], LATENCY_SECONDS));
      m.p50c1.push(single.p50);
      m.p99c1.push(single.p99);
      m.errors += single.errors;
      m.non2xx += single.non2xx;
    }
  }
  // The upstream's own latency at concurrency 1, for the latency the server adds.
  const upstreamRow = { url: `${upstream.url}/api/v3/connected_accounts/${ACCOUNT}`, headers: {} };
  const upstreamP50s = [];
  for (let round = 0; round < ROUNDS; round += 1) upstreamP50s.push((await turn(pids, undefined, () => sequential(upstreamRow, LATENCY_SECONDS))).p50);
  const upstreamP50 = median(upstreamP50s);

  const results = rows.map((row, i) => {
    const m = measured[i];
    return {
      name: row.name,
      requests_per_s: Math.round(median(m.rps)),
      p50_ms_c32: median(m.p50),
      p99_ms_c32: median(m.p99),
      p50_ms_c1: median(m.p50c1),
      p99_ms_c1: median(m.p99c1),
      load_generator_cpu: +median(m.cpu).toFixed(2),
      target_cpu: +median(m.targetCpu).toFixed(2),
      target_cpu_us_per_request: Math.round(median(m.targetUs)),
      errors: m.errors,
      non_2xx: m.non2xx,
    };
  });
  const row = (name) => results.find((r) => r.name === name);
  const ratios = RATIOS.map(({ of, reference, target }) => {
    // The median of the rounds' ratios: each round measures the pair seconds apart (next to each
    // other, or one row apart), so a change in the machine's speed moves both sides alike.
    const [a, b] = [of, reference].map((name) => measured[rows.findIndex((r) => r.name === name)].rps);
    const rounds = a.map((rps, round) => +(rps / b[round]).toFixed(3));
    const ratio = +median(rounds).toFixed(2);
    return { of, reference, ratio, rounds, target, met: target === undefined ? undefined : ratio >= target };
  });
  const ms = (v) => +v.toFixed(3);
  const added = {
    upstream_p50_ms_c1: upstreamP50,
    warm_over_bare_express_p50_ms: ms(row(WARM).p50_ms_c1 - row(BARE_EXPRESS).p50_ms_c1),
    warm_over_validator_alone_p50_ms: ms(row(WARM).p50_ms_c1 - row(VALIDATOR_ALONE).p50_ms_c1),
    uncached_over_upstream_p50_ms: ms(row(UNCACHED).p50_ms_c1 - upstreamP50),
    bare_proxy_over_upstream_p50_ms: ms(row(BARE_PROXY).p50_ms_c1 - upstreamP50),
  };
  const summary = {
    ...machine(),
    settings: 'NODE_ENV=production, default log level (info) with access and audit lines to a log file, rate limits too high to trigger, request validation, auth, helmet and metrics on; uncached rows send Cache-Control: no-cache (one upstream read per request, no coalescing)',
    pinned: pinning ? 'servers on core 0; load generator, upstream stand-in and Redis on core 1' : 'not pinned',
    isolation: 'only the measured target runs: the others are stopped (SIGSTOP) until their turn, which starts 0.3 s before its load',
    connections: CONNECTIONS,
    seconds_per_round: SECONDS,
    latency_seconds_c1: LATENCY_SECONDS,
    rounds: ROUNDS,
    warmup_s: WARMUP,
    rows: results,
    ratios,
    added_latency: added,
    added_latency_targets_ms: ADDED_TARGETS,
  };
  const verdict = (value, target, better, unit = '') => {
    if (target === undefined) return '';
    const met = better === 'higher' ? value >= target : value < target;
    return `${better === 'higher' ? '≥' : '<'} ${target.toFixed(2)}${unit} ${met ? '(met)' : `(missed by ${Math.abs(value - target).toFixed(2)}${unit})`}`;
  };
  const addedLine = (label, value, target) => `- ${label}: ${value} ms${target === undefined ? '' : ` (target ${verdict(value, target, 'lower', ' ms')})`}`;
  const table = [
    `# Benchmark, ${summary.date}`,
    '',
    `Machine: ${summary.cpu}, ${summary.cores} cores, ${summary.memory_gib} GiB, ${summary.os}, Node ${summary.node}.`,
    `Settings: ${summary.settings}. Pinning: ${summary.pinned}. Isolation: ${summary.isolation}.`,
    `autocannon on loopback: ${CONNECTIONS} connections for ${SECONDS} s and 1 connection for ${LATENCY_SECONDS} s per row and round, ${ROUNDS} interleaved rounds after a ${WARMUP} s warm-up (in a round every row's throughput, in the order of the table, backwards in odd rounds, then every row's latency at 1 connection); medians.`,
    '',
    `| target | req/s (c${CONNECTIONS}) | p50 ms c1 | p99 ms c1 | p50 ms c${CONNECTIONS} | p99 ms c${CONNECTIONS} | target CPU | target CPU µs/req | generator CPU | errors | non-2xx |`,
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...results.map((r) => `| ${r.name} | ${r.requests_per_s} | ${r.p50_ms_c1} | ${r.p99_ms_c1} | ${r.p50_ms_c32} | ${r.p99_ms_c32} | ${r.target_cpu} | ${r.target_cpu_us_per_request} | ${r.load_generator_cpu} | ${r.errors} | ${r.non_2xx} |`),
    '',
    'Ratios of throughput, each against its reference measured in this run (the median of the rounds\' ratios):',
    '',
    ...ratios.map((r) => `- ${r.of} ÷ ${r.reference}: **${r.ratio.toFixed(2)}** (rounds ${r.rounds.map((x) => x.toFixed(2)).join(', ')}${r.target === undefined ? '' : `; target ${verdict(r.ratio, r.target, 'higher')}`})`),
    '',
    `Latency added at concurrency 1 (p50, requests one after another on one kept-alive connection, measured to the microsecond; the upstream's own p50 is ${upstreamP50} ms):`,
    '',
    addedLine('the warm server over bare Express', added.warm_over_bare_express_p50_ms, ADDED_TARGETS.warm_over_bare_express_p50_ms),
    addedLine('the warm server over Express + express-openapi-validator alone', added.warm_over_validator_alone_p50_ms),
    addedLine('the uncached server, registry resolution included, over the upstream', added.uncached_over_upstream_p50_ms, ADDED_TARGETS.uncached_over_upstream_p50_ms),
    addedLine('the bare proxy over the upstream', added.bare_proxy_over_upstream_p50_ms),
    '',
    `At ${CONNECTIONS} connections autocannon reports whole milliseconds. "target CPU" is the target's share of its core during its ${CONNECTIONS}-connection runs (all its threads: JIT and GC included), and "target CPU µs/req" its CPU time per request then; "generator CPU" is the load generator's share of its core (1.00 = saturated: the row then measures the generator, not the server).`,
    '',
  ].join('\n');
  const dir = process.env.BENCH_RESULTS_DIR ? pathToFileURL(`${process.env.BENCH_RESULTS_DIR}/`) : new URL('./results/', import.meta.url);
  writeFileSync(new URL(`bench-${summary.date.slice(0, 10)}.json`, dir), `${JSON.stringify(summary, null, 2)}\n`);
  writeFileSync(new URL('bench-latest.json', dir), `${JSON.stringify(summary, null, 2)}\n`);
  writeFileSync(new URL('bench-latest.md', dir), table);
  console.log(table);
  if (!process.env.BENCH_RESULTS_DIR && writeReadmeBlock()) console.log('README.md: Performance block rewritten from these results.');
} finally {
  await stopAll();
  rmSync(logDir, { recursive: true, force: true });
}
