// The README's main job: install what is missing, build the server and what it needs, then run
// it on an embedded Composio mock (apps/server/src/local.ts).
import { ensureInstalled, pnpm, run } from './bootstrap.mjs';

ensureInstalled();
run(pnpm[0], [...pnpm.slice(1), 'exec', 'turbo', 'run', 'build', '--filter=@connector-credentials/server...', '--output-logs=errors-only'], {
  env: { ...process.env, REDOCLY_TELEMETRY: 'off', TURBO_TELEMETRY_DISABLED: '1' },
});
run(process.execPath, ['apps/server/dist/local.js']);
