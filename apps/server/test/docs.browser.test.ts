/**
 * A real browser (Debian's Chromium, headless, driven by playwright-core) opens /docs on a running
 * server: the endpoint, its parameters, its security headers and an error example are rendered.
 * The screenshot is kept in test-results/ as an artifact. The same browser calls the Aitronos
 * mock from the server's origin, which only works if the mock's CORS is right.
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startTestServer, type TestServer } from './helpers.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const artifacts = path.resolve(fileURLToPath(new URL('../test-results', import.meta.url)));

let server: TestServer;
let browser: Browser;
let page: Page;
const cspViolations: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: install Debian's chromium (apt-get install chromium), as .ci/run does, or set CHROMIUM_PATH`);
  }
  server = await startTestServer({ composioBaseUrl: inject('composioMockUrl') });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
  });
  const response = await page.goto(`${server.running.url}/docs`, { waitUntil: 'load' });
  expect(response?.status()).toBe(200);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('/docs in a real browser', () => {
  const count = async (text: string) => (await page.locator('body').innerText()).split(text).length - 1;

  it('renders the operation, its path and its parameters', async () => {
    await page.getByText('Admin credentials', { exact: true }).first().click();
    await page.locator('a[href="#/admin-credentials/getadmincredentials"]').first().click();
    await page.getByRole('heading', { name: 'Get the credentials of a registered credential (admin only)' }).waitFor({ timeout: 60_000 });
    const text = await page.locator('body').innerText();
    expect(text).toContain('/v1/personal-connectors/admin/credentials/{credential_id}');
    expect(text).toMatch(/credential_id\s+string, \[ 22 \.\. 128 \] characters\s+\(CredentialId\)\s+\^tcred_/);
    expect(text).toMatch(/X-Request-Id\s+string/);
  });

  it('renders the three security schemes, each with its header and the roles the operation needs', async () => {
    // The roles are the scopes of each scheme's requirement: admin only, for this operation.
    const text = await page.locator('body').innerText();
    expect(text).toMatch(/ApiKeyAuth\s*\(Required scopes:\s*admin\s*\)\s*or\s*FlowplateKeyAuth\s*\(Required scopes:\s*admin\s*\)\s*or\s*HubKeyAuth\s*\(Required scopes:\s*admin\s*\)/);
    expect(text).not.toMatch(/Required scopes:\s*connections/);
    await page.getByText('View security details').click();
    for (const [scheme, header] of [
      ['ApiKeyAuth', 'X-API-Key'],
      ['FlowplateKeyAuth', 'X-Flowplate-Key'],
      ['HubKeyAuth', 'X-Aitronos-Hub-Key'],
    ] as const) {
      await page.getByRole('tab', { name: scheme, exact: true }).click();
      const row = page.getByText('Header parameter name:').locator('..');
      await expect.poll(async () => row.innerText(), { timeout: 30_000 }).toContain(header);
    }
    await page.keyboard.press('Escape');
    await page.getByText('Header parameter name:').waitFor({ state: 'hidden', timeout: 30_000 });
  });

  it('renders an error example: the 401 envelope', async () => {
    await page.getByRole('tab', { name: '401', exact: true }).last().click();
    const sample = page.locator('pre, code').filter({ hasText: '"code": "AUTHENTICATION_REQUIRED"' });
    await sample.first().waitFor({ timeout: 60_000 });
    expect(await sample.first().innerText()).toMatch(/"success": false/);
    await page.getByText('AUTHENTICATION_REQUIRED').last().scrollIntoViewIfNeeded();
    mkdirSync(artifacts, { recursive: true });
    // An artifact for people to look at, not a check.
    await page.screenshot({ path: path.join(artifacts, 'docs.png') });
  });

  it('shows the roles of the connection list: admin or connections, with any kind of key', async () => {
    await page.getByText('Connections', { exact: true }).first().click();
    await page.locator('a[href="#/connections/listconnections"]').first().click();
    await page.getByRole('heading', { name: "List a tool's connections in an organization" }).waitFor({ timeout: 20_000 });
    const text = await page.locator('body').innerText();
    for (const scheme of ['ApiKeyAuth', 'FlowplateKeyAuth', 'HubKeyAuth']) {
      expect(text).toMatch(new RegExp(`${scheme}\\s*\\(Required scopes:\\s*admin\\s*\\)`));
      expect(text).toMatch(new RegExp(`${scheme}\\s*\\(Required scopes:\\s*connections\\s*\\)`));
    }
  });

  it('can call the Aitronos mock from another origin (CORS)', async () => {
    // A page of another origin (the Composio mock's) calls the Aitronos mock, as a frontend would.
    const other = await browser.newPage();
    await other.goto(`${inject('composioMockUrl')}/healthz-page-of-another-origin`);
    const result = await other.evaluate(async (mock) => {
      const response = await fetch(`${mock}/v1/personal-connectors/admin/credentials/tcred_7Hq2LmX9pR4vN8sK3dWz`, {
        headers: { 'X-API-Key': 'any', Prefer: 'example=api_key' },
      });
      return { status: response.status, body: (await response.json()) as { connection_id: string } };
    }, inject('aitronosMockUrl'));
    await other.close();
    expect(result.status).toBe(200);
    expect(result.body.connection_id).toBe('ca_Sg8kEy2Wq4Zt');
  });
});

describe('the docs page under its Content-Security-Policy', () => {
  it('loads nothing the policy refuses: Redocly\'s logo is allowed, so no broken image', async () => {
    expect(cspViolations).toEqual([]);
    const policy = (await fetch(`${server.running.url}/docs`)).headers.get('content-security-policy') ?? '';
    // The "API docs by Redocly" badge: its image is on Redocly's CDN and only img-src allows it.
    expect(policy).toMatch(/img-src 'self' data: https:\/\/cdn\.redoc\.ly;/);
    expect(policy).toMatch(/default-src 'none'/);
    // Offline the image fails to load and Redoc removes it; online it shows. Never a broken image.
    const broken = await page.locator('img').evaluateAll((images) =>
      images.filter((img) => (img as HTMLImageElement).complete && (img as HTMLImageElement).naturalWidth === 0).map((img) => (img as HTMLImageElement).src),
    );
    expect(broken).toEqual([]);
  });
});

describe('the server list of /docs', () => {
  it('is plain text naming the README\'s commands: no Markdown (shown literally) and no pnpm', async () => {
    const spec = (await (await fetch(`${server.running.url}/openapi.json`)).json()) as { servers: Array<{ url: string; description?: string }> };
    for (const { description } of spec.servers) {
      expect(description).not.toMatch(/[`*_[\]]|pnpm/);
    }
    expect(await page.locator('body').innerText()).not.toContain('`');
  });
});

describe('the contract served by the server', () => {
  it('/openapi.json and /openapi.yaml need no key and are the bundled spec', async () => {
    const json = await fetch(`${server.running.url}/openapi.json`);
    expect(json.status).toBe(200);
    expect(((await json.json()) as { info: { title: string } }).info.title).toBe('Aitronos admin credentials API');
    const yaml = await fetch(`${server.running.url}/openapi.yaml`);
    expect(yaml.status).toBe(200);
    expect(yaml.headers.get('content-type')).toMatch(/yaml/);
    expect(await yaml.text()).toMatch(/^openapi: 3\.1\.0/m);
  });
});
