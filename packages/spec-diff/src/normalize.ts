// Puts a bundled OpenAPI 3.x document into a form where a plain JSON diff says what changed:
// internal $refs resolved (a change to a shared schema shows where it is used), path-level
// parameters folded into each operation, parameters keyed by `in:name` instead of position, and
// `type`, `enum` and `required` turned into sets (`{ string: true }`), so that reordering them
// is no change and removing one member is one change.

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

function pointerGet(document: Json, pointer: string): Json | undefined {
  let node: Json | undefined = document;
  for (const raw of pointer.replace(/^#\/?/, '').split('/').filter(Boolean)) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    node = isObject(node) ? node[key] : Array.isArray(node) ? node[Number(key)] : undefined;
  }
  return node;
}

/** Resolves internal `$ref`s (siblings of a `$ref` win, as in 3.1); a cycle keeps its `$ref`. */
export function dereference(document: Json): Json {
  const walk = (node: Json, seen: readonly string[]): Json => {
    if (Array.isArray(node)) return node.map((item) => walk(item, seen));
    if (!isObject(node)) return node;
    const ref = node.$ref;
    if (typeof ref === 'string' && ref.startsWith('#')) {
      const target = pointerGet(document, ref);
      if (target === undefined || seen.includes(ref)) return node;
      const { $ref: _ref, ...siblings } = node;
      const resolved = walk(target, [...seen, ref]);
      return isObject(resolved) ? { ...resolved, ...walk(siblings, seen) as JsonObject } : resolved;
    }
    return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, walk(value, seen)]));
  };
  return walk(document, []);
}

const asSet = (values: Json[]): JsonObject => Object.fromEntries(values.map((v) => [typeof v === 'string' ? v : JSON.stringify(v), true]));

/** `type`, `enum` and `required` (of a schema) as sets, and OpenAPI 3.0's `nullable` as type `null`. */
function canonicalSchemas(node: Json, key?: string): Json {
  if (Array.isArray(node)) return node.map((item) => canonicalSchemas(item));
  if (!isObject(node)) return node;
  const out: JsonObject = {};
  for (const [k, value] of Object.entries(node)) {
    // Inside `properties` and `examples` the keys are names, not keywords.
    const named = key === 'properties' || key === 'examples' || key === 'example' || key === 'default' || key === 'const';
    if (!named && k === 'type' && (typeof value === 'string' || (Array.isArray(value) && value.every((t) => typeof t === 'string')))) {
      out.type = asSet(Array.isArray(value) ? value : [value]);
    } else if (!named && k === 'enum' && Array.isArray(value)) {
      out.enum = asSet(value);
    } else if (!named && k === 'required' && Array.isArray(value)) {
      out.required = asSet(value);
    } else if (k === 'example' || k === 'examples' || k === 'default' || k === 'const') {
      out[k] = value;
    } else {
      out[k] = canonicalSchemas(value, k);
    }
  }
  if (out.nullable === true && isObject(out.type)) {
    out.type = { ...out.type, null: true };
    delete out.nullable;
  }
  return out;
}

const parameterMap = (parameters: Json | undefined): JsonObject =>
  Object.fromEntries((Array.isArray(parameters) ? parameters : []).filter(isObject).map((p) => [`${String(p.in)}:${String(p.name)}`, p]));

/** The canonical form described above. Named components other than security schemes are dropped: they are seen where they are used. */
export function normalizeSpec(document: unknown): JsonObject {
  const resolved = dereference(document as Json);
  if (!isObject(resolved)) throw new TypeError('not an OpenAPI document');
  const paths: JsonObject = {};
  for (const [route, item] of Object.entries(isObject(resolved.paths) ? resolved.paths : {})) {
    if (!isObject(item)) continue;
    const shared = parameterMap(item.parameters);
    const outItem: JsonObject = {};
    for (const [k, value] of Object.entries(item)) {
      if (k === 'parameters') continue;
      if ((HTTP_METHODS as readonly string[]).includes(k) && isObject(value)) {
        outItem[k] = { ...value, parameters: { ...shared, ...parameterMap(value.parameters) } };
      } else {
        outItem[k] = value;
      }
    }
    paths[route] = outItem;
  }
  const { components, ...rest } = resolved;
  const out: JsonObject = { ...rest, paths };
  if (isObject(components) && components.securitySchemes !== undefined) out.components = { securitySchemes: components.securitySchemes };
  return canonicalSchemas(out) as JsonObject;
}
