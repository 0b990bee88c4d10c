// One answer of the mocks, chosen the way Prism chooses it: security first (no key -> the
// operation's 401), then the request against the spec (invalid -> its 422 or 400), then the status (`code=`, else the lowest 2xx), then the named example
// (`example=`, else the first one). An unknown example name gives Prism's 404.
import { currentScenario, parsePrefer, type Preference } from './prefer.js';
import { resolve, type HeaderObject, type OpenApiDocument, type Operation, type ResponseObject, type SecurityScheme } from './spec.js';
import { violationsOf, type Violation } from './validate.js';

function satisfied(scheme: SecurityScheme | undefined, request: Request): boolean {
  if (!scheme) return false;
  const url = new URL(request.url);
  if (scheme.type === 'apiKey' && scheme.name) {
    if (scheme.in === 'query') return Boolean(url.searchParams.get(scheme.name));
    if (scheme.in === 'cookie') return (request.headers.get('cookie') ?? '').split(/;\s*/).some((c) => c.startsWith(`${scheme.name}=`) && c.length > scheme.name!.length + 1);
    return Boolean(request.headers.get(scheme.name)?.trim());
  }
  const authorization = request.headers.get('authorization') ?? '';
  if (scheme.type === 'http') return authorization.toLowerCase().startsWith(`${(scheme.scheme ?? '').toLowerCase()} `);
  if (scheme.type === 'oauth2' || scheme.type === 'openIdConnect') return /^bearer \S/i.test(authorization);
  return true;
}

/** The spec's security for this operation: any one requirement met in full (no requirement: open). */
export function authorized(spec: OpenApiDocument, operation: Operation, request: Request): boolean {
  const requirements = operation.security ?? spec.security ?? [];
  if (requirements.length === 0) return true;
  const schemes = spec.components?.securitySchemes ?? {};
  return requirements.some((requirement) => Object.keys(requirement).every((name) => satisfied(schemes[name], request)));
}

const problem = (status: number, title: string, detail: string) =>
  Response.json({ type: `https://stoplight.io/prism/errors#${status === 404 ? 'NOT_FOUND' : 'NO_RESPONSE_DEFINED'}`, title, status, detail }, {
    status,
    headers: { 'content-type': 'application/problem+json' },
  });

/** What `useScenario` asks of this operation: a Prefer value as is; an example's name with the status that holds it. */
function scenarioPreference(spec: OpenApiDocument, operation: Operation, scenario: string): Preference {
  if (scenario.includes('=')) return parsePrefer(scenario);
  for (const [status, raw] of Object.entries(operation.responses)) {
    const content = resolve<ResponseObject>(spec, raw)?.content ?? {};
    if (Object.values(content).some((media) => media.examples?.[scenario] !== undefined)) return { code: status, example: scenario };
  }
  return { example: scenario };
}

/**
 * The headers the response declares, each with its example (else its schema's default, example
 * or first enum value), as Prism sends them: `Retry-After`, `X-Request-Id`, the rate-limit
 * headers … reach the code under test as they would from Prism.
 */
function headersOf(spec: OpenApiDocument, response: ResponseObject | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, raw] of Object.entries(response?.headers ?? {})) {
    const header = resolve<HeaderObject | undefined>(spec, raw);
    const named = Object.values(header?.examples ?? {})[0];
    const value =
      header?.example ?? (named === undefined ? undefined : resolve<{ value?: unknown }>(spec, named)?.value) ?? header?.schema?.default ?? header?.schema?.example ?? header?.schema?.enum?.[0];
    if (value !== undefined) headers[name.toLowerCase()] = String(value);
  }
  return headers;
}

function answer(spec: OpenApiDocument, operation: Operation, preference: Preference): Response {
  const statuses = Object.keys(operation.responses);
  const code = preference.code ?? statuses.filter((s) => /^2\d\d$/.test(s)).sort()[0] ?? statuses[0];
  const raw = code === undefined ? undefined : (operation.responses[code] ?? operation.responses[`${code[0]}XX`]);
  if (code === undefined || raw === undefined) {
    return problem(500, 'Route resolved, but no response is defined', `No response with status ${code ?? '(none)'} is defined for this operation.`);
  }
  const status = /^\d{3}$/.test(code) ? Number(code) : 500;
  const response = resolve<ResponseObject>(spec, raw);
  const headers = headersOf(spec, response);
  const content = response?.content ?? {};
  const mediaType = content['application/json'] ? 'application/json' : Object.keys(content)[0];
  if (mediaType === undefined) return new Response(null, { status, headers });
  const media = content[mediaType]!;
  let value: unknown;
  if (preference.example !== undefined) {
    const example = media.examples?.[preference.example];
    if (example === undefined) {
      return problem(404, 'The server cannot find the requested content', `Response for contentType: ${mediaType} and exampleKey: ${preference.example} does not exist.`);
    }
    value = resolve<{ value?: unknown }>(spec, example)?.value;
  } else {
    const first = Object.values(media.examples ?? {})[0];
    value = first !== undefined ? resolve<{ value?: unknown }>(spec, first)?.value : media.example;
  }
  const body = value === undefined ? null : typeof value === 'string' && !mediaType.includes('json') ? value : JSON.stringify(value);
  return new Response(body, { status, headers: { ...headers, 'content-type': mediaType } });
}

/**
 * The answer to a request that breaks the spec, as Prism gives it: for a body of a media type the
 * operation does not take, its 415; else its 422 if it has one, else its 400, with that response's first example (the API's own error envelope) and the
 * violations in an `sl-violations` header; the request's `Prefer` does not change it.
 */
function invalid(spec: OpenApiDocument, operation: Operation, violations: Violation[]): Response | undefined {
  const unsupported = violations.some((v) => v.code === '415');
  const code = (unsupported ? ['415'] : ['422', '400']).find((status) => operation.responses[status] !== undefined);
  if (code === undefined) return undefined;
  const response = answer(spec, operation, { code });
  response.headers.set('sl-violations', JSON.stringify(violations));
  return response;
}

/** The mock's answer to one request of one operation: security, then the request against the spec, then the scenario. */
export async function respond(
  spec: OpenApiDocument,
  route: { path: string; method: string },
  operation: Operation,
  request: Request,
  params: Record<string, string | readonly string[] | undefined> = {},
): Promise<Response> {
  if (!authorized(spec, operation, request)) return answer(spec, operation, { code: '401' });
  const violations = await violationsOf(spec, route.path, route.method, operation, request, params);
  if (violations.length > 0) {
    const refused = invalid(spec, operation, violations);
    if (refused) return refused;
  }
  const header = request.headers.get('prefer');
  const scenario = currentScenario();
  const preference = header ? parsePrefer(header) : scenario ? scenarioPreference(spec, operation, scenario) : {};
  return answer(spec, operation, preference);
}
