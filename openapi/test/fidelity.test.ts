/**
 * The hand-written Composio spec and the vendor's published schemas (the January 2026 copy of the
 * one GET, and the 2026 revision of every connected-accounts operation) agree: every example of
 * ours is valid under the schema it belongs to, and payloads generated from each schema (seeded,
 * reproducible, thousands) are valid under ours.
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
  sized,
  repoRoot,
  vendorConnectedAccountSchema,
  vendorReferencePath,
  vendorStateVariants,
  VENDOR_REFERENCES,
  type VendorEdition,
} from '@connector-credentials/testkit';

const SEED = Number(process.env.FIDELITY_SEED ?? 20260122);
const COUNT = sized('FIDELITY_COUNT', { suite: 200, full: 600 });
const EDITIONS = ['january', 'current'] as const satisfies readonly VendorEdition[];

const ours = createSpecValidator(openapiBundlePath('composio'));
const references = { january: loadVendorReference('january'), current: loadVendorReference('current') };
const vendors = { january: createVendorValidator(references.january), current: createVendorValidator(references.current) };
const reference = references.january;

const okPath = '/api/v3/connected_accounts/{nanoid}';
/** Examples that show what only the 2026 vendor sends (REVOKED, S2S_OAUTH2): not valid under the January schema. */
const ONLY_CURRENT = new Set(['revoked', 's2s_oauth2']);
/** Fields the 2026 schema requires that the January one does not: optional in ours, as January payloads lack them. */
const REQUIRED_SINCE_2026 = ['alias', 'word_id'];

describe.each(EDITIONS)('vendor reference copy (%s)', (edition) => {
  const { sha256, shared } = VENDOR_REFERENCES[edition];
  const copy = readFileSync(vendorReferencePath(edition));

  it('is the published reference, byte for byte', () => {
    expect(createHash('sha256').update(copy).digest('hex')).toBe(sha256);
  });

  it('is byte-identical to the shared reference when that is present', () => {
    const file = path.join(repoRoot, '..', 'shared', 'reference', shared);
    // A clone without the team's shared folder is held to the digest above alone.
    const sharedDigest = existsSync(file) ? createHash('sha256').update(readFileSync(file)).digest('hex') : sha256;
    expect(sharedDigest).toBe(sha256);
  });
});

describe('structure', () => {
  type Body = { required: string[]; properties: Record<string, { enum?: string[]; properties?: Record<string, { enum?: string[] }>; required?: string[] }> };
  const january = vendorConnectedAccountSchema(references.january) as Body;
  const current = vendorConnectedAccountSchema(references.current) as Body;
  const document = ours.document as { components: { schemas: Record<string, { required?: string[]; enum?: string[] }> } };
  const schemas = document.components.schemas;

  it('requires exactly the fields the January schema requires, and the 2026 schema adds only word_id and alias', () => {
    expect([...(schemas.ConnectedAccount!.required ?? [])].sort()).toEqual([...january.required].sort());
    expect(current.required.filter((f) => !january.required.includes(f)).sort()).toEqual(REQUIRED_SINCE_2026);
    expect([...(schemas.AuthConfig!.required ?? [])].sort()).toEqual([...(january.properties.auth_config!.required ?? [])].sort());
  });

  it.each(EDITIONS)('knows every status and auth scheme the %s schema lists', (edition) => {
    const body = edition === 'january' ? january : current;
    expect(schemas.KnownConnectionStatus!.enum).toEqual(expect.arrayContaining(body.properties.status!.enum!));
    expect(schemas.KnownAuthScheme!.enum).toEqual(expect.arrayContaining(body.properties.auth_config!.properties!.auth_scheme!.enum!));
  });

  it('describes both the v3 and v3.1 paths with the same responses, and the list operation', () => {
    const paths = ours.document.paths as Record<string, { get: { responses: Record<string, unknown> } }>;
    const v3 = paths['/api/v3/connected_accounts/{nanoid}']!.get.responses;
    const v31 = paths['/api/v3.1/connected_accounts/{nanoid}']!.get.responses;
    expect(v31).toEqual(v3);
    for (const edition of EDITIONS) {
      const vendorResponses = Object.keys((references[edition].paths as Record<string, { get: { responses: object } }>)[okPath]!.get.responses);
      expect(Object.keys(v3)).toEqual(expect.arrayContaining(vendorResponses));
    }
    const list = (references.current.paths as Record<string, { get: { responses: object; parameters: Array<{ name: string }> } }>)['/api/v3/connected_accounts']!.get;
    const ourList = (ours.document.paths as Record<string, { get: { responses: object; parameters: Array<{ name: string }> } }>)['/api/v3/connected_accounts']!.get;
    expect(Object.keys(ourList.responses)).toEqual(expect.arrayContaining(Object.keys(list.responses)));
    expect(ourList.parameters.map((p) => p.name).sort()).toEqual(list.parameters.map((p) => p.name).sort());
  });
});

