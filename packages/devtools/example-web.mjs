// `npm run example:web`: the example connections page (apps/example-web) on Vite's dev server, at
// http://127.0.0.1:5173 or EXAMPLE_WEB_PORT. Without EXAMPLE_WEB_API, MSW's service worker answers
// the page's calls from the spec's scenarios (no server needed); with EXAMPLE_WEB_API and
// EXAMPLE_WEB_KEY, Vite proxies the page's connection calls to that server and adds the key on
// its side. See the README's "Frontend" section.
import { createRequire } from 'node:module';
import path from 'node:path';
import { ensureInstalled, root, turbo } from './bootstrap.mjs';

const app = path.join(root, 'apps', 'example-web');
// EXAMPLE_WEB_SKIP_BUILD: the tests of this command run inside the test pipeline, which has built already.
if (!process.env.EXAMPLE_WEB_SKIP_BUILD) {
  ensureInstalled();
  turbo('build', 'bundle', '--filter=@connector-credentials/example-web^...', '--output-logs=errors-only');
}

const { createServer } = await import(createRequire(path.join(app, 'package.json')).resolve('vite'));
let server;
try {
  server = await createServer({ root: app, configFile: path.join(app, 'vite.config.ts'), clearScreen: false });
  await server.listen();
} catch (error) {
  console.error(`example:web: ${error instanceof Error ? error.message : error}`);
  process.exit(1);
}
const url = server.resolvedUrls?.local[0] ?? `http://127.0.0.1:${server.config.server.port}/`;
const api = process.env.EXAMPLE_WEB_API;
console.log(`
Example connections page: ${url}
Backend: ${api ? `${api}, through Vite's proxy, which adds the key (it never reaches the browser)` : "MSW's service worker in the page (the spec's scenarios; pick one in the page's panel)"}
Another tool or organization: ${url}?tool=googledrive&org=org_local

Stop with Ctrl-C.`);

const stop = () => void server.close().then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
