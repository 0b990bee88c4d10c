import diff, { type Difference } from 'microdiff';
import { HTTP_METHODS, normalizeSpec } from './normalize.js';

/** How a change affects the API's existing users. */
export type ChangeKind = 'breaking' | 'non-breaking' | 'annotation';

export interface SpecChange {
  kind: ChangeKind;
  /** What changed and where, in words: `GET /x response 200 application/json: field \`a\` removed`. */
  description: string;
  /** JSON pointer of the change in the normalized document (see normalize.ts). */
  pointer: string;
}

type Verb = 'added' | 'removed' | 'changed';
type Path = readonly (string | number)[];
type Direction = 'request' | 'response';

const verbOf = (d: Difference): Verb => (d.type === 'CREATE' ? 'added' : d.type === 'REMOVE' ? 'removed' : 'changed');
const pointerOf = (path: Path) => `/${path.map((p) => String(p).replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`;

/** Keywords for people and tools, not for clients: changing them never breaks a caller. */
const ANNOTATIONS = new Set(['description', 'summary', 'title', 'example', 'examples', 'externalDocs', '$comment', 'xml', 'tags', 'operationId', 'links', 'contact', 'license', 'termsOfService']);
const isAnnotation = (key: string | number) => ANNOTATIONS.has(String(key)) || String(key).startsWith('x-');

// Keys under which the next key is a name, not a keyword.
const NAMED = new Set(['paths', 'securitySchemes', 'properties', 'patternProperties', '$defs', 'dependentSchemas', 'examples', 'content', 'headers', 'responses', 'parameters', 'encoding']);

/** The keywords of a path (names and set members left out), to find annotations and the changed keyword. */
function keywordsOf(path: Path): string[] {
  const keywords: string[] = [];
  for (let i = 0; i < path.length; i += 1) {
    const previous = keywords.length > 0 ? String(path[i - 1]) : undefined;
    const key = path[i]!;
    if (typeof key === 'number') continue;
    if (previous !== undefined && (NAMED.has(previous) || previous === 'type' || previous === 'enum' || previous === 'required') && path[i - 1] === keywords[keywords.length - 1]) continue;
    keywords.push(key);
  }
  return keywords;
}

/** `credentials.access_token` for a schema path through `properties` and `items`. */
function fieldOf(schemaPath: Path): string {
  const names: string[] = [];
  for (let i = 0; i < schemaPath.length; i += 1) {
    if (schemaPath[i] === 'properties' && schemaPath[i + 1] !== undefined) names.push(String(schemaPath[(i += 1)]));
    else if (schemaPath[i] === 'items') names.push('[]');
  }
  return names.join('.').replace(/\.\[\]/g, '[]');
}

/**
 * A change inside a schema. Requests and responses are mirror images: a client must send what a
 * request schema accepts and must read whatever a response schema allows, and its generated types
 * follow both. Narrowing what a request accepts breaks senders; in a response, a field removed or
 * no longer required, a type or enum value removed (generated unions shrink, code comparing with
 * the removed value stops compiling), or a type added (a reader meets values it never expected)
 * breaks readers. A new enum value in a response is not breaking: clients of an evolving API must
 * tolerate unknown values (this project's enums are open for that reason).
 */
function classifySchema(direction: Direction, schemaPath: Path, d: Difference): { kind: ChangeKind; what: string } {
  const verb = verbOf(d);
  const keywords = keywordsOf(schemaPath);
  const field = fieldOf(schemaPath);
  const of = field ? ` of \`${field}\`` : '';
  const from = field ? ` ${verb === 'added' ? 'to' : 'from'} \`${field}\`` : '';
  if (keywords.some(isAnnotation)) return { kind: 'annotation', what: `${keywords.findLast(isAnnotation)}${of} ${verb}` };
  if (keywords.includes('deprecated')) return { kind: 'non-breaking', what: `deprecation${of} ${verb}` };
  const last = schemaPath[schemaPath.length - 1];
  const parent = schemaPath[schemaPath.length - 2];
  const request = direction === 'request';
  if (parent === 'properties' && verb !== 'changed') {
    const kind: ChangeKind = verb === 'added' ? 'non-breaking' : 'breaking';
    return { kind, what: `field \`${field}\` ${verb}` };
  }
  if (parent === 'required' && verb !== 'changed') {
    const name = `${field ? `${field}.` : ''}${String(last)}`;
    if (verb === 'added') return { kind: request ? 'breaking' : 'non-breaking', what: `\`${name}\` now required` };
    return { kind: request ? 'non-breaking' : 'breaking', what: `\`${name}\` no longer required` };
  }
  if (parent === 'type' && verb !== 'changed') {
    const kind: ChangeKind = verb === 'removed' || !request ? 'breaking' : 'non-breaking';
    return { kind, what: `type \`${String(last)}\` ${verb}${from}` };
  }
  if (parent === 'enum' && verb !== 'changed') {
    return { kind: verb === 'removed' ? 'breaking' : 'non-breaking', what: `enum value ${String(last)} ${verb}${from}` };
  }
  const keyword = keywords[keywords.length - 1] ?? 'schema';
  if (['anyOf', 'oneOf', 'allOf', 'not', '$ref'].includes(keyword)) return { kind: 'breaking', what: `\`${keyword}\`${of} ${verb} (composition changes are assumed breaking)` };
  // Any other keyword is a constraint (maxLength, pattern, format, items, additionalProperties, …):
  // a new or changed one narrows what a request accepts; a response's constraints are the server's.
  if (request) return { kind: verb === 'removed' ? 'non-breaking' : 'breaking', what: `\`${keyword}\`${of} ${verb}` };
  return { kind: verb === 'removed' ? 'breaking' : 'non-breaking', what: `\`${keyword}\`${of} ${verb}` };
}

