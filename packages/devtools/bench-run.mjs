// `npm run load` and `npm run bench`: builds the server, then runs apps/bench/<load|bench>.mjs
// (the load test takes about 45 s, the benchmark about 4 minutes).
import { ensureInstalled, pnpm, run, runForwardingSignals } from './bootstrap.mjs';

const script = process.argv[2];
if (script !== 'load' && script !== 'bench') throw new Error('usage: node bench-run.mjs load|bench');
ensureInstalled();
run(pnpm[0], [...pnpm.slice(1), 'exec', 'turbo', 'run', 'build', '--filter=@connector-credentials/bench...', '--output-logs=errors-only'], {
  env: { ...process.env, REDOCLY_TELEMETRY: 'off', TURBO_TELEMETRY_DISABLED: '1' },
});
process.exit(await runForwardingSignals(process.execPath, [`apps/bench/${script}.mjs`]));
