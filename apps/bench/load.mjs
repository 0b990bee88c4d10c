// Bounded load test on loopback: the server (production settings: response validation off) with a
// fast local Composio stand-in, default log level with its logs written to a file, its registry in
// a PostgreSQL started for the run, as deployed (LOAD_DATABASE=pglite: the embedded PGlite, as
// `npm start` runs it), 64 concurrent connections for 30 s (LOAD_SECONDS, LOAD_CONNECTIONS).
// Requires zero errors, zero non-2xx, and resident memory after the run within 20% of before. Writes results/load-latest.json and results/load-latest.md.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import { startPostgres } from '@connector-credentials/testkit/postgres';
import { machine, sleep, startComposioStandIn, startServerProcess } from './common.mjs';
import { rssOf } from './proc.mjs';
import { writeReadmeBlock } from './readme.mjs';

// LOAD_SMOKE: a few seconds, to prove the command works (the test suite runs it); too short to
// judge memory, so that check is reported, not required. LOAD_RESULTS_DIR: where to write.
const smoke = process.env.LOAD_SMOKE === '1';
const seconds = Number(process.env.LOAD_SECONDS ?? (smoke ? 3 : 30));
const connections = Number(process.env.LOAD_CONNECTIONS ?? 64);
// Under this load the heap reaches its steady size within about 10 s (measured: flat from 10 s to
// 90 s); the baseline is read after a warm-up long enough to get there.
const warmupSeconds = Number(process.env.LOAD_WARMUP_SECONDS ?? (smoke ? 1 : 15));

const database = process.env.LOAD_DATABASE ?? 'postgres';
if (database !== 'postgres' && database !== 'pglite') throw new Error('LOAD_DATABASE is postgres or pglite');
// The registry: a PostgreSQL, as the deployment has it (the server's memory is then its own), or
// the embedded PGlite (whose WebAssembly PostgreSQL lives in the server's process and memory).
const postgres = database === 'postgres' ? await startPostgres() : undefined;
const registry = postgres ? 'PostgreSQL (DATABASE_URL), as deployed' : "PGlite in the server's process (DATA_DIR), as npm start runs it";
const composio = await startComposioStandIn();
const logDir = mkdtempSync(path.join(tmpdir(), 'load-logs-'));
// Requests spread over more accounts than the cache holds (1000 by default): cache hits, misses,
// evictions and Composio calls all take part, not only the cheapest path.
const IDS = Number(process.env.LOAD_IDS ?? 5000);
let next = 0;
let server;

try {
  server = await startServerProcess({ composioUrl: composio.url, logFile: path.join(logDir, 'server.log'), env: postgres ? { DATABASE_URL: postgres.url } : {} });
  const target = {
    url: server.url,
    headers: { 'X-API-Key': server.key },
    requests: [{ method: 'GET', setupRequest: (request) => ({ ...request, path: `/v1/personal-connectors/admin/credentials/by-connection/ca_load${(next++ * 7919) % IDS}` }) }],
  };
  // Warm-up: JIT, connection pools, heap growth to its steady size; then the baseline reading.
  await autocannon({ ...target, connections, duration: warmupSeconds });
  await sleep(1_000);
  const rssBefore = rssOf(server.pid);
  const result = await autocannon({ ...target, connections, duration: seconds });
  await sleep(1_000);
  const rssAfter = rssOf(server.pid);

  const summary = {
    ...machine(),
    connections,
    duration_s: seconds,
    warmup_s: warmupSeconds,
    requests: result.requests.total,
    requests_per_s: result.requests.average,
    latency_ms: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
    errors: result.errors,
    timeouts: result.timeouts,
    non_2xx: result.non2xx,
    rss_before_mib: +(rssBefore / 2 ** 20).toFixed(1),
    rss_after_mib: +(rssAfter / 2 ** 20).toFixed(1),
    rss_growth: +((rssAfter - rssBefore) / rssBefore).toFixed(3),
    ids: IDS,
    registry,
    composio_calls: composio.calls(),
    server_pid: server.pid,
  };
  const checks = {
    'zero errors': summary.errors === 0 && summary.timeouts === 0,
    'zero non-2xx': summary.non_2xx === 0,
    'memory within 20%': smoke || Math.abs(summary.rss_growth) <= 0.2,
  };
  const table = [
    `# Load test, ${summary.date}`,
    '',
    `Machine: ${summary.cpu}, ${summary.cores} cores, ${summary.memory_gib} GiB, ${summary.os}, Node ${summary.node}.`,
    `Server: production settings (response validation off, cache on), default log level with access and audit lines to a file; registry: ${registry}; reads by connection id (unregistered: the registry answers "not registered" from its cache); Composio: local stand-in answering at once; requests spread over ${IDS} account ids (the cache holds 1000).`,
    '',
    '| connections | duration | requests | req/s | p50 ms | p99 ms | errors | non-2xx | RSS before | RSS after |',
    '|---|---|---|---|---|---|---|---|---|---|',
    `| ${connections} | ${seconds} s | ${summary.requests} | ${Math.round(summary.requests_per_s)} | ${summary.latency_ms.p50} | ${summary.latency_ms.p99} | ${summary.errors} | ${summary.non_2xx} | ${summary.rss_before_mib} MiB | ${summary.rss_after_mib} MiB (${(summary.rss_growth * 100).toFixed(1)}%) |`,
    '',
    ...Object.entries(checks).map(([name, ok]) => `- ${ok ? 'passed' : 'FAILED'}: ${name}`),
    '',
  ].join('\n');
  const results = process.env.LOAD_RESULTS_DIR ? pathToFileURL(`${process.env.LOAD_RESULTS_DIR}/`) : new URL('./results/', import.meta.url);
  writeFileSync(new URL('load-latest.json', results), `${JSON.stringify({ ...summary, checks }, null, 2)}\n`);
  writeFileSync(new URL('load-latest.md', results), table);
  console.log(table);
  if (!process.env.LOAD_RESULTS_DIR && writeReadmeBlock()) console.log('README.md: Performance block rewritten from these results.');
  process.exitCode = Object.values(checks).every(Boolean) ? 0 : 1;
} finally {
  // Whatever failed, nothing is left running: PostgreSQL runs on its own (pg_ctl).
  await server?.stop();
  await composio.close();
  await postgres?.stop();
  rmSync(logDir, { recursive: true, force: true });
}
