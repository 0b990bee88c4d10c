// The project's test command: lints both specs, checks generated code is fresh, runs the
// breaking-change gate of the specs (`breaking`: packages/spec-diff), type-checks
// every package and runs every test suite through turbo, then prints one line of counts
// summed over the suites' vitest reports: "N passed, N failed, N skipped". A skipped (or todo)
// test fails the run: a suite that cannot run here must say so, not pass quietly.
// `--fast` (npm run test:fast) runs only the in-process suites, through turbo's `test:fast` task.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { ensureInstalled, pnpm, root } from './bootstrap.mjs';
import { ensureSystemPackages } from './system-deps.mjs';

const began = Date.now();
const fast = process.argv.includes('--fast');
const turboArgs = process.argv.slice(2).filter((arg) => arg !== '--fast');
if (!fast) ensureSystemPackages();
ensureInstalled();
console.log(`Running the suites on Node ${process.version}.`);

const workspaces = ['openapi', ...['packages', 'apps'].flatMap((dir) =>
  existsSync(path.join(root, dir)) ? readdirSync(path.join(root, dir)).map((name) => path.join(dir, name)) : [],
)];
const task = fast ? 'test:fast' : 'test';
// Two tasks at a time on a 2-core machine (one per core, TEST_CONCURRENCY to change it): the heavy
// suites (browsers, several server processes, PostgreSQL, Redis, Prism) each keep a core busy, and
// more of them at once only make every one of them slower.
const concurrency = Number(process.env.TEST_CONCURRENCY ?? Math.max(2, availableParallelism()));
const reportOf = (workspace) => path.join(root, workspace, 'test-results', fast ? 'fast.json' : 'vitest.json');
const withTests = workspaces.filter((w) => {
  const manifest = path.join(root, w, 'package.json');
  return existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).scripts?.[task];
});
// A report left from an earlier run must not be counted: turbo restores it on a cache hit.
for (const w of withTests) rmSync(reportOf(w), { force: true });

const turbo = spawnSync(
  pnpm[0],
  [...pnpm.slice(1), 'exec', 'turbo', 'run', ...(fast ? [task] : ['lint', 'check', 'typecheck', 'breaking', task]), '--continue=dependencies-successful', `--concurrency=${concurrency}`, ...turboArgs],
  { cwd: root, stdio: 'inherit' },
);

let passed = 0;
let failed = 0;
let skipped = 0;
for (const w of withTests) {
  const file = reportOf(w);
  if (!existsSync(file)) {
    console.error(`no test report from ${w}: its suite did not run`);
    failed += 1;
    continue;
  }
  const report = JSON.parse(readFileSync(file, 'utf8'));
  // A failed test counts once (its file and describe blocks fail with it and are not counted
  // again); a test file that failed with no failed test (it did not load, or a hook threw) counts once.
  const brokenFiles = (report.testResults ?? []).filter((result) => result.status === 'failed' && !result.assertionResults?.some((test) => test.status === 'failed')).length;
  const failedHere = report.numFailedTests + brokenFiles;
  passed += report.numPassedTests;
  failed += failedHere;
  const notRun = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  skipped += notRun;
  console.log(`${w}: ${report.numPassedTests} passed, ${failedHere} failed, ${notRun} skipped`);
}
if (turbo.status !== 0 && failed === 0) failed += 1; // a lint, freshness or type-check failure
if (skipped > 0) console.error(`${skipped} test(s) skipped: a skipped test fails the run.`);
const seconds = Math.round((Date.now() - began) / 1000);
console.log(`Wall time: ${Math.floor(seconds / 60)} min ${seconds % 60} s.`);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(turbo.status === 0 && failed === 0 && skipped === 0 ? 0 : 1);