describe('every example of ours is valid under the vendor schemas', () => {
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
        'revoked',
        's2s_oauth2',
      ]),
    );
  });
  const cases = examples.flatMap((e) =>
    EDITIONS.filter((edition) => edition === 'current' || !ONLY_CURRENT.has(e.name)).map((edition) => [`${e.status} ${e.name} (${edition})`, edition, e] as const),
  );
  it.each(cases)('%s', (_label, edition, example) => {
    const vendor = vendors[edition];
    // The bare-message 429 body is not the vendor's envelope: ours accepts it (it is what arrives).
    if (example.name !== 'rate_limited_message') {
      const result = example.status === '200' ? vendor.validateConnectedAccount(example.value) : vendor.validateError(example.value);
      expect(result.errors).toEqual([]);
    }
    expect(ours.validateResponse('get', okPath, example.status, example.value).errors).toEqual([]);
  });
  it.each([...ONLY_CURRENT])('%s shows what only the 2026 vendor sends: invalid under the January schema', (name) => {
    expect(vendors.january.validateConnectedAccount(examples.find((e) => e.name === name)!.value).valid).toBe(false);
  });
});

const generated = EDITIONS.flatMap((edition) => (['zod', 'literal'] as const).map((reading) => [edition, reading] as const));
describe.each(generated)(`payloads generated from the %s vendor schema, %s reading of bare nullable (seed ${SEED})`, (edition, reading) => {
  const payloads = generateVendorPayloads({ seed: SEED, count: COUNT, reading }, references[edition]);
  const vendorValidator = createVendorValidator(references[edition], reading);

  it('are reproducible for a seed', () => {
    expect(generateVendorPayloads({ seed: SEED, count: 20, reading }, references[edition])).toEqual(payloads.slice(0, 20));
  });

  it('cover every (auth scheme, status) variant of the vendor schema', () => {
    const seen = new Set(
      payloads.map((p) => {
        const state = (p as { state: { authScheme: string; val: { status: string } } }).state;
        return `${state.authScheme}/${state.val.status}`;
      }),
    );
    const variants = vendorStateVariants(references[edition]).map((v) => `${v.authScheme}/${v.status}`);
    expect(variants.length).toBeGreaterThan(60);
    expect([...seen].sort()).toEqual([...new Set(variants)].sort());
  });

  it(`all ${COUNT} are valid under the vendor schema and under ours`, () => {
    expect(payloads).toHaveLength(COUNT);
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
      expect(vendors.january.validateError(body).errors).toEqual([]);
      expect(ours.validateResponse('get', okPath, 404, body).errors).toEqual([]);
    }
  });

  it('the 2026 envelope requires slug; ours accepts it with and without', () => {
    const current = { error: { message: 'Connected account not found', code: 1404, slug: 'ConnectedAccount_NotFound', status: 404, request_id: 'r' } };
    expect(vendors.current.validateError(current).errors).toEqual([]);
    expect(vendors.current.validateError({ error: { message: 'x', code: 1, status: 404 } }).valid).toBe(false);
    expect(ours.validateResponse('get', okPath, 404, current).errors).toEqual([]);
  });

  it('a rate-limited answer may be a bare message, with Retry-After', () => {
    expect(ours.validateResponse('get', okPath, 429, { message: 'Rate limit exceeded. Retry after 60 seconds.' }).errors).toEqual([]);
  });
});
