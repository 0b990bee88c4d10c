// The example page's dev server and build. Two backends, chosen by the environment:
// - none set: MSW's service worker answers /api in the page (the spec's scenarios, no server);
// - EXAMPLE_WEB_API (+ EXAMPLE_WEB_KEY): /api/v1/personal-connectors/connections/… is proxied to
//   that server, and the proxy adds the key, as the team's own backend would: the key stays in
//   this process and never reaches the browser. Any other /api path gets 404 here.
// EXAMPLE_WEB_PORT (default 5173) is where it listens, on 127.0.0.1.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

const require = createRequire(import.meta.url);
/** The only paths the page calls, under /api: the connection operations. */
const CONNECTIONS = /^\/api\/v1\/personal-connectors\/connections\/[^/?]+(\/active)?(\?|$)/;
const KEY_HEADERS = ['x-api-key', 'x-flowplate-key', 'x-aitronos-hub-key'];

/** Serves MSW's service worker at /mockServiceWorker.js from the installed msw (no copy to keep fresh). */
function mockServiceWorker(): Plugin {
  const file = require.resolve('msw/mockServiceWorker.js');
  return {
    name: 'example-web:msw-worker',
    apply: 'serve',
    configureServer(server) {
      server.middlewares.use('/mockServiceWorker.js', (_req, res) => {
        res.setHeader('content-type', 'text/javascript');
        res.setHeader('service-worker-allowed', '/');
        res.end(readFileSync(file));
      });
    },
  };
}

/** In proxy mode, /api answers the connection operations only: any other path is 404 before the proxy. */
function connectionsOnly(): Plugin {
  return {
    name: 'example-web:connections-only',
    apply: 'serve',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        if (!req.url?.startsWith('/api/') || CONNECTIONS.test(req.url)) return next();
        // The API's own envelope and code, so the page shows it as any other error.
        const traceId = `req_${randomUUID().replaceAll('-', '')}`;
        res.statusCode = 404;
        res.setHeader('content-type', 'application/json');
        res.setHeader('x-request-id', traceId);
        const error = { code: 'ROUTE_NOT_FOUND', message: 'This page only reaches the connection operations.', system_message: 'The example page proxies the connection operations only', type: 'not_found_error', status: 404, trace_id: traceId, timestamp: new Date().toISOString(), details: {} };
        res.end(JSON.stringify({ success: false, error }));
      });
    },
  };
}

export default defineConfig(({ command }) => {
  const api = process.env.EXAMPLE_WEB_API?.replace(/\/$/, '');
  const key = process.env.EXAMPLE_WEB_KEY;
  const keyHeader = process.env.EXAMPLE_WEB_KEY_HEADER ?? 'X-API-Key';
  if (command === 'serve' && api && !key) {
    throw new Error('EXAMPLE_WEB_API is set without EXAMPLE_WEB_KEY: give the key the proxy adds to each call (a key with the connections role is enough).');
  }
  const port = Number(process.env.EXAMPLE_WEB_PORT ?? 5173);
  const backend = command === 'serve' && api ? 'proxy' : 'mock';
  return {
    plugins: [react(), ...(backend === 'mock' ? [mockServiceWorker()] : [connectionsOnly()])],
    define: { __EXAMPLE_WEB_BACKEND__: JSON.stringify(backend) },
    server: {
      host: '127.0.0.1',
      port,
      strictPort: true,
      proxy:
        backend === 'proxy'
          ? {
              '/api/v1/personal-connectors/connections/': {
                target: api,
                changeOrigin: true,
                rewrite: (path) => path.replace(/^\/api/, ''),
                configure(proxy) {
                  proxy.on('proxyReq', (proxyReq) => {
                    // Whatever the browser sent, only the proxy's key goes on.
                    for (const header of KEY_HEADERS) proxyReq.removeHeader(header);
                    proxyReq.removeHeader('cookie');
                    proxyReq.setHeader(keyHeader, key!);
                  });
                },
              },
            }
          : undefined,
    },
    preview: { host: '127.0.0.1', port, strictPort: true },
    build: { target: 'es2022', sourcemap: false },
  };
});
