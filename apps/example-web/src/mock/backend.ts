// Development only: MSW's service worker answers the page's /api calls from the spec's scenarios
// (@connector-credentials/mocks-msw). The picker's scenario goes on each call as a `Prefer`
// header. Without one, two handlers of the page's own answer the list and the toggle with state:
// a toggled connection stays toggled when the list is fetched again, as on a real server. They
// answer only requests the spec allows: the others go on to the package's handlers, which refuse
// them as Prism (and the server) would.
import { setupWorker } from 'msw/browser';
import type { AitronosClient, ConnectionList, ErrorEnvelope } from '@connector-credentials/client';
import { aitronosHandlers, createAitronosHttp, parsePrefer, requestViolations } from '@connector-credentials/mocks-msw';
import { LIST_CONNECTIONS, SET_CONNECTION_ACTIVE } from '@connector-credentials/react-query';
import { mockState, scenarioOptions } from './scenario.ts';

/** Stands in for the team's backend in front of the mock: any non-empty key satisfies it. */
const MOCK_KEY = 'mock';

export async function startMockBackend(client: AitronosClient, apiBase: string): Promise<void> {
  const aitronos = createAitronosHttp({ baseUrl: apiBase });
  const turned = new Map<string, boolean>();
  const notFound = scenarioOptions.toggle.find((s) => s.status === '404')!;
  const knownIds = new Set(scenarioOptions.list.flatMap((s) => ((s.value as Partial<ConnectionList>).connections ?? []).map((c) => c.id)));
  /** The 2xx example a Prefer header picks (the first when none), or undefined for any other answer. */
  const successExample = (header: string | null) => {
    const { code, example } = parsePrefer(header);
    if (code !== undefined && !/^2\d\d$/.test(code)) return undefined;
    const scenarios = scenarioOptions.list.filter((s) => /^2\d\d$/.test(s.status));
    return example === undefined ? scenarios[0] : scenarios.find((s) => s.name === example);
  };

  const worker = setupWorker(
    aitronos.get(LIST_CONNECTIONS, async ({ params, request, response }) => {
      const scenario = successExample(request.headers.get('prefer'));
      if (!scenario || !request.headers.get('x-api-key')) return undefined;
      if ((await requestViolations('aitronos', 'get', LIST_CONNECTIONS, request, params)).length > 0) return undefined;
      const list = structuredClone(scenario.value) as ConnectionList;
      // The example's connections are of one tool: another tool has none.
      if (list.tool_key !== params.tool_key) return response(200).json({ tool_key: params.tool_key, connections: [] });
      list.connections = list.connections.map((c) => (turned.has(c.id) ? { ...c, is_active: turned.get(c.id)! } : c));
      return response(200).json(list);
    }),
    aitronos.patch(SET_CONNECTION_ACTIVE, async ({ params, request, response }) => {
      if (request.headers.get('prefer') || !request.headers.get('x-api-key')) return undefined;
      if ((await requestViolations('aitronos', 'patch', SET_CONNECTION_ACTIVE, request, params)).length > 0) return undefined;
      // Only the example list's connections exist here: any other id gets the spec's 404.
      if (!knownIds.has(params.credential_id)) return response(404).json(notFound.value as ErrorEnvelope);
      const { is_active } = await request.json();
      turned.set(params.credential_id, is_active);
      return response(200).json({ id: params.credential_id, is_active });
    }),
    ...aitronosHandlers({ baseUrl: apiBase }),
  );
  worker.events.on('response:mocked', ({ request }) => {
    if (request.url.startsWith(apiBase)) mockState.countAnswer();
  });
  await worker.start({
    serviceWorker: { url: '/mockServiceWorker.js' },
    quiet: true,
    // Only /api is the mock's: Vite's own requests go to the dev server.
    onUnhandledRequest: (request, print) => {
      if (request.url.startsWith(apiBase)) print.error();
    },
  });

  client.use({
    onRequest({ request, schemaPath }) {
      request.headers.set('X-API-Key', MOCK_KEY);
      const prefer = mockState.prefer(schemaPath === SET_CONNECTION_ACTIVE ? 'toggle' : 'list');
      if (prefer) request.headers.set('Prefer', prefer);
      return request;
    },
  });
}
