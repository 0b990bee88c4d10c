import { StrictMode, type ReactNode } from 'react';
import { createRoot } from 'react-dom/client';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { createAitronosClient } from '@connector-credentials/client';
import { createConnectionsHooks } from '@connector-credentials/react-query';
import { ConnectionsPage } from './ConnectionsPage.tsx';
import './page.css';

// One tool and one organization: `?tool=…&org=…`, by default those `npm start` registers.
const search = new URLSearchParams(location.search);
const tool = search.get('tool') ?? 'googledrive';
const organization = search.get('org') ?? 'org_local';

// The page's API is its own origin's /api: in development the mock (MSW) or Vite's proxy, in
// production the team's backend, which adds the key. No key is ever in the page.
const apiBase = `${location.origin}/api`;
const client = createAitronosClient({ baseUrl: apiBase, retry: { retries: 0 } });

let devPanel: ReactNode = null;
if (import.meta.env.DEV && __EXAMPLE_WEB_BACKEND__ === 'mock') {
  const [{ startMockBackend }, { ScenarioPicker }] = await Promise.all([import('./mock/backend.ts'), import('./mock/ScenarioPicker.tsx')]);
  performance.mark('mock-loaded');
  await startMockBackend(client, apiBase);
  performance.mark('mock-ready');
  devPanel = <ScenarioPicker />;
}

const hooks = createConnectionsHooks(client);
const queryClient = new QueryClient({ defaultOptions: { queries: { refetchOnWindowFocus: false } } });

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <ConnectionsPage hooks={hooks} tool={tool} organization={organization} devPanel={devPanel} />
    </QueryClientProvider>
  </StrictMode>,
);
