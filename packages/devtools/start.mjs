// The README's main job: install what is missing, build the server and what it needs (and the
// example consumer, which the README runs next), then run it on an embedded Composio mock
// (apps/server/src/local.ts).
import { ensureInstalled, pnpm, run, runForwardingSignals } from './bootstrap.mjs';

ensureInstalled();
const filters = ['--filter=@connector-credentials/server...', '--filter=@connector-credentials/example-consumer'];
run(pnpm[0], [...pnpm.slice(1), 'exec', 'turbo', 'run', 'build', ...filters, '--output-logs=errors-only'], {
  env: { ...process.env, REDOCLY_TELEMETRY: 'off', TURBO_TELEMETRY_DISABLED: '1' },
});
process.exit(await runForwardingSignals(process.execPath, ['apps/server/dist/local.js']));