/** A change inside one operation (`rest` is the path below `paths/<route>/<method>`). */
function classifyOperation(rest: Path, d: Difference, value: unknown): { kind: ChangeKind; what: string } {
  const verb = verbOf(d);
  if (rest.length === 0) return { kind: verb === 'added' ? 'non-breaking' : 'breaking', what: `operation ${verb}` };
  const [section, name, ...below] = rest;
  if (isAnnotation(section!)) return { kind: 'annotation', what: `${String(section)} ${verb}` };
  if (section === 'deprecated') return { kind: 'non-breaking', what: `deprecation ${verb}` };
  if (section === 'parameters' && name !== undefined) {
    const [where, paramName] = String(name).split(/:(.*)/s);
    const label = `${where} parameter \`${paramName}\``;
    if (below.length === 0) {
      const required = (value as { required?: boolean } | undefined)?.required === true || where === 'path';
      if (verb === 'added') return { kind: required ? 'breaking' : 'non-breaking', what: `${required ? 'required' : 'optional'} ${label} added` };
      return { kind: 'breaking', what: `${label} removed` };
    }
    const at = `${label}: `;
    if (below[0] === 'schema') {
      const inner = classifySchema('request', below.slice(1), d);
      return { kind: inner.kind, what: at + inner.what };
    }
    if (below[0] === 'required') {
      const now = d.type === 'REMOVE' ? false : d.value === true;
      return { kind: now ? 'breaking' : 'non-breaking', what: `${at}${now ? 'now required' : 'no longer required'}` };
    }
    if (below.some(isAnnotation)) return { kind: 'annotation', what: `${at}${below.find(isAnnotation)} ${verb}` };
    if (below[0] === 'deprecated') return { kind: 'non-breaking', what: `${at}deprecation ${verb}` };
    return { kind: 'breaking', what: `${at}\`${String(below[0])}\` ${verb}` };
  }
  if (section === 'requestBody') {
    const label = 'request body';
    if (name === undefined) {
      const required = (value as { required?: boolean } | undefined)?.required === true;
      return { kind: verb === 'added' && !required ? 'non-breaking' : 'breaking', what: `${label} ${verb}` };
    }
    if (name === 'required') {
      const now = d.type === 'REMOVE' ? false : d.value === true;
      return { kind: now ? 'breaking' : 'non-breaking', what: `${label} ${now ? 'now required' : 'no longer required'}` };
    }
    if (name === 'content') {
      const [media, part, ...schemaPath] = below;
      if (part === undefined) return { kind: verb === 'added' ? 'non-breaking' : 'breaking', what: `${label} media type ${String(media)} ${verb}` };
      if (part === 'schema') {
        const inner = classifySchema('request', schemaPath, d);
        return { kind: inner.kind, what: `${label} ${String(media)}: ${inner.what}` };
      }
      if (isAnnotation(part)) return { kind: 'annotation', what: `${label} ${String(media)}: ${String(part)} ${verb}` };
    }
    return { kind: 'breaking', what: `${label}: \`${[name, ...below].join('.')}\` ${verb}` };
  }
  if (section === 'responses' && name !== undefined) {
    const label = `response ${String(name)}`;
    const [part, key, ...more] = below;
    if (part === undefined) return { kind: verb === 'added' ? 'non-breaking' : 'breaking', what: `${label} ${verb}` };
    if (isAnnotation(part)) return { kind: 'annotation', what: `${label}: ${String(part)} ${verb}` };
    if (part === 'content' && key !== undefined) {
      const [section2, ...schemaPath] = more;
      if (section2 === undefined) return { kind: verb === 'added' ? 'non-breaking' : 'breaking', what: `${label} media type ${String(key)} ${verb}` };
      if (section2 === 'schema') {
        const inner = classifySchema('response', schemaPath, d);
        return { kind: inner.kind, what: `${label} ${String(key)}: ${inner.what}` };
      }
      if (isAnnotation(section2)) return { kind: 'annotation', what: `${label} ${String(key)}: ${String(section2)} ${verb}` };
    }
    if (part === 'headers' && key !== undefined) {
      const [section2, ...schemaPath] = more;
      if (section2 === undefined) return { kind: verb === 'added' ? 'non-breaking' : 'breaking', what: `${label}: header ${String(key)} ${verb}` };
      if (section2 === 'schema') {
        const inner = classifySchema('response', schemaPath, d);
        return { kind: inner.kind, what: `${label}: header ${String(key)}: ${inner.what}` };
      }
      if (isAnnotation(section2)) return { kind: 'annotation', what: `${label}: header ${String(key)}: ${String(section2)} ${verb}` };
      if (section2 === 'required') return { kind: 'non-breaking', what: `${label}: header ${String(key)} required ${verb}` };
    }
    return { kind: 'breaking', what: `${label}: \`${below.join('.')}\` ${verb}` };
  }
  if (section === 'servers') return { kind: 'non-breaking', what: `servers ${verb}` };
  return { kind: 'breaking', what: `\`${rest.join('.')}\` ${verb} (assumed breaking)` };
}

