import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { JSONSchemaFaker } from 'json-schema-faker';
import { xoroshiro128plus, type RandomGenerator } from 'pure-rand';
import { repoRoot } from './paths.ts';
import ajvFormats from 'ajv-formats';
import { formatErrors, type ValidationResult } from './spec-validator.ts';


type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Schema = { [key: string]: Json };

/**
 * The vendor's published schemas we keep (openapi/composio/reference/README.md): `january`, the
 * one GET with its per-scheme state union; `current`, the 2026 revision of every
 * connected-accounts operation, with a flattened state.
 */
export type VendorEdition = 'january' | 'current';

export const VENDOR_REFERENCES: Record<VendorEdition, { file: string; shared: string; sha256: string }> = {
  january: {
    file: 'vendor-published.json',
    shared: 'composio-get-connected-account.vendor.json',
    sha256: '53a4042722ace6ba477a83d6bd3cd80a74cb5cbf23eef5daecb3238c52f371a6',
  },
  current: {
    file: 'vendor-published-2026.json',
    shared: 'composio-connected-accounts.vendor.json',
    sha256: 'b97ddf9032571955387f1e9669380a7c29d2bacded0a42b35407e7716c1e912d',
  },
};

/** Path of a reference copy in the repository. */
export const vendorReferencePath = (edition: VendorEdition) => path.join(repoRoot, 'openapi', 'composio', 'reference', VENDOR_REFERENCES[edition].file);

/** A published OpenAPI 3.0 document of the vendor (test data). */
export function loadVendorReference(edition: VendorEdition = 'january'): Schema {
  return JSON.parse(readFileSync(vendorReferencePath(edition), 'utf8')) as Schema;
}

/**
 * How to read a bare `{nullable: true}` (no `type`) inside `anyOf`/`oneOf`:
 * - `zod`: as the vendor's generator meant it, `z.null()`: only null;
 * - `literal`: as OpenAPI 3.0.3 defines it (`nullable` has no effect without `type`): any value.
 * Elsewhere (additionalProperties, record values) it is `z.unknown()`, any value, either way.
 */
export type VendorReading = 'zod' | 'literal';

/** OpenAPI 3.0 schema -> JSON Schema draft-07. `nullable: true` beside a `type` adds null. */
function toJsonSchema(node: Json, reading: VendorReading, inUnion = false): Json {
  if (Array.isArray(node)) return node.map((item) => toJsonSchema(item, reading));
  if (node === null || typeof node !== 'object') return node;
  const out: Schema = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'nullable' || key === 'example' || key === 'deprecated' || key.startsWith('x-')) continue;
    if (key === 'anyOf' || key === 'oneOf') {
      out[key] = (value as Json[]).map((branch) => toJsonSchema(branch, reading, true));
    } else if (key === 'properties') {
      out[key] = Object.fromEntries(Object.entries(value as Schema).map(([name, s]) => [name, toJsonSchema(s, reading)]));
    } else {
      out[key] = toJsonSchema(value, reading);
    }
  }
  if (node.nullable === true) {
    if (typeof out.type === 'string') {
      out.type = [out.type, 'null'];
      if (Array.isArray(out.enum)) out.enum = [...out.enum, null];
    } else if (out.type === undefined && Object.keys(out).length === 0) {
      return inUnion && reading === 'zod' ? { type: 'null' } : {};
    }
  }
  return out;
}

function operation(reference: Schema): Schema {
  const paths = reference.paths as Schema;
  return (paths['/api/v3/connected_accounts/{nanoid}'] as Schema).get as Schema;
}

/** JSON Schema of the vendor's 200 body. */
export function vendorConnectedAccountSchema(reference = loadVendorReference(), reading: VendorReading = 'zod'): Schema {
  const responses = operation(reference).responses as Schema;
  const content = ((responses['200'] as Schema).content as Schema)['application/json'] as Schema;
  return toJsonSchema(content.schema as Json, reading) as Schema;
}

/** JSON Schema of the vendor's error envelope. */
export function vendorErrorSchema(reference = loadVendorReference()): Schema {
  return toJsonSchema(((reference.components as Schema).schemas as Schema).Error as Json, 'zod') as Schema;
}

export interface VendorStateVariant {
  authScheme: string;
  status: string;
  /** JSON Schema of the whole 200 body, with `state` narrowed to this scheme and status. */
  schema: Schema;
}

