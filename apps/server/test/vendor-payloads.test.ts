/**
 * The property that matters most: for every payload valid under either of the vendor's published
 * schemas (January 2026, and the 2026 revision with its flattened state), the endpoint answers 200
 * with a body valid under the Aitronos spec. Through the real HTTP path:
 * a loopback stand-in for Composio serves each generated payload, the server (response validation
 * on) maps it, the generated client reads it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSpecValidator,
  createVendorValidator,
  generateVendorPayloads,
  loadVendorReference,
  openapiBundlePath,
  sized,
  startLoopbackServer,
  startPrism,
  repoRoot,
  type LoopbackServer,
  type PrismProcess,
} from '@connector-credentials/testkit';
import path from 'node:path';
import { startTestServer, type TestServer } from './helpers.js';

const SEED = Number(process.env.PROPERTY_SEED ?? 424242);
const COUNT = sized('PROPERTY_COUNT', { suite: 40, full: 500 });
/** Requests to the vendor reference's dynamic Prism mock (each answer generated anew). */
const MOCK_REQUESTS = sized('VENDOR_MOCK_REQUESTS', { suite: 100, full: 300 });
const aitronos = createSpecValidator(openapiBundlePath('aitronos'));
const PATH = '/v1/personal-connectors/admin/credentials/by-connection/{connection_id}';

const cases = (['january', 'current'] as const).flatMap((edition) => (['zod', 'literal'] as const).map((reading) => [edition, reading] as const));
/** Each case's payloads, by the case's index: connection `c<case>p<index>` is served payload <index> of case <case>. */
const payloadsOf: unknown[][] = [];

// One stand-in and one server for every case: the connection id names the case and the payload.
let upstream: LoopbackServer;
let server: TestServer;
beforeAll(async () => {
  upstream = await startLoopbackServer();
  upstream.handle((req, res) => {
    const [, which, index] = /\/c(\d+)p(\d+)$/.exec(req.url ?? '') ?? [];
    const payload = payloadsOf[Number(which)]?.[Number(index)];
    if (payload === undefined) return res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"nf","code":404,"status":404}}');
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
  });
  server = await startTestServer({ composioBaseUrl: upstream.url });
});
afterAll(async () => {
  await server.close();
  await upstream.close();
});

describe.each(cases.map(([edition, reading], which) => [edition, reading, which] as const))(
  `${COUNT} payloads generated from the %s vendor schema (%s reading, seed ${SEED}), through HTTP`,
  (edition, reading, which) => {
    const reference = loadVendorReference(edition);
    const payloads = generateVendorPayloads({ seed: SEED, count: COUNT, reading }, reference);
    payloadsOf[which] = payloads;

    it('every one is answered 200 with a body valid under the Aitronos spec', async () => {
      expect(payloads).toHaveLength(COUNT);
      const vendor = createVendorValidator(reference, reading);
      const failures: string[] = [];
      for (let index = 0; index < payloads.length; index += 1) {
        expect(vendor.validateConnectedAccount(payloads[index]).errors).toEqual([]);
        const response = await fetch(`${server.running.url}/v1/personal-connectors/admin/credentials/by-connection/c${which}p${index}`, {
          headers: { 'X-API-Key': 'test-admin-api-key-6f1c9a' },
        });
        const body: unknown = await response.json();
        const check = aitronos.validateResponse('get', PATH, 200, body);
        if (response.status !== 200 || !check.valid) {
          failures.push(`#${index} -> ${response.status} ${JSON.stringify(body).slice(0, 300)} ${check.errors.slice(0, 3).join('; ')}`);
        }
      }
      expect(failures).toEqual([]);
    });
  },
);

describe('a Prism mock of the vendor reference in dynamic mode', () => {
  let vendorMock: PrismProcess;
  let mocked: TestServer;
  beforeAll(async () => {
    vendorMock = await startPrism({
      spec: path.join(repoRoot, 'openapi', 'composio', 'reference', 'vendor-published.json'),
      dynamic: true,
      errors: false,
    });
    mocked = await startTestServer({ composioBaseUrl: vendorMock.url });
  });
  afterAll(async () => {
    await mocked.close();
    await vendorMock.stop();
  });

  it(`${MOCK_REQUESTS} requests give only 200s with spec-valid bodies`, async () => {
    const failures: string[] = [];
    for (let i = 0; i < MOCK_REQUESTS; i += 1) {
      const response = await fetch(`${mocked.running.url}/v1/personal-connectors/admin/credentials/by-connection/ca_dynamic${i}`, {
        headers: { 'X-API-Key': 'test-admin-api-key-6f1c9a' },
      });
      const body: unknown = await response.json();
      const check = aitronos.validateResponse('get', PATH, 200, body);
      if (response.status !== 200 || !check.valid) failures.push(`#${i} -> ${response.status} ${JSON.stringify(body).slice(0, 400)}`);
    }
    expect(failures).toEqual([]);
  });
});
