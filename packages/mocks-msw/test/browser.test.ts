/**
 * The MSW handlers in a real browser (Debian's Chromium, headless, driven by playwright-core): a
 * tiny page bundled with esbuild from the handlers and the project's client starts MSW's service
 * worker and calls both APIs for every scenario of the specs. The page's server only serves
 * files: every API call is answered by the worker in the page. A screenshot of the results table
 * is kept in test-results/msw-browser.png.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLoopbackServer, type LoopbackServer } from '@connector-credentials/testkit';
import { scenariosOf } from '../src/index.ts';
import type { PageResult } from './browser/page.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const require = createRequire(import.meta.url);
const artifacts = path.resolve(fileURLToPath(new URL('../test-results', import.meta.url)));

let site: string;
let server: LoopbackServer;
let browser: Browser;
let results: PageResult[] = [];
const pageErrors: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH`);
  site = mkdtempSync(path.join(tmpdir(), 'msw-page-'));
  await build({
    entryPoints: [fileURLToPath(new URL('./browser/page.ts', import.meta.url))],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'chrome120',
    outfile: path.join(site, 'page.js'),
    logLevel: 'error',
  });
  copyFileSync(require.resolve('msw/mockServiceWorker.js'), path.join(site, 'mockServiceWorker.js'));
  writeFileSync(path.join(site, 'index.html'), '<!doctype html><meta charset="utf-8"><title>MSW scenarios</title><body><script type="module" src="/page.js"></script></body>');

  server = await startLoopbackServer();
  const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript' };
  server.handle((req, res) => {
    const file = path.join(site, req.url === '/' ? 'index.html' : path.basename(req.url ?? ''));
    if (!existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });

  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  const page = await browser.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(server.url, { waitUntil: 'load' });
  await page.waitForFunction(() => 'results' in window, undefined, { timeout: 90_000 });
  results = await page.evaluate(() => (window as unknown as { results: PageResult[] }).results);
  mkdirSync(artifacts, { recursive: true });
  await page.screenshot({ path: path.join(artifacts, 'msw-browser.png'), fullPage: true });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (site) rmSync(site, { recursive: true, force: true });
});

const scenarios = [...scenariosOf('aitronos'), ...scenariosOf('composio')];
const resultOf = (api: string, route: string, name: string, via: PageResult['via']) => results.find((r) => r.api === api && r.path === route && r.name === name && r.via === via);

describe('MSW in headless Chromium, through the client', () => {
  it('the page ran without errors and called nothing but the worker', () => {
    expect(pageErrors).toEqual([]);
    expect(results).toHaveLength(scenarios.length * 3);
    const apiCalls = server.requests.filter((r) => /^\/(aitronos|composio)\//.test(r.url ?? ''));
    expect(apiCalls).toEqual([]);
  });

  it.each(scenarios.map((s) => [s.api, s.path, s.name, s.status, s] as const))('%s %s %s (%s): Prefer, useScenario and no key', (api, route, name, status, scenario) => {
    expect(resultOf(api, route, name, 'Prefer')).toMatchObject({ status: Number(status), body: scenario.value });
    expect(resultOf(api, route, name, 'useScenario')).toMatchObject({ status: Number(status), body: scenario.value });
    expect(resultOf(api, route, name, 'no key')?.status).toBe(401);
  });
});
