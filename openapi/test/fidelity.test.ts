/**
 * The hand-written Composio spec and the vendor's published schema agree:
 * every example of ours is valid under the vendor's schema, and payloads generated from the
 * vendor's schema (seeded, reproducible) are valid under ours.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  createSpecValidator,
  createVendorValidator,
  generateVendorPayloads,
  loadVendorReference,
  openapiBundlePath,
  repoRoot,
  vendorConnectedAccountSchema,
  vendorStateVariants,
} from '@connector-credentials/testkit';

const SEED = Number(process.env.FIDELITY_SEED ?? 20260122);
const COUNT = Number(process.env.FIDELITY_COUNT ?? 340);

const ours = createSpecValidator(openapiBundlePath('composio'));
const vendor = createVendorValidator();
const reference = loadVendorReference();

const okPath = '/api/v3/connected_accounts/{nanoid}';

/** SHA-256 of the vendor reference as published (January 2026): a changed copy must change this on purpose. */
const REFERENCE_SHA256 = '53a4042722ace6ba477a83d6bd3cd80a74cb5cbf23eef5daecb3238c52f371a6';

describe('vendor reference copy', () => {
  const copy = readFileSync(path.join(repoRoot, 'openapi', 'composio', 'reference', 'vendor-published.json'));

  it('is the published reference, byte for byte', () => {
    expect(createHash('sha256').update(copy).digest('hex')).toBe(REFERENCE_SHA256);
  });

  it('is byte-identical to the shared reference when that is present', () => {
    const shared = path.join(repoRoot, '..', 'shared', 'reference', 'composio-get-connected-account.vendor.json');
    // A clone without the team's shared folder is held to the digest above alone.
    const sharedDigest = existsSync(shared) ? createHash('sha256').update(readFileSync(shared)).digest('hex') : REFERENCE_SHA256;
    expect(sharedDigest).toBe(REFERENCE_SHA256);
  });
});

describe('structure', () => {
  const vendorBody = vendorConnectedAccountSchema(reference) as { required: string[]; properties: Record<string, { enum?: string[]; properties?: Record<string, { enum?: string[] }>; required?: string[] }> };
  const document = ours.document as { components: { schemas: Record<string, { required?: string[]; enum?: string[] }> } };
  const schemas = document.components.schemas;

  it('requires exactly the fields the vendor requires', () => {
    expect([...(schemas.ConnectedAccount!.required ?? [])].sort()).toEqual([...vendorBody.required].sort());
    expect([...(schemas.AuthConfig!.required ?? [])].sort()).toEqual([...(vendorBody.properties.auth_config!.required ?? [])].sort());
  });

  it('knows every status and auth scheme the vendor lists', () => {
    expect(schemas.KnownConnectionStatus!.enum).toEqual(expect.arrayContaining(vendorBody.properties.status!.enum!));
    expect(schemas.KnownAuthScheme!.enum).toEqual(
      expect.arrayContaining(vendorBody.properties.auth_config!.properties!.auth_scheme!.enum!),
    );
  });

  it('describes both the v3 and v3.1 paths with the same responses', () => {
    const paths = ours.document.paths as Record<string, { get: { responses: Record<string, unknown> } }>;
    const v3 = paths['/api/v3/connected_accounts/{nanoid}']!.get.responses;
    const v31 = paths['/api/v3.1/connected_accounts/{nanoid}']!.get.responses;
    expect(v31).toEqual(v3);
    const vendorResponses = Object.keys((reference.paths as Record<string, { get: { responses: object } }>)[okPath]!.get.responses);
    expect(Object.keys(v3)).toEqual(expect.arrayContaining(vendorResponses));
  });
});

