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
import { ApiError, createAitronosClient, type AitronosClient, type ErrorEnvelope } from '../src/index.js';

const spec = createSpecValidator(openapiBundlePath('aitronos'));
const PATH = '/v1/personal-connectors/admin/credentials/{credential_id}';
const CREDENTIAL = 'tcred_7Hq2LmX9pR4vN8sK3dWz';
const CONNECTION = 'ca_Xo9ADr3cBz1p';
const ORGANIZATION = 'org_4kQ9zT2mW8xR';
const MOCK = 'http://127.0.0.1:4011';

/** The request body example of an operation named like the scenario (`turned_on` sends `{ is_active: true }`), if the spec has one. */
function requestExample(operationId: string, name: string): unknown {
  for (const item of Object.values(spec.document.paths as Record<string, Record<string, { operationId?: string; requestBody?: { content?: Record<string, { examples?: Record<string, { value?: unknown }> }> } }>>)) {
    for (const op of Object.values(item)) {
      if (op?.operationId === operationId) return op.requestBody?.content?.['application/json']?.examples?.[name]?.value;
    }
  }
  return undefined;
}
const activeFor = (name: string) => (requestExample('setConnectionActive', name) as { is_active?: boolean } | undefined)?.is_active ?? false;

/** One sample call of each operation (for the scenario `name`): its request as curl arguments, and as a client call. */
const samples: Record<string, { method: string; path: string; body?: (name: string) => string; call: (options: string, name: string) => string; run: (client: AitronosClient, prefer: string, name: string) => Promise<unknown> }> = {
  getAdminCredentials: {
    method: 'get',
    path: `/v1/personal-connectors/admin/credentials/${CREDENTIAL}`,
    call: (o) => `getAdminCredentials('${CREDENTIAL}', ${o})`,
    run: (c, prefer) => c.getAdminCredentials(CREDENTIAL, { headers: { Prefer: prefer } }),
  },
  getAdminCredentialsByConnection: {
    method: 'get',
    path: `/v1/personal-connectors/admin/credentials/by-connection/${CONNECTION}`,
    call: (o) => `getAdminCredentialsByConnection('${CONNECTION}', ${o})`,
    run: (c, prefer) => c.getAdminCredentialsByConnection(CONNECTION, { headers: { Prefer: prefer } }),
  },
  registerCredential: {
    method: 'post',
    path: '/v1/personal-connectors/admin/credentials',
    body: () => `{"connection_id":"${CONNECTION}","organization_id":"${ORGANIZATION}"}`,
    call: (o) => `registerCredential({ connection_id: '${CONNECTION}', organization_id: '${ORGANIZATION}' }, ${o})`,
    run: (c, prefer) => c.registerCredential({ connection_id: CONNECTION, organization_id: ORGANIZATION }, { headers: { Prefer: prefer } }),
  },
  deleteCredential: {
    method: 'delete',
    path: `/v1/personal-connectors/admin/credentials/${CREDENTIAL}`,
    call: (o) => `deleteCredential('${CREDENTIAL}', ${o})`,
    run: (c, prefer) => c.deleteCredential(CREDENTIAL, { headers: { Prefer: prefer } }),
  },
  listConnections: {
    method: 'get',
    path: `/v1/personal-connectors/connections/googledrive?organization_id=${ORGANIZATION}`,
    call: (o) => `listConnections('googledrive', '${ORGANIZATION}', ${o})`,
    run: (c, prefer) => c.listConnections('googledrive', ORGANIZATION, { headers: { Prefer: prefer } }),
  },
  setConnectionActive: {
    method: 'patch',
    path: `/v1/personal-connectors/connections/${CREDENTIAL}/active`,
    body: (name) => JSON.stringify({ is_active: activeFor(name) }),
    call: (o, name) => `setConnectionActive('${CREDENTIAL}', ${activeFor(name)}, ${o})`,
    run: (c, prefer, name) => c.setConnectionActive(CREDENTIAL, activeFor(name), { headers: { Prefer: prefer } }),
  },
};

interface Operation {
  operationId: string;
  method: string;
  path: string;
  responses: Record<string, unknown>;
}
const operations: Operation[] = Object.entries(spec.document.paths as Record<string, Record<string, { operationId?: string; responses?: Record<string, unknown> }>>).flatMap(([path, item]) =>
  Object.entries(item)
    .filter(([, op]) => typeof op === 'object' && op !== null && typeof op.operationId === 'string')
    .map(([method, op]) => ({ operationId: op.operationId!, method, path, responses: op.responses ?? {} })),
);
/** Every named response example of every operation, with the operation it belongs to. */
const scenarios = operations.flatMap((op) =>
  spec
    .responseExamples()
    .filter((e) => e.path === op.path && e.method === op.method)
    .map((e) => ({ ...e, operation: op })),
);
const preferOf = (e: { status: string; name: string }) => (e.status.startsWith('2') ? `example=${e.name}` : `code=${e.status}, example=${e.name}`);
const curlOf = (op: Operation, prefer: string, name: string) => {
  const sample = samples[op.operationId]!;
  const method = sample.method === 'get' ? '' : ` -X ${sample.method.toUpperCase()}`;
  const body = sample.body ? ` -H 'Content-Type: application/json' -d '${sample.body(name)}'` : '';
  return `curl -s${method} -H 'X-API-Key: any' -H 'Prefer: ${prefer}'${body} '${MOCK}${sample.path}'`;
};

