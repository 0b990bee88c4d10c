import type { HttpHandler } from 'msw';
import { createOpenApiHttp, type OpenApiHttpHandlers } from 'openapi-msw';
import type { AitronosPaths, ComposioPaths } from '@connector-credentials/types';
import { respond } from './respond.js';
import { operationsOf, specs, type ApiName } from './spec.js';

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

export const aitronosHandlers = (options: ApiHandlerOptions = {}): HttpHandler[] => handlersOf('aitronos', createAitronosHttp(options));
export const composioHandlers = (options: ApiHandlerOptions = {}): HttpHandler[] => handlersOf('composio', createComposioHttp(options));

/** The handlers of both APIs. */
export function createHandlers(options: { aitronos?: ApiHandlerOptions; composio?: ApiHandlerOptions } = {}): HttpHandler[] {
  return [...aitronosHandlers(options.aitronos), ...composioHandlers(options.composio)];
}