/**
 * One variant per (auth scheme, state status) pair the vendor's schema describes: the branches of
 * a state union (January), or every scheme with every status of a flattened state (2026).
 */
export function vendorStateVariants(reference = loadVendorReference(), reading: VendorReading = 'zod'): VendorStateVariant[] {
  const body = vendorConnectedAccountSchema(reference, reading);
  const properties = body.properties as Schema;
  const state = properties.state as { oneOf?: Schema[]; properties?: Schema };
  const variants: VendorStateVariant[] = [];
  if (!state.oneOf) {
    const stateProps = state.properties as Schema;
    const val = stateProps.val as Schema;
    const valProps = val.properties as Schema;
    for (const authScheme of (stateProps.authScheme as Schema).enum as string[]) {
      for (const status of (valProps.status as Schema).enum as string[]) {
        const narrowed: Schema = {
          ...state,
          properties: { ...stateProps, authScheme: { type: 'string', enum: [authScheme] }, val: { ...val, properties: { ...valProps, status: { type: 'string', enum: [status] } } } },
        };
        variants.push({ authScheme, status, schema: { ...body, properties: { ...properties, state: narrowed } } });
      }
    }
    return variants;
  }
  for (const branch of state.oneOf) {
    const branchProps = branch.properties as Schema;
    const authScheme = ((branchProps.authScheme as Schema).enum as string[])[0]!;
    for (const val of (branchProps.val as { oneOf: Schema[] }).oneOf) {
      const status = (((val.properties as Schema).status as Schema).enum as string[])[0]!;
      const narrowed: Schema = { ...branch, properties: { ...branchProps, val } };
      variants.push({ authScheme, status, schema: { ...body, properties: { ...properties, state: narrowed } } });
    }
  }
  return variants;
}

function newAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false });
  ajvFormats.default(ajv);
  // The vendor's own formats are names for ids, with no syntax published.
  ajv.addFormat('connectedAccountId', true);
  ajv.addFormat('authConfigId', true);
  return ajv;
}

/** Validators of the vendor's own schemas. */
export function createVendorValidator(reference = loadVendorReference(), reading: VendorReading = 'zod') {
  const ajv = newAjv();
  const account: ValidateFunction = ajv.compile(vendorConnectedAccountSchema(reference, reading));
  const error: ValidateFunction = ajv.compile(vendorErrorSchema(reference));
  const run = (validate: ValidateFunction, value: unknown): ValidationResult => {
    const valid = validate(value) as boolean;
    return { valid, errors: valid ? [] : formatErrors(validate.errors) };
  };
  return {
    validateConnectedAccount: (value: unknown) => run(account, value),
    validateError: (value: unknown) => run(error, value),
  };
}

function seededRandom(seed: number): () => number {
  let generator: RandomGenerator = xoroshiro128plus(seed);
  return () => {
    const [value, next] = generator.next();
    generator = next;
    return (value >>> 0) / 0x1_0000_0000;
  };
}

export interface GenerateOptions {
  seed: number;
  count: number;
  /** Probability that an optional property is generated. */
  optionalsProbability?: number;
  /** How to read the vendor's bare `{nullable: true}` branches; `zod` by default. */
  reading?: VendorReading;
}

/**
 * Payloads valid under the vendor's published schema, reproducible for a seed. Round-robin over
 * every (scheme, status) variant the vendor describes, so all are covered once `count` reaches
 * their number; optional properties and extra properties vary from payload to payload.
 */
export function generateVendorPayloads(options: GenerateOptions, reference = loadVendorReference()): unknown[] {
  const variants = vendorStateVariants(reference, options.reading ?? 'zod');
  const random = seededRandom(options.seed);
  const pick = (alphabet: string, length: number) =>
    Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
  const idAlphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  JSONSchemaFaker.format('connectedAccountId', () => `ca_${pick(idAlphabet, 12)}`);
  JSONSchemaFaker.format('authConfigId', () => `ac_${pick(idAlphabet, 12)}`);
  JSONSchemaFaker.option({
    random,
    alwaysFakeOptionals: false,
    optionalsProbability: options.optionalsProbability ?? 0.6,
    fillProperties: true,
    maxItems: 4,
    maxLength: 48,
    failOnInvalidTypes: true,
    failOnInvalidFormat: true,
  });
  const payloads: unknown[] = [];
  for (let index = 0; index < options.count; index += 1) {
    const variant = variants[index % variants.length]!;
    payloads.push(JSONSchemaFaker.generate(variant.schema as never));
  }
  return payloads;
}
