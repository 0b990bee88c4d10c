// The bundled specs (openapi/dist/*.json, made by `turbo run bundle`) and the parts of them the
// handlers read. Everything is looked up in the spec at run time, so an operation or example added
// to a spec is served without a change here.
import aitronos from '@connector-credentials/openapi/aitronos.json' with { type: 'json' };
import composio from '@connector-credentials/openapi/composio.json' with { type: 'json' };

export type ApiName = 'aitronos' | 'composio';

export interface OpenApiDocument {
  servers?: Array<{ url: string }>;
  security?: SecurityRequirement[];
  paths: Record<string, Record<string, unknown>>;
  components?: { securitySchemes?: Record<string, SecurityScheme> } & Record<string, unknown>;
}
export type SecurityRequirement = Record<string, string[]>;
export interface SecurityScheme {
  type: string;
  in?: 'header' | 'query' | 'cookie';
  name?: string;
  scheme?: string;
}
export interface Operation {
  operationId?: string;
  security?: SecurityRequirement[];
  responses: Record<string, unknown>;
}
export interface ResponseObject {
  headers?: Record<string, unknown>;
  content?: Record<string, { examples?: Record<string, unknown>; example?: unknown }>;
}
export interface HeaderObject {
  example?: unknown;
  examples?: Record<string, unknown>;
  schema?: { default?: unknown; example?: unknown; enum?: unknown[] };
}

export const specs: Record<ApiName, OpenApiDocument> = {
  aitronos: aitronos as unknown as OpenApiDocument,
  composio: composio as unknown as OpenApiDocument,
};

// The methods MSW (and openapi-msw) route; OpenAPI's `trace` has no MSW handler.
export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

/** Follows a local `$ref` (`#/components/…`) until it reaches the object it names. */
export function resolve<T>(spec: OpenApiDocument, node: unknown): T {
  let current = node as { $ref?: unknown } | undefined;
  for (let hops = 0; typeof current?.$ref === 'string' && hops < 32; hops += 1) {
    const ref: string = current.$ref as string;
    current = ref
      .replace(/^#\//, '')
      .split('/')
      .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], spec) as typeof current;
  }
  return current as T;
}

/** Every operation of a spec, as `[method, path, operation]`. */
export function operationsOf(spec: OpenApiDocument): Array<[HttpMethod, string, Operation]> {
  return Object.entries(spec.paths).flatMap(([path, item]) =>
    HTTP_METHODS.filter((method) => item[method] !== undefined).map((method) => [method, path, item[method] as Operation] as [HttpMethod, string, Operation]),
  );
}

export interface Scenario {
  api: ApiName;
  operationId: string | undefined;
  method: HttpMethod;
  path: string;
  /** The example's name: what `Prefer: example=NAME` and `useScenario(NAME)` select. */
  name: string;
  status: string;
  /** The `Prefer` header that selects it, as the README's table writes it. */
  prefer: string;
  value: unknown;
}

const isSuccess = (status: string) => /^2\d\d$/.test(status);

/** Every named example of every operation of a spec: the scenarios the mocks serve. */
export function scenariosOf(api: ApiName, spec: OpenApiDocument = specs[api]): Scenario[] {
  return operationsOf(spec).flatMap(([method, path, operation]) =>
    Object.entries(operation.responses).flatMap(([status, raw]) => {
      const response = resolve<ResponseObject>(spec, raw);
      return Object.values(response?.content ?? {}).flatMap((media) =>
        Object.entries(media.examples ?? {}).map(([name, example]) => ({
          api,
          operationId: operation.operationId,
          method,
          path,
          name,
          status,
          prefer: isSuccess(status) ? `example=${name}` : `code=${status}, example=${name}`,
          value: resolve<{ value?: unknown }>(spec, example)?.value,
        })),
      );
    }),
  );
}