function classify(d: Difference, after: unknown, before: unknown): SpecChange {
  const path = d.path;
  const pointer = pointerOf(path);
  const at = (doc: unknown) => path.reduce<unknown>((node, key) => (node as Record<string | number, unknown> | undefined)?.[key], doc);
  const value = d.type === 'REMOVE' ? at(before) : at(after);
  const verb = verbOf(d);
  const [top, route, method, ...rest] = path;
  const result = (kind: ChangeKind, description: string): SpecChange => ({ kind, description, pointer });
  if (top === 'paths' && route !== undefined) {
    if (method === undefined) return result(verb === 'added' ? 'non-breaking' : 'breaking', `path ${String(route)} ${verb}`);
    if (!(HTTP_METHODS as readonly string[]).includes(String(method))) {
      if (method === 'servers') return result('non-breaking', `${String(route)}: servers ${verb}`);
      return result('breaking', `${String(route)}: \`${path.slice(2).join('.')}\` ${verb} (assumed breaking)`);
    }
    const { kind, what } = classifyOperation(rest, d, value);
    return result(kind, `${String(method).toUpperCase()} ${String(route)}${rest.length === 0 ? '' : ':'} ${what}`);
  }
  // An annotation keyword anywhere else (operations classify their own, schemas keyword by keyword).
  if (keywordsOf(path).some(isAnnotation)) return result('annotation', `${path.join('.')} ${verb}`);
  if (top === 'info' || top === 'tags' || top === 'externalDocs' || top === 'openapi' || top === 'jsonSchemaDialect') return result('annotation', `${path.join('.')} ${verb}`);
  if (top === 'servers') return result('non-breaking', `servers ${verb}`);
  if (top === 'components' && path[1] === 'securitySchemes') {
    if (path.length === 3 && verb === 'added') return result('non-breaking', `security scheme ${String(path[2])} added`);
    return result('breaking', `security scheme ${String(path[2])}: \`${path.slice(3).join('.')}\` ${verb}`);
  }
  return result('breaking', `\`${path.join('.')}\` ${verb} (assumed breaking)`);
}

/**
 * Every change from `before` to `after` (two bundled OpenAPI 3.x documents), classified. The
 * documents are normalized (normalize.ts), diffed with microdiff, and each difference is
 * classified by where it is (request or response, which keyword) and what happened to it.
 */
export function diffSpecs(before: unknown, after: unknown): SpecChange[] {
  const a = normalizeSpec(before);
  const b = normalizeSpec(after);
  return diff(a, b).map((d) => classify(d, b, a));
}

/** The major of an `info.version` such as `1.4.0` (`0` when there is none). */
export function majorOf(document: unknown): number {
  const version = (document as { info?: { version?: unknown } })?.info?.version;
  const major = /^v?(\d+)/.exec(String(version ?? ''));
  return major ? Number(major[1]) : 0;
}

export interface GateVerdict {
  changes: SpecChange[];
  breaking: number;
  versionBefore: string;
  versionAfter: string;
  majorBumped: boolean;
  /** Breaking changes without a new `info.version` major. */
  fails: boolean;
}

/** The gate's verdict on one API: breaking changes need a new `info.version` major. */
export function judge(before: unknown, after: unknown): GateVerdict {
  const changes = diffSpecs(before, after);
  const breaking = changes.filter((c) => c.kind === 'breaking').length;
  const version = (d: unknown) => String((d as { info?: { version?: unknown } })?.info?.version ?? '');
  const majorBumped = majorOf(after) > majorOf(before);
  return { changes, breaking, versionBefore: version(before), versionAfter: version(after), majorBumped, fails: breaking > 0 && !majorBumped };
}
