// `npm run load` and `npm run bench`: builds the server, then runs apps/bench/<load|bench>.mjs
// (the load test takes about 45 s, the benchmark about 10 minutes). Both start a real PostgreSQL
// (the load test's registry) and Redis (the shared-state rows): installed as for the tests.
import { ensureInstalled, runForwardingSignals, turbo } from './bootstrap.mjs';
import { ensureSystemPackages, testPackages } from './system-deps.mjs';

const script = process.argv[2];
if (script !== 'load' && script !== 'bench') throw new Error('usage: node bench-run.mjs load|bench');
ensureSystemPackages(testPackages.filter((p) => p.name === 'postgresql' || p.name === 'redis-server'));
ensureInstalled();
turbo('build', '--filter=@connector-credentials/bench...', '--output-logs=errors-only');
process.exit(await runForwardingSignals(process.execPath, [`apps/bench/${script}.mjs`]));
