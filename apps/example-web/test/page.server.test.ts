/**
 * The example page against the real server, started as `npm start` starts it
 * (apps/server/dist/local.js: an embedded Composio mock, PGlite, the mock's example accounts
 * registered in org_local), with `npm run example:web` proxying the page's calls to it and adding
 * a key of the `connections` role on its side. In headless Chromium: the seeded connections
 * appear, a toggle persists across a reload and shows in GET …/connections/{tool_key}; the key
 * never reaches the browser, no admin path is reachable through the page's /api, and the console
 * stays clean.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { ConnectionList } from '@connector-credentials/client';
import { createSpecValidator, freePort, openapiBundlePath, pgliteDataDir } from '@connector-credentials/testkit';

const aitronos = createSpecValidator(openapiBundlePath('aitronos'));
import { artifacts, launchChromium, startExampleWeb, startProcess, stopChild, watchErrors, type Browser, type RunningProcess } from './browser.ts';

const key = `conn_${randomBytes(24).toString('base64url')}`;
let dataDir: string;
let server: { child: ChildProcess; url: string };
let web: RunningProcess;
let browser: Browser;
let page: Page;
let errors: string[];
const sentHeaders: Array<Record<string, string>> = [];

const listUrl = () => `${server.url}/v1/personal-connectors/connections/googledrive?organization_id=org_local`;
async function listFromServer(): Promise<ConnectionList> {
  const response = await fetch(listUrl(), { headers: { 'X-API-Key': key } });
  expect(response.status).toBe(200);
  return (await response.json()) as ConnectionList;
}

beforeAll(async () => {
  // An empty registry, as a first start leaves it (a copy: initdb runs once for all suites).
  dataDir = (await pgliteDataDir()).dir;
  const port = await freePort();
  const started = await startProcess(
    ['apps/server/dist/local.js'],
    {
      PORT: String(port),
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      // The page's backend needs no more than the connections role.
      API_KEYS: JSON.stringify([{ name: 'example-web', header: 'X-API-Key', sha256: createHash('sha256').update(key).digest('hex'), roles: ['connections'] }]),
      COMPOSIO_BASE_URL: '',
    },
    /Credentials server: (http:\/\/\S+)/,
  );
  server = { child: started.child, url: started.match[1]! };
  web = await startExampleWeb({ EXAMPLE_WEB_API: server.url, EXAMPLE_WEB_KEY: key });
  browser = await launchChromium();
  page = await browser.context.newPage();
  errors = watchErrors(page);
  page.on('request', (request) => sentHeaders.push(request.headers()));
  mkdirSync(artifacts, { recursive: true });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await web?.stop();
  if (server) await stopChild(server.child);
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function shown() {
  return page.locator('li.connection').evaluateAll((items) =>
    items.map((item) => ({
      name: item.querySelector('.name')?.textContent,
      checked: item.querySelector('[role="switch"]')?.getAttribute('aria-checked'),
    })),
  );
}

describe('the page on the real server, through the proxy', () => {
  it('shows the seeded connections of googledrive in org_local, as the server lists them', async () => {
    const seeded = await listFromServer();
    expect(seeded.connections.length).toBeGreaterThan(0);
    await page.goto(web.url, { waitUntil: 'load' });
    await page.locator('li.connection').first().waitFor({ timeout: 60_000 });
    expect(await shown()).toEqual(seeded.connections.map((c) => ({ name: c.display_name, checked: String(c.is_active) })));
    expect(await page.getByRole('complementary', { name: 'Mock scenarios' }).count()).toBe(0);
    await page.screenshot({ path: path.join(artifacts, 'example-web-server.png'), fullPage: true });
  });

  it('a toggle persists across a reload and shows in GET …/connections/{tool_key}', async () => {
    const [first] = (await listFromServer()).connections;
    const toggle = page.getByRole('switch', { name: first!.display_name, exact: true });
    const [saved] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith(`/connections/${first!.id}/active`) && r.request().method() === 'PATCH', { timeout: 60_000 }),
      toggle.click(),
    ]);
    expect(saved.status()).toBe(200);
    await expect.poll(() => toggle.getAttribute('aria-checked')).toBe(String(!first!.is_active));

    await page.reload({ waitUntil: 'load' });
    await page.locator('li.connection').first().waitFor({ timeout: 60_000 });
    expect(await toggle.getAttribute('aria-checked')).toBe(String(!first!.is_active));
    const after = await listFromServer();
    expect(after.connections.find((c) => c.id === first!.id)?.is_active).toBe(!first!.is_active);

    // And back, for the next run of a developer's own data.
    await toggle.click();
    await expect.poll(async () => (await listFromServer()).connections.find((c) => c.id === first!.id)?.is_active, { timeout: 30_000 }).toBe(first!.is_active);
  });

  it('the key stays in the proxy, and the page\'s /api reaches the connection operations only', async () => {
    const admin = await page.evaluate(async () => {
      const response = await fetch('/api/v1/personal-connectors/admin/credentials/by-connection/ca_Xo9ADr3cBz1p');
      return { status: response.status, body: await response.text() };
    });
    expect(admin.status).toBe(404);
    expect(admin.body).not.toContain('credentials":');
    // In the API's own envelope, with one of its codes, as the page shows any other error.
    expect(aitronos.validateSchema('ErrorEnvelope', JSON.parse(admin.body)).errors).toEqual([]);
    expect(JSON.parse(admin.body)).toMatchObject({ error: { code: 'ROUTE_NOT_FOUND', status: 404 } });
    expect(sentHeaders.length).toBeGreaterThan(0);
    for (const headers of sentHeaders) {
      expect(Object.keys(headers).filter((h) => /key/i.test(h))).toEqual([]);
      expect(Object.values(headers).join('\n')).not.toContain(key);
    }
    expect(await page.content()).not.toContain(key);
    for (const module of ['src/main.tsx', '@vite/env', '@vite/client']) {
      expect(await (await fetch(`${web.url}${module}`)).text()).not.toContain(key);
    }
    // Chromium's line for the 404 just asked for is the only console error.
    expect(errors.filter((e) => !/status of 404/.test(e))).toEqual([]);
  });
});
