// `npm run bench`: builds the server, then runs apps/bench/bench.mjs (about 4 minutes).
import { ensureInstalled, pnpm, run } from './bootstrap.mjs';

ensureInstalled();
run(pnpm[0], [...pnpm.slice(1), 'exec', 'turbo', 'run', 'build', '--filter=@connector-credentials/bench...', '--output-logs=errors-only'], {
  env: { ...process.env, REDOCLY_TELEMETRY: 'off', TURBO_TELEMETRY_DISABLED: '1' },
});
run(process.execPath, ['apps/bench/bench.mjs']);
