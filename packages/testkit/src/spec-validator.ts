import { readFileSync } from 'node:fs';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import ajvFormats from 'ajv-formats';

export interface ValidationResult {
  valid: boolean;
  /** Human-readable errors (`/path: message`), empty when valid. */
  errors: string[];
}

export interface NamedExample {
  method: string;
  path: string;
  status: string;
  name: string;
  value: unknown;
}

export interface SpecValidator {
  /** The bundled OpenAPI document. */
  readonly document: Record<string, unknown>;
  /** Validates a value against `#/components/schemas/<name>`. */
  validateSchema(name: string, value: unknown): ValidationResult;
  /** Validates a JSON response body against the documented response of an operation. */
  validateResponse(method: string, pathTemplate: string, status: number | string, body: unknown): ValidationResult;
  /** Every named response example of the spec. */
  responseExamples(): NamedExample[];
  /** The headers the documented response of an operation declares, by name in lower case, references followed. */
  responseHeaders(method: string, pathTemplate: string, status: number | string): Record<string, { example?: unknown; schema?: unknown }>;
}

const escapePointer = (segment: string) => segment.replace(/~/g, '~0').replace(/\//g, '~1');

function at(document: unknown, pointer: string): unknown {
  let node: unknown = document;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object' || !(key in node)) {
      throw new Error(`No node at ${pointer}`);
    }
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** Follows local `$ref`s until a node that is not a reference; returns its pointer. */
function follow(document: unknown, pointer: string): string {
  for (let hops = 0; hops < 32; hops += 1) {
    const node = at(document, pointer) as { $ref?: unknown };
    if (typeof node?.$ref !== 'string') return pointer;
    if (!node.$ref.startsWith('#')) throw new Error(`External $ref ${node.$ref} in a bundled spec`);
    pointer = node.$ref.slice(1);
  }
  throw new Error(`$ref cycle at ${pointer}`);
}

export function formatErrors(errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((e) => `${e.instancePath || '/'}: ${e.message ?? e.keyword}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`);
}

/** A validator for a bundled OpenAPI 3.1 document (its schemas are JSON Schema 2020-12). */
export function createSpecValidator(bundlePath: string): SpecValidator {
  const document = JSON.parse(readFileSync(bundlePath, 'utf8')) as Record<string, unknown>;
  const id = 'https://spec.invalid/bundle';
  // Not strict: the document is an OpenAPI description, not only a schema.
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  ajvFormats.default(ajv);
  ajv.addSchema({ ...document, $id: id });
  const compiled = new Map<string, ValidateFunction>();

  const validatePointer = (pointer: string, value: unknown): ValidationResult => {
    let validate = compiled.get(pointer);
    if (!validate) {
      validate = ajv.compile({ $ref: `${id}#${pointer}` });
      compiled.set(pointer, validate);
    }
    const valid = validate(value) as boolean;
    return { valid, errors: valid ? [] : formatErrors(validate.errors) };
  };

  return {
    document,
    validateSchema: (name, value) => validatePointer(`/components/schemas/${escapePointer(name)}`, value),
    validateResponse(method, pathTemplate, status, body) {
      const responses = `/paths/${escapePointer(pathTemplate)}/${method.toLowerCase()}/responses`;
      const responsePointer = follow(document, `${responses}/${status}`);
      return validatePointer(`${responsePointer}/content/${escapePointer('application/json')}/schema`, body);
    },
    responseHeaders(method, pathTemplate, status) {
      const responsePointer = follow(document, `/paths/${escapePointer(pathTemplate)}/${method.toLowerCase()}/responses/${status}`);
      const { headers } = at(document, responsePointer) as { headers?: Record<string, unknown> };
      return Object.fromEntries(
        Object.keys(headers ?? {}).map((name) => [name.toLowerCase(), at(document, follow(document, `${responsePointer}/headers/${escapePointer(name)}`)) as { example?: unknown }]),
      );
    },
    responseExamples() {
      const out: NamedExample[] = [];
      const paths = document.paths as Record<string, Record<string, unknown>>;
      for (const [path, item] of Object.entries(paths)) {
        const itemPointer = follow(document, `/paths/${escapePointer(path)}`);
        for (const method of ['get', 'put', 'post', 'delete', 'patch', 'head', 'options']) {
          const op = (at(document, itemPointer) as Record<string, unknown>)[method] as
            | { responses?: Record<string, unknown> }
            | undefined;
          if (!op?.responses || !item) continue;
          for (const status of Object.keys(op.responses)) {
            const responsePointer = follow(document, `${itemPointer}/${method}/responses/${status}`);
            const content = (at(document, responsePointer) as { content?: Record<string, { examples?: Record<string, unknown> }> })
              .content;
            const examples = content?.['application/json']?.examples ?? {};
            for (const name of Object.keys(examples)) {
              const examplePointer = follow(
                document,
                `${responsePointer}/content/${escapePointer('application/json')}/examples/${escapePointer(name)}`,
              );
              const { value } = at(document, examplePointer) as { value: unknown };
              out.push({ method, path, status, name, value });
            }
          }
        }
      }
      return out;
    },
  };
}
