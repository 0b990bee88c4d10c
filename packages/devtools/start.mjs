// The README's main job: install what is missing, build the server and what it needs (and the
// example consumer, which the README runs next), then run it on an embedded Composio mock
// (apps/server/src/local.ts).
import { ensureInstalled, runForwardingSignals, turbo } from './bootstrap.mjs';

ensureInstalled();
const filters = ['--filter=@connector-credentials/server...', '--filter=@connector-credentials/example-consumer'];
turbo('build', ...filters, '--output-logs=errors-only');
process.exit(await runForwardingSignals(process.execPath, ['apps/server/dist/local.js']));
