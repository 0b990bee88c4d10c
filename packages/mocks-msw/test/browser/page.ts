// The page of the browser test: MSW's service worker with the spec-derived handlers, and the
// project's client calling both APIs for every scenario, per request (Prefer) and per test
// (useScenario). Results go to `window.results` and to a table on the page.
import { setupWorker } from 'msw/browser';
import { ApiError, createAitronosClient, createComposioClient } from '@connector-credentials/client';
import { createHandlers, resetScenario, scenariosOf, useScenario, type Scenario } from '../../src/index.ts';
import { aitronosCalls, callFor, composioCalls } from '../calls.ts';

export interface PageResult {
  api: string;
  path: string;
  name: string;
  via: 'Prefer' | 'useScenario' | 'no key';
  status: number;
  body: unknown;
}

const aitronosUrl = `${location.origin}/aitronos`;
const composioUrl = `${location.origin}/composio`;
const worker = setupWorker(...createHandlers({ aitronos: { baseUrl: aitronosUrl }, composio: { baseUrl: composioUrl } }));
await worker.start({ serviceWorker: { url: '/mockServiceWorker.js' }, onUnhandledRequest: 'error', quiet: true });

const call = (scenario: Scenario, headers: Record<string, string>, key: string | null = 'any'): Promise<unknown> => {
  const retry = { retries: 0 };
  if (scenario.api === 'aitronos') {
    const client = key === null ? createAitronosClient({ baseUrl: aitronosUrl, retry }) : createAitronosClient({ baseUrl: aitronosUrl, apiKey: key, retry });
    return callFor(aitronosCalls, scenario)(client, { headers });
  }
  const apiVersion = scenario.path.startsWith('/api/v3.1/') ? 'v3.1' : 'v3';
  return callFor(composioCalls, scenario)(createComposioClient({ baseUrl: composioUrl, ...(key === null ? {} : { apiKey: key }), apiVersion, retry }), { headers });
};

/** Status and body; a resolved call answered the scenario's own 2xx. */
const outcome = (pending: Promise<unknown>, ok: number) =>
  pending.then(
    (body) => ({ status: ok, body }),
    (error: unknown) => (error instanceof ApiError ? { status: error.status, body: error.envelope } : { status: -1, body: String(error) }),
  );

const results: PageResult[] = [];
for (const scenario of [...scenariosOf('aitronos'), ...scenariosOf('composio')]) {
  const base = { api: scenario.api, path: scenario.path, name: scenario.name };
  const ok = Number(scenario.status);
  results.push({ ...base, via: 'Prefer', ...(await outcome(call(scenario, { Prefer: scenario.prefer }), ok)) });
  useScenario(scenario.name);
  results.push({ ...base, via: 'useScenario', ...(await outcome(call(scenario, {}), ok)) });
  results.push({ ...base, via: 'no key', ...(await outcome(call(scenario, {}, null), ok)) });
  resetScenario();
}

const table = document.createElement('table');
table.innerHTML = `<tr><th>api</th><th>scenario</th><th>via</th><th>status</th></tr>${results
  .map((r) => `<tr><td>${r.api}</td><td>${r.name}</td><td>${r.via}</td><td>${r.status}</td></tr>`)
  .join('')}`;
document.body.append(table);
(window as unknown as { results: PageResult[] }).results = results;
