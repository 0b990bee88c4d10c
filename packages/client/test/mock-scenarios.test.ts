/**
 * The mocks frontend teams run (`pnpm mock`): every named example and every documented error of
 * the Aitronos spec is reachable with `Prefer`, through the generated client, and valid under the
 * spec. Examples are read from the spec, so a new one is covered without editing this test. The
 * README's scenario table is checked against the same list.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMocks, type MockServers } from '@connector-credentials/mocks';
import { createSpecValidator, freePort, openapiBundlePath, repoRoot } from '@connector-credentials/testkit';
import { ApiError, createAitronosClient, type ErrorEnvelope } from '../src/index.js';

const spec = createSpecValidator(openapiBundlePath('aitronos'));
const PATH = '/v1/personal-connectors/admin/credentials/{credential_id}';
const examples = spec.responseExamples().filter((e) => e.path === PATH);
const documentedStatuses = Object.keys(
  (spec.document.paths as Record<string, { get: { responses: Record<string, unknown> } }>)[PATH]!.get.responses,
);

let mocks: MockServers;
beforeAll(async () => {
  mocks = await startMocks({
    specs: { aitronos: openapiBundlePath('aitronos'), composio: openapiBundlePath('composio') },
    ports: { aitronos: await freePort(), composio: await freePort() },
  });
});
afterAll(() => mocks.stop());

const client = () => createAitronosClient({ baseUrl: mocks.aitronos.url, apiKey: 'any-key', retry: { retries: 0 } });

describe('the Aitronos mock', () => {
  it.each(examples.map((e) => [e.status, e.name, e.value] as const))('%s %s is reachable with Prefer and valid', async (status, name, value) => {
    const prefer = status === '200' ? `example=${name}` : `code=${status}, example=${name}`;
    const outcome = await client()
      .getAdminCredentials('ca_Xo9ADr3cBz1p', { headers: { Prefer: prefer } })
      .then((data) => ({ status: 200, body: data as unknown }), (error: ApiError<ErrorEnvelope>) => ({ status: error.status, body: error.envelope as unknown }));
    expect(outcome.status).toBe(Number(status));
    expect(outcome.body).toEqual(value);
    expect(spec.validateResponse('get', PATH, status, outcome.body).errors).toEqual([]);
  });

  it.each(documentedStatuses)('Prefer: code=%s answers that status with a spec-valid body', async (status) => {
    const response = await fetch(`${mocks.aitronos.url}/v1/personal-connectors/admin/credentials/ca_1`, {
      headers: { 'X-API-Key': 'k', Prefer: `code=${status}` },
    });
    expect(response.status).toBe(Number(status));
    expect(spec.validateResponse('get', PATH, status, await response.json()).errors).toEqual([]);
  });

  it('Prefer: dynamic=true generates spec-valid credentials', async () => {
    for (let i = 0; i < 10; i += 1) {
      const data = await client().getAdminCredentials(`ca_${i}`, { headers: { Prefer: 'dynamic=true' } });
      expect(spec.validateResponse('get', PATH, 200, data).errors).toEqual([]);
    }
  });

  it('enforces security as the spec says: no key -> 401 AUTHENTICATION_REQUIRED', async () => {
    const error = await createAitronosClient({ baseUrl: mocks.aitronos.url }).getAdminCredentials('ca_1').catch((e: ApiError) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe('AUTHENTICATION_REQUIRED');
  });

  it('answers CORS preflights from another origin, with the key and Prefer headers allowed', async () => {
    const response = await fetch(`${mocks.aitronos.url}/v1/personal-connectors/admin/credentials/ca_1`, {
      method: 'OPTIONS',
      headers: { Origin: 'http://localhost:5173', 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'x-api-key,prefer' },
    });
    expect(response.status).toBeLessThan(300);
    expect(response.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(response.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('x-api-key');
  });

  it('serves the Composio spec too', async () => {
    const response = await fetch(`${mocks.composio.url}/api/v3.1/connected_accounts/ca_1`, { headers: { 'x-api-key': 'k', Prefer: 'example=bearer_token' } });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { state: { authScheme: string } }).state.authScheme).toBe('BEARER_TOKEN');
  });
});

describe("the README's scenario table", () => {
  it('lists exactly the spec scenarios, with a curl and a client call each', () => {
    const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
    const block = /<!-- scenarios:start -->\n([\s\S]*?)<!-- scenarios:end -->/.exec(readme)?.[1] ?? '';
    const expected = [
      '| scenario | status | `Prefer` | curl | client |',
      '|---|---|---|---|---|',
      ...examples.map((e) => {
        const prefer = e.status === '200' ? `example=${e.name}` : `code=${e.status}, example=${e.name}`;
        const curl = `curl -s -H 'X-API-Key: any' -H 'Prefer: ${prefer}' http://127.0.0.1:4011/v1/personal-connectors/admin/credentials/ca_1`;
        const call = `getAdminCredentials('ca_1', { headers: { Prefer: '${prefer}' } })`;
        return `| ${e.name} | ${e.status} | \`${prefer}\` | \`${curl}\` | \`${call}\` |`;
      }),
      '',
    ].join('\n');
    expect(block).toBe(expected);
  });

  it("its curl commands, run as written (on this run's port), answer as the table says", async () => {
    const { execFile } = await import('node:child_process');
    const { promisify } = await import('node:util');
    const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
    const rows = [...readme.matchAll(/^\| (\w+) \| (\d{3}) \| `[^`]+` \| `(curl [^`]+)` \|/gm)];
    expect(rows.length).toBe(examples.length);
    for (const [, name, status, curl] of rows) {
      const command = curl!.replace('http://127.0.0.1:4011', mocks.aitronos.url).replace('curl -s', "curl -s -w '\\n%{http_code}'");
      const { stdout } = await promisify(execFile)('sh', ['-c', command]);
      const lines = stdout.trimEnd().split('\n');
      expect(lines.at(-1), `${name}`).toBe(status);
      expect(JSON.parse(lines.slice(0, -1).join('\n'))).toEqual(examples.find((e) => e.name === name && e.status === status)!.value);
    }
  });
});

describe('the `npm run mock` command', () => {
  it('starts both mocks on the ports it is given, prints what it serves, and stops on SIGINT', async () => {
    const { spawn } = await import('node:child_process');
    const ports = { aitronos: await freePort(), composio: await freePort() };
    const child = spawn(process.execPath, [path.join(repoRoot, 'packages/devtools/mock.mjs')], {
      env: { ...process.env, MOCK_SKIP_BUILD: '1', MOCK_AITRONOS_PORT: String(ports.aitronos), MOCK_COMPOSIO_PORT: String(ports.composio) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const until = Date.now() + 60_000;
    while (!output.includes('Stop with Ctrl-C.') && Date.now() < until && child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
    expect(output).toContain(`Aitronos admin credentials API mock: http://127.0.0.1:${ports.aitronos}`);
    expect(output).toContain(`Composio connected accounts API mock: http://127.0.0.1:${ports.composio}`);
    const response = await fetch(`http://127.0.0.1:${ports.aitronos}/v1/personal-connectors/admin/credentials/ca_1`, {
      headers: { 'X-API-Key': 'any', Prefer: 'example=masked_secrets' },
    });
    expect(((await response.json()) as { is_redacted: boolean }).is_redacted).toBe(true);
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    await expect(fetch(`http://127.0.0.1:${ports.aitronos}/`)).rejects.toThrow();
  });
});