describe('every example of ours is valid under the vendor schema', () => {
  const examples = ours.responseExamples().filter((e) => e.path === okPath);
  it('has the scenarios the server must handle', () => {
    const names = examples.filter((e) => e.status === '200').map((e) => e.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'oauth2_active',
        'oauth2_expired',
        'oauth1_active',
        'api_key',
        'basic',
        'bearer_token',
        'masked_secrets',
        'composio_managed_redacted',
        'initiated',
        'failed',
      ]),
    );
  });
  it.each(examples.map((e) => [`${e.status} ${e.name}`, e] as const))('%s', (_label, example) => {
    const result = example.status === '200' ? vendor.validateConnectedAccount(example.value) : vendor.validateError(example.value);
    expect(result.errors).toEqual([]);
    expect(ours.validateResponse('get', okPath, example.status, example.value).errors).toEqual([]);
  });
});

describe.each(['zod', 'literal'] as const)(`payloads generated from the vendor schema, %s reading of bare nullable (seed ${SEED})`, (reading) => {
  const payloads = generateVendorPayloads({ seed: SEED, count: COUNT, reading }, reference);
  const vendorValidator = createVendorValidator(reference, reading);

  it('are reproducible for a seed', () => {
    expect(generateVendorPayloads({ seed: SEED, count: 20, reading }, reference)).toEqual(payloads.slice(0, 20));
  });

  it('cover every (auth scheme, status) variant of the vendor schema', () => {
    const seen = new Set(
      payloads.map((p) => {
        const state = (p as { state: { authScheme: string; val: { status: string } } }).state;
        return `${state.authScheme}/${state.val.status}`;
      }),
    );
    const variants = vendorStateVariants(reference).map((v) => `${v.authScheme}/${v.status}`);
    expect(variants.length).toBeGreaterThan(60);
    expect([...seen].sort()).toEqual([...new Set(variants)].sort());
  });

  it(`all ${COUNT} are valid under the vendor schema and under ours`, () => {
    expect(payloads.length).toBeGreaterThanOrEqual(200);
    const failures: string[] = [];
    payloads.forEach((payload, index) => {
      const theirs = vendorValidator.validateConnectedAccount(payload);
      if (!theirs.valid) failures.push(`#${index} invalid under the vendor schema (generator fault): ${theirs.errors.join('; ')}`);
      const result = ours.validateResponse('get', okPath, 200, payload);
      if (!result.valid) failures.push(`#${index} ${JSON.stringify(payload).slice(0, 300)}\n  ${result.errors.slice(0, 5).join('\n  ')}`);
    });
    expect(failures).toEqual([]);
  });
});

describe('the bare nullable branches, read literally, admit any value', () => {
  const literal = createVendorValidator(reference, 'literal');
  const zod = createVendorValidator(reference, 'zod');
  const active = ours.responseExamples().find((e) => e.path === okPath && e.name === 'oauth2_active')!.value as {
    state: { val: Record<string, unknown> };
  };
  it.each([
    ['expires_in', { nullable: true }],
    ['expires_in', true],
    ['expires_in', [1, 2]],
    ['scope', { nullable: true }],
    ['scope', 42],
    ['scope', false],
  ])('%s = %j: valid under the literal reading and under ours, not under the zod reading', (field, value) => {
    const payload = structuredClone(active);
    payload.state.val[field] = value;
    expect(literal.validateConnectedAccount(payload).errors).toEqual([]);
    expect(zod.validateConnectedAccount(payload).valid).toBe(false);
    expect(ours.validateResponse('get', okPath, 200, payload).errors).toEqual([]);
  });
});

describe('vendor errors', () => {
  it('vendor error envelopes are valid under ours', () => {
    const errors = [
      { error: { message: 'x', code: 1, status: 404 } },
      { error: { message: 'x', code: 10404.5, status: 404, request_id: 'r', suggested_fix: 's', errors: [] } },
      { error: { message: '', code: -1, status: 500, slug: 'S', errors: ['a', 'b'] } },
    ];
    for (const body of errors) {
      expect(vendor.validateError(body).errors).toEqual([]);
      expect(ours.validateResponse('get', okPath, 404, body).errors).toEqual([]);
    }
  });
});
