// `npm run bench`: one run measuring, side by side on loopback with autocannon,
//   1. bare node:http returning the credentials JSON,
//   2. bare Express returning it (the reference: every ratio is to this row),
//   3. the server on the full path (auth, request validation, Composio call to a fast local
//      stand-in, mapping), response validation off as in production, cache off,
//   4. the same with the cache warm,
//   5. Prism serving the Composio spec.
// Fixed connections and duration, a warm-up, BENCH_ROUNDS interleaved rounds, medians. Also the
// latency the server adds over the upstream's own, at concurrency 1. Writes results/bench-*.json
// and results/bench-latest.md, and prints the table.
import { fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import { startPrism } from '@connector-credentials/mocks';
import { bundledSpecPath } from '@connector-credentials/openapi';
import { freePort } from '@connector-credentials/testkit/ports';
import { exampleAccount, machine, sleep, startComposioStandIn, startServerProcess } from './common.mjs';

const require = createRequire(import.meta.url);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const WARMUP = Number(process.env.BENCH_WARMUP_SECONDS ?? 3);
const LATENCY_SAMPLES = Number(process.env.BENCH_LATENCY_SAMPLES ?? 2000);
const PATH = '/v1/personal-connectors/admin/credentials/ca_Xo9ADr3cBz1p';

async function startTarget(file, body) {
  const port = await freePort();
  const child = fork(new URL(file, import.meta.url), [], { env: { ...process.env, PORT: String(port), BENCH_BODY: body }, stdio: 'ignore' });
  process.once('exit', () => child.kill('SIGKILL'));
  await new Promise((resolve, reject) => (child.once('message', resolve), child.once('exit', reject)));
  return { url: `http://127.0.0.1:${port}`, stop: () => new Promise((r) => (child.once('exit', r), child.kill('SIGTERM'))) };
}


const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

// --- the five targets: each is stopped in the finally below, whatever fails after it started -----
const started = [];
const track = (target) => (started.push(target), target);
const stopAll = () => Promise.all(started.map((t) => (t.stop ?? t.close)()));
let composio, bareHttp, bareExpress, serverCold, serverWarm, prism, body;
try {
  composio = track(await startComposioStandIn());
  const { mapConnectedAccount } = await import(require.resolve('@connector-credentials/server/package.json').replace('package.json', 'dist/map-connected-account.js'));
  // Every row answers the same credentials body: the mapped oauth2_active example.
  body = JSON.stringify(mapConnectedAccount(exampleAccount()));
  bareHttp = track(await startTarget('./targets/bare-http.mjs', body));
  bareExpress = track(await startTarget('./targets/bare-express.mjs', body));
  serverCold = track(await startServerProcess({ composioUrl: composio.url, env: { CACHE_TTL_MS: '0' } }));
  serverWarm = track(await startServerProcess({ composioUrl: composio.url, env: { CACHE_TTL_MS: '600000' } }));
  prism = track(await startPrism({ spec: bundledSpecPath('composio'), errors: false }));
} catch (error) {
  await stopAll();
  throw error;
}

const rows = [
  { name: 'bare node:http', url: `${bareHttp.url}${PATH}`, headers: {} },
  { name: 'bare Express (reference)', url: `${bareExpress.url}${PATH}`, headers: {} },
  { name: 'server, full path, cache off', url: `${serverCold.url}${PATH}`, headers: { 'X-API-Key': serverCold.key } },
  { name: 'server, full path, cache warm', url: `${serverWarm.url}${PATH}`, headers: { 'X-API-Key': serverWarm.key } },
  { name: 'Prism mock of Composio', url: `${prism.url}/api/v3/connected_accounts/ca_Xo9ADr3cBz1p`, headers: { 'x-api-key': 'k' } },
];

async function sequentialLatencies(url, headers) {
  const samples = [];
  for (let i = 0; i < LATENCY_SAMPLES; i += 1) {
    const started = performance.now();
    const response = await fetch(url, { headers });
    await response.arrayBuffer();
    samples.push(performance.now() - started);
  }
  return samples;
}

try {
  // Sanity: every target answers 200 before anything is measured.
  for (const row of rows) {
    const response = await fetch(row.url, { headers: row.headers });
    if (response.status !== 200) throw new Error(`${row.name} answered ${response.status}`);
    await response.arrayBuffer();
  }
  for (const row of rows) await autocannon({ url: row.url, headers: row.headers, connections: CONNECTIONS, duration: WARMUP });

  const measured = rows.map(() => ({ rps: [], p50: [], p99: [], errors: 0, non2xx: 0 }));
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const [index, row] of rows.entries()) {
      const result = await autocannon({ url: row.url, headers: row.headers, connections: CONNECTIONS, duration: SECONDS });
      measured[index].rps.push(result.requests.average);
      measured[index].p50.push(result.latency.p50);
      measured[index].p99.push(result.latency.p99);
      measured[index].errors += result.errors + result.timeouts;
      measured[index].non2xx += result.non2xx;
      await sleep(500);
    }
  }

  // The latency the server adds over Composio's own, one request at a time (cache off).
  const upstreamUrl = `${composio.url}/api/v3/connected_accounts/ca_Xo9ADr3cBz1p`;
  await sequentialLatencies(upstreamUrl, {});
  await sequentialLatencies(rows[2].url, rows[2].headers);
  const upstreamP50 = median(await sequentialLatencies(upstreamUrl, {}));
  const serverP50 = median(await sequentialLatencies(rows[2].url, rows[2].headers));

  const reference = median(measured[1].rps);
  const results = rows.map((row, i) => ({
    name: row.name,
    requests_per_s: Math.round(median(measured[i].rps)),
    p50_ms: median(measured[i].p50),
    p99_ms: median(measured[i].p99),
    ratio_to_express: +(median(measured[i].rps) / reference).toFixed(2),
    errors: measured[i].errors,
    non_2xx: measured[i].non2xx,
  }));
  const summary = {
    ...machine(),
    connections: CONNECTIONS,
    seconds_per_round: SECONDS,
    rounds: ROUNDS,
    warmup_s: WARMUP,
    rows: results,
    added_latency: { upstream_p50_ms: +upstreamP50.toFixed(3), server_p50_ms: +serverP50.toFixed(3), added_p50_ms: +(serverP50 - upstreamP50).toFixed(3), samples: LATENCY_SAMPLES },
    targets: { full_path_ratio: 0.6, warm_cache_ratio: 0.85, added_p50_ms: 1 },
  };
  const table = [
    `# Benchmark, ${summary.date}`,
    '',
    `Machine: ${summary.cpu}, ${summary.cores} cores, ${summary.memory_gib} GiB, ${summary.os}, Node ${summary.node}.`,
    `autocannon on loopback, ${CONNECTIONS} connections, ${SECONDS} s per round, ${ROUNDS} interleaved rounds after a ${WARMUP} s warm-up; medians. The load generator shares the machine.`,
    '',
    '| target | req/s | p50 ms | p99 ms | ratio to bare Express | errors | non-2xx |',
    '|---|---|---|---|---|---|---|',
    ...results.map((r) => `| ${r.name} | ${r.requests_per_s} | ${r.p50_ms} | ${r.p99_ms} | ${r.ratio_to_express.toFixed(2)} | ${r.errors} | ${r.non_2xx} |`),
    '',
    `Latency added by the server over the upstream's own, one request at a time (${LATENCY_SAMPLES} requests each, p50): upstream ${summary.added_latency.upstream_p50_ms} ms, through the server ${summary.added_latency.server_p50_ms} ms, added ${summary.added_latency.added_p50_ms} ms.`,
    '',
    `Targets: full path ≥ 0.60 of bare Express (${results[2].ratio_to_express >= 0.6 ? 'met' : 'not met'}), cache warm ≥ 0.85 (${results[3].ratio_to_express >= 0.85 ? 'met' : 'not met'}), added p50 < 1 ms (${summary.added_latency.added_p50_ms < 1 ? 'met' : 'not met'}).`,
    '',
  ].join('\n');
  const dir = process.env.BENCH_RESULTS_DIR ? pathToFileURL(`${process.env.BENCH_RESULTS_DIR}/`) : new URL('./results/', import.meta.url);
  writeFileSync(new URL(`bench-${summary.date.slice(0, 10)}.json`, dir), `${JSON.stringify(summary, null, 2)}\n`);
  writeFileSync(new URL('bench-latest.json', dir), `${JSON.stringify(summary, null, 2)}\n`);
  writeFileSync(new URL('bench-latest.md', dir), table);
  console.log(table);
} finally {
  await stopAll();
}
