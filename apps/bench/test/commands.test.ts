/**
 * Smoke runs of `npm run load` and `npm run bench`: both scripts run end to end with tiny settings
 * (a second or two per row, a few connections), writing to a temporary folder (the committed
 * results come from full runs). They check behaviour only (every row produced, no errors, results
 * written, the server stopped), never a figure: those depend on how busy the machine is, and the
 * measuring is done by the commands themselves, outside the suite.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const out = mkdtempSync(path.join(tmpdir(), 'bench-smoke-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('the load and benchmark commands', () => {
  it('load.mjs drives the server with zero errors and zero non-2xx, and writes its results', { timeout: 300_000 }, async () => {
    const { stdout } = await run(process.execPath, [path.join(here, '..', 'load.mjs')], { env: { ...process.env, LOAD_SMOKE: '1', LOAD_SECONDS: '1', LOAD_CONNECTIONS: '4', LOAD_RESULTS_DIR: out } });
    expect(stdout).toContain('- passed: zero errors');
    expect(stdout).toContain('- passed: zero non-2xx');
    const results = JSON.parse(readFileSync(path.join(out, 'load-latest.json'), 'utf8'));
    expect(results.errors).toBe(0);
    expect(results.non_2xx).toBe(0);
    expect(results.composio_calls).toBeGreaterThan(0); // requests reached Composio, not only the cache
    expect(existsSync(`/proc/${results.server_pid}`)).toBe(false); // the server it started is gone
  });

  it('bench.mjs measures its eight rows side by side in production settings (the validator-alone floor included) and writes its table', { timeout: 600_000 }, async () => {
    const { stdout } = await run(process.execPath, [path.join(here, '..', 'bench.mjs')], {
      env: { ...process.env, BENCH_SECONDS: '0.5', BENCH_ROUNDS: '1', BENCH_WARMUP_SECONDS: '0', BENCH_LATENCY_SECONDS: '0.25', BENCH_CONNECTIONS: '2', BENCH_RESULTS_DIR: out },
    });
    const results = JSON.parse(readFileSync(path.join(out, 'bench-latest.json'), 'utf8')) as { rows: Array<{ name: string }>; settings: string };
    const rows = stdout.split('\n').filter((l) => /^\| (bare|server|express)/i.test(l));
    expect(rows.length).toBeGreaterThanOrEqual(7);
    // Every row the results declare was printed, with no errors and no non-2xx.
    expect(rows.map((row) => row.split('|')[1]!.trim())).toEqual(results.rows.map((r) => r.name));
    for (const row of rows) expect(row).toMatch(/\| 0 \| 0 \|$/);
    expect(readFileSync(path.join(out, 'bench-latest.md'), 'utf8')).toContain('| server, warm |');
    expect(results.settings).toContain('NODE_ENV=production');
  });
});