let mocks: MockServers;
beforeAll(async () => {
  mocks = await startMocks({
    specs: { aitronos: openapiBundlePath('aitronos'), composio: openapiBundlePath('composio') },
    ports: { aitronos: await freePort(), composio: await freePort() },
  });
});
afterAll(() => mocks.stop());

const client = () => createAitronosClient({ baseUrl: mocks.aitronos.url, apiKey: 'any-key', retry: { retries: 0 } });

describe('every operation', () => {
  it('has a sample call here', () => {
    expect(operations.map((op) => op.operationId).sort()).toEqual(Object.keys(samples).sort());
  });
});

describe('the Aitronos mock', () => {
  it.each(scenarios.map((e) => [e.operation.operationId, e.status, e.name, e] as const))('%s %s %s is reachable with Prefer, through the client, and valid', async (_id, status, name, e) => {
    const outcome = await samples[e.operation.operationId]!
      .run(client(), preferOf(e), e.name)
      .then((data) => ({ status: Number(status), body: data as unknown }), (error: ApiError<ErrorEnvelope>) => ({ status: error.status, body: error.envelope as unknown }));
    expect(outcome, name).toEqual({ status: Number(status), body: e.value });
    expect(spec.validateResponse(e.operation.method, e.operation.path, status, outcome.body).errors).toEqual([]);
  });

  it.each(operations.flatMap((op) => Object.keys(op.responses).map((status) => [op.operationId, status, op] as const)))(
    '%s: Prefer: code=%s answers that status with a spec-valid body',
    async (_id, status, op) => {
      const sample = samples[op.operationId]!;
      const response = await fetch(`${mocks.aitronos.url}${sample.path}`, {
        method: sample.method.toUpperCase(),
        headers: { 'X-API-Key': 'k', Prefer: `code=${status}`, ...(sample.body ? { 'Content-Type': 'application/json' } : {}) },
        ...(sample.body ? { body: sample.body('') } : {}),
      });
      expect(response.status).toBe(Number(status));
      if (status !== '204') expect(spec.validateResponse(op.method, op.path, status, await response.json()).errors).toEqual([]);
    },
  );

  it('Prefer: dynamic=true generates spec-valid credentials', async () => {
    for (let i = 0; i < 10; i += 1) {
      const data = await client().getAdminCredentials(CREDENTIAL, { headers: { Prefer: 'dynamic=true' } });
      expect(spec.validateResponse('get', PATH, 200, data).errors).toEqual([]);
    }
  });

  it('enforces security as the spec says: no key -> 401 AUTHENTICATION_REQUIRED', async () => {
    const error = await createAitronosClient({ baseUrl: mocks.aitronos.url }).getAdminCredentials(CREDENTIAL).catch((e: ApiError) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe('AUTHENTICATION_REQUIRED');
  });

  it('answers CORS preflights from another origin, with the key and Prefer headers allowed', async () => {
    const response = await fetch(`${mocks.aitronos.url}/v1/personal-connectors/admin/credentials/${CREDENTIAL}`, {
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
      '| operation | scenario | status | `Prefer` | curl | client |',
      '|---|---|---|---|---|---|',
      ...scenarios.map((e) => {
        const prefer = preferOf(e);
        const call = samples[e.operation.operationId]!.call(`{ headers: { Prefer: '${prefer}' } }`, e.name);
        return `| ${e.operation.operationId} | ${e.name} | ${e.status} | \`${prefer}\` | \`${curlOf(e.operation, prefer, e.name)}\` | \`${call}\` |`;
      }),
      '',
    ].join('\n');
    expect(block).toBe(expected);
  });

  it("its curl commands, run as written (on this run's port), answer as the table says", async () => {
    const { execFile } = await import('node:child_process');
    const { promisify } = await import('node:util');
    const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
    const rows = [...readme.matchAll(/^\| (\w+) \| (\w+) \| (\d{3}) \| `[^`]+` \| `(curl [^`]+)` \|/gm)];
    expect(rows.length).toBe(scenarios.length);
    for (const [, operationId, name, status, curl] of rows) {
      const command = curl!.replace(MOCK, mocks.aitronos.url).replace('curl -s', "curl -s -w '\\n%{http_code}'");
      const { stdout } = await promisify(execFile)('sh', ['-c', command]);
      const lines = stdout.trimEnd().split('\n');
      expect(lines.at(-1), `${operationId} ${name}`).toBe(status);
      const expected = scenarios.find((e) => e.operation.operationId === operationId && e.name === name && e.status === status)!;
      expect(JSON.parse(lines.slice(0, -1).join('\n'))).toEqual(expected.value);
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
    try {
      const until = Date.now() + 60_000;
      while (!output.includes('Stop with Ctrl-C.') && Date.now() < until && child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
      expect(output).toContain(`Aitronos admin credentials API mock: http://127.0.0.1:${ports.aitronos}`);
      expect(output).toContain(`Composio connected accounts API mock: http://127.0.0.1:${ports.composio}`);
      const response = await fetch(`http://127.0.0.1:${ports.aitronos}/v1/personal-connectors/admin/credentials/${CREDENTIAL}`, {
        headers: { 'X-API-Key': 'any', Prefer: 'example=masked_secrets' },
      });
      expect(((await response.json()) as { is_redacted: boolean }).is_redacted).toBe(true);
      child.kill('SIGINT');
      expect(await exited).toBe(0);
    } finally {
      // Also when an expectation failed: never leave the mocks running.
      if (child.exitCode === null) {
        child.kill('SIGINT');
        await exited;
      }
    }
    await expect(fetch(`http://127.0.0.1:${ports.aitronos}/`)).rejects.toThrow();
  });
});
