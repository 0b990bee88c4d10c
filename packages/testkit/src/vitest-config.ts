import { configDefaults, defineConfig } from 'vitest/config';

export interface SuiteOptions {
  /**
   * Test files that run in process, with no Prism, database, browser or child process: the
   * `fast` project, which `npm run test:fast` runs alone. The `full` project runs the others.
   */
  fast?: string[];
  /** Start one Prism process per spec (global setup) for the `full` project. */
  prism?: boolean;
  /**
   * Per-test timeout; hooks get at least three minutes. These are budgets against hangs, sized for
   * a busy 2-core machine, never the thing under test.
   */
  timeoutMs?: number;
}

/**
 * The vitest configuration every suite shares. `npm test` reads the JSON report,
 * `test-results/vitest.json`; `test:fast` writes `test-results/fast.json` instead.
 */
export function suiteConfig({ fast = [], prism = false, timeoutMs = 120_000 }: SuiteOptions = {}) {
  const full = {
    extends: true,
    test: {
      name: 'full',
      include: ['test/**/*.test.ts'],
      exclude: [...configDefaults.exclude, ...fast],
      globalSetup: prism ? ['@connector-credentials/testkit/global-setup'] : [],
    },
  };
  return defineConfig({
    test: {
      testTimeout: timeoutMs,
      hookTimeout: Math.max(timeoutMs, 180_000),
      reporters: ['default', 'json'],
      outputFile: { json: 'test-results/vitest.json' },
      projects: fast.length > 0 ? [{ extends: true, test: { name: 'fast', include: fast } }, full] : [full],
    },
  });
}
