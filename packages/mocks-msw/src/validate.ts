// Request validation against the spec, as Prism's mock does it (`--errors`): path, query and
// header parameters (coerced from their strings to the schema's types) and the JSON body. The
// violations are reported the way Prism reports them: its `sl-violations` header entries.
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import ajvFormats from 'ajv-formats';
import { resolve, type OpenApiDocument, type Operation } from './spec.js';

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: unknown;
  style?: string;
  explode?: boolean;
}

interface RequestBody {
  required?: boolean;
  content?: Record<string, { schema?: unknown }>;
}

/** One violation, as Prism lists it in its `sl-violations` header. */
export interface Violation {
  location: string[];
  severity: 'Error';
  code: string;
  message: string;
}

interface Validators {
  /** Parameters: strings coerced to the schema's types, a lone value to an array. */
  parameters: Ajv2020;
  body: Ajv2020;
  compiled: Map<string, ValidateFunction>;
}

const ID = 'https://spec.invalid/bundle';
const validators = new WeakMap<OpenApiDocument, Validators>();

function ajvFor(spec: OpenApiDocument, coerce: boolean): Ajv2020 {
  // Not strict: the document is an OpenAPI description (`example`, `x-…`), not only a schema.
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false, ...(coerce ? { coerceTypes: 'array' as const } : {}) });
  // ajv-formats is CommonJS: its plugin is the module itself or its `default`, depending on the bundler.
  const plugin = ((ajvFormats as unknown as { default?: unknown }).default ?? ajvFormats) as (ajv: Ajv2020) => void;
  plugin(ajv);
  ajv.addSchema({ ...spec, $id: ID }, undefined, undefined, false);
  return ajv;
}

function validatorsOf(spec: OpenApiDocument): Validators {
  let v = validators.get(spec);
  if (!v) {
    v = { parameters: ajvFor(spec, true), body: ajvFor(spec, false), compiled: new Map() };
    validators.set(spec, v);
  }
  return v;
}

/** A validator of `schema` (a node of the spec, so its `$ref`s resolve), wrapped in `{ value }` when coercing. */
function compile(spec: OpenApiDocument, key: string, schema: unknown, kind: 'parameters' | 'body'): ValidateFunction {
  const v = validatorsOf(spec);
  const cacheKey = `${kind}:${key}`;
  let validate = v.compiled.get(cacheKey);
  if (!validate) {
    const local = rebase(schema);
    validate = kind === 'parameters' ? v.parameters.compile({ type: 'object', properties: { value: local } }) : v.body.compile(local as object);
    v.compiled.set(cacheKey, validate);
  }
  return validate;
}

/** Makes the spec's local `$ref`s (`#/components/…`) point into the registered document. */
function rebase(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(rebase);
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node).map(([key, value]) => [key, key === '$ref' && typeof value === 'string' && value.startsWith('#') ? `${ID}${value}` : rebase(value)]),
  );
}

const where = { path: 'path', query: 'query', header: 'header', cookie: 'cookie' } as const;

function describe(error: ErrorObject, prefix: string): string {
  const at = error.instancePath.replace(/^\/value/, '').replace(/^\//, '').replace(/\//g, '.');
  return `${prefix}${at ? `.${at}` : ''} ${error.message ?? error.keyword}`;
}

/** The operation's parameters: the path item's, overridden by the operation's own (by name and place). */
export function parametersOf(spec: OpenApiDocument, pathItem: Record<string, unknown>, operation: Operation): Parameter[] {
  const byKey = new Map<string, Parameter>();
  for (const raw of [...((pathItem.parameters as unknown[]) ?? []), ...(((operation as { parameters?: unknown[] }).parameters) ?? [])]) {
    const parameter = resolve<Parameter>(spec, raw);
    if (parameter?.name) byKey.set(`${parameter.in}:${parameter.name.toLowerCase()}`, parameter);
  }
  return [...byKey.values()];
}

function rawValue(parameter: Parameter, request: Request, url: URL, params: Record<string, string | readonly string[] | undefined>): unknown {
  switch (parameter.in) {
    case 'path': {
      const value = params[parameter.name];
      return value; // MSW has decoded it
    }
    case 'query': {
      const values = url.searchParams.getAll(parameter.name);
      if (values.length === 0) return undefined;
      const schema = parameter.schema as { type?: unknown } | undefined;
      if (schema?.type === 'array' && parameter.explode === false) return values.flatMap((v) => v.split(','));
      return values.length === 1 ? values[0] : values;
    }
    case 'header':
      return request.headers.get(parameter.name) ?? undefined;
    case 'cookie': {
      const pair = (request.headers.get('cookie') ?? '').split(/;\s*/).find((c) => c.startsWith(`${parameter.name}=`));
      return pair?.slice(parameter.name.length + 1);
    }
  }
}

/** What is wrong with a request under the spec; empty when it is valid. */
export async function violationsOf(
  spec: OpenApiDocument,
  path: string,
  method: string,
  operation: Operation,
  request: Request,
  params: Record<string, string | readonly string[] | undefined>,
): Promise<Violation[]> {
  const violations: Violation[] = [];
  const url = new URL(request.url);
  const pathItem = spec.paths[path] ?? {};
  for (const parameter of parametersOf(spec, pathItem, operation)) {
    const value = rawValue(parameter, request, url, params);
    const location = ['request', where[parameter.in], parameter.name];
    const prefix = `Request ${parameter.in} parameter ${parameter.name}`;
    if (value === undefined || value === '') {
      if (parameter.required || parameter.in === 'path') {
        // Prism names the place, not the parameter, for a missing one (the message names it).
        violations.push({ location: ['request', where[parameter.in]], severity: 'Error', code: 'required', message: `${prefix} is required` });
      }
      continue;
    }
    if (parameter.schema === undefined) continue;
    const validate = compile(spec, `${method} ${path} ${parameter.in} ${parameter.name}`, parameter.schema, 'parameters');
    if (!validate({ value })) {
      for (const error of validate.errors ?? []) violations.push({ location, severity: 'Error', code: error.keyword, message: describe(error, prefix) });
    }
  }

  const body = resolve<RequestBody | undefined>(spec, (operation as { requestBody?: unknown }).requestBody);
  const schema = body?.content?.['application/json']?.schema;
  // A body of a media type the operation does not take: Prism's 415, before its content is read.
  const mediaType = (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (body?.content && mediaType !== '' && !Object.keys(body.content).some((type) => type.toLowerCase() === mediaType)) {
    return [{ location: ['request'], severity: 'Error', code: '415', message: `Supported content types: ${Object.keys(body.content).join(',')}` }];
  }
  if (body && schema !== undefined) {
    const text = await request.clone().text();
    if (text === '') {
      if (body.required) violations.push({ location: ['request', 'body'], severity: 'Error', code: 'required', message: 'Request body is required' });
    } else {
      let data: unknown;
      try {
        data = JSON.parse(text);
      } catch {
        violations.push({ location: ['request', 'body'], severity: 'Error', code: 'type', message: 'Request body is not valid JSON' });
        return violations;
      }
      const validate = compile(spec, `${method} ${path} body`, schema, 'body');
      if (!validate(data)) {
        for (const error of validate.errors ?? []) {
          violations.push({ location: ['request', 'body', ...error.instancePath.split('/').filter(Boolean)], severity: 'Error', code: error.keyword, message: describe(error, 'Request body') });
        }
      }
    }
  }
  return violations;
}
