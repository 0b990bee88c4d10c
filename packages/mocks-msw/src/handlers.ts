import type { HttpHandler } from 'msw';
import { createOpenApiHttp, type OpenApiHttpHandlers } from 'openapi-msw';
import type { AitronosPaths, ComposioPaths } from '@connector-credentials/types';
import { respond } from './respond.js';
import { operationsOf, specs, type ApiName, type HttpMethod, type Operation } from './spec.js';
import { violationsOf, type Violation } from './validate.js';

export interface ApiHandlerOptions {
  /** Where the code under test calls the API; default: the spec's first server. Relative URLs match the page's origin in a browser. */
  baseUrl?: string;
}

const defaultBaseUrl = (api: ApiName) => specs[api].servers?.[0]?.url ?? '';

/** openapi-msw's `http`, typed by the Aitronos spec: for handlers of your own (`server.use(...)`). */
export const createAitronosHttp = (options: ApiHandlerOptions = {}): OpenApiHttpHandlers<AitronosPaths> =>
  createOpenApiHttp<AitronosPaths>({ baseUrl: options.baseUrl ?? defaultBaseUrl('aitronos') });

/** openapi-msw's `http`, typed by the Composio spec. */
export const createComposioHttp = (options: ApiHandlerOptions = {}): OpenApiHttpHandlers<ComposioPaths> =>
  createOpenApiHttp<ComposioPaths>({ baseUrl: options.baseUrl ?? defaultBaseUrl('composio') });

type UntypedRoute = (path: string, resolver: (info: { request: Request; params: Record<string, string | readonly string[] | undefined> }) => Promise<Response>) => HttpHandler;

/**
 * One handler per operation of the spec, each answering from the spec (respond.ts). The routes
 * come from the bundled spec at run time, so a new operation is covered without a change here;
 * the test `spec paths are the typed paths` keeps them equal to the generated types' paths.
 */
function handlersOf<Paths extends {}>(api: ApiName, http: OpenApiHttpHandlers<Paths>): HttpHandler[] {
  const spec = specs[api];
  return operationsOf(spec).map(([method, path, operation]) =>
    (http[method] as unknown as UntypedRoute)(path, ({ request, params }) => respond(spec, { path, method }, operation, request, params)),
  );
}

/**
 * What is wrong with a request to an operation of the spec, as these handlers check it before any
 * scenario (empty when it is valid): for handlers of your own that answer valid requests their
 * own way and leave the others to these, which answer them as Prism would.
 */
export function requestViolations(
  api: ApiName,
  method: HttpMethod,
  path: string,
  request: Request,
  params: Record<string, string | readonly string[] | undefined> = {},
): Promise<Violation[]> {
  const spec = specs[api];
  const operation = (spec.paths[path] as Record<string, Operation | undefined> | undefined)?.[method];
  if (operation === undefined) throw new Error(`${method.toUpperCase()} ${path} is no operation of the ${api} spec`);
  return violationsOf(spec, path, method, operation, request, params);
}

export const aitronosHandlers = (options: ApiHandlerOptions = {}): HttpHandler[] => handlersOf('aitronos', createAitronosHttp(options));
export const composioHandlers = (options: ApiHandlerOptions = {}): HttpHandler[] => handlersOf('composio', createComposioHttp(options));

/** The handlers of both APIs. */
export function createHandlers(options: { aitronos?: ApiHandlerOptions; composio?: ApiHandlerOptions } = {}): HttpHandler[] {
  return [...aitronosHandlers(options.aitronos), ...composioHandlers(options.composio)];
}
