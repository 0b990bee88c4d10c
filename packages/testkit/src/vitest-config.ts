import { configDefaults, defineConfig } from 'vitest/config';

export interface SuiteOptions {
  /**
   * Test files that run in process, with no Prism, database, browser or child process: the
   * `fast` project, which `npm run test:fast` runs alone. The `full` project runs the others.
   */
  fast?: string[];
  /**
   * Test files that replace a module (`vi.mock`) or need to import one first: each gets a module
   * graph of its own (projects `fast-isolated`, `full-isolated`). Every other file of a project
   * shares its worker's modules with the files before it, so the server, the validator and the
   * specs are loaded once per worker, not once per file.
   */
  isolated?: string[];
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
 * `test-results/vitest.json`; `test:fast` (`--project 'fast*'`) writes `test-results/fast.json` instead.
 */
export function suiteConfig({ fast = [], isolated = [], prism = false, timeoutMs = 120_000 }: SuiteOptions = {}) {
  const globalSetup = prism ? ['@connector-credentials/testkit/global-setup'] : [];
  const project = (name: string, include: string[], exclude: string[], options: { isolate: boolean; globalSetup?: string[] }) => ({
    extends: true,
    test: { name, include, exclude: [...configDefaults.exclude, ...exclude], isolate: options.isolate, globalSetup: options.globalSetup ?? [] },
  });
  const fastIsolated = fast.filter((file) => isolated.includes(file));
  const fullIsolated = isolated.filter((file) => !fast.includes(file));
  const projects = [
    ...(fast.length > fastIsolated.length ? [project('fast', fast, isolated, { isolate: false })] : []),
    ...(fastIsolated.length > 0 ? [project('fast-isolated', fastIsolated, [], { isolate: true })] : []),
    project('full', ['test/**/*.test.ts'], [...fast, ...isolated], { isolate: false, globalSetup }),
    ...(fullIsolated.length > 0 ? [project('full-isolated', fullIsolated, [], { isolate: true, globalSetup })] : []),
  ];
  return defineConfig({
    test: {
      testTimeout: timeoutMs,
      hookTimeout: Math.max(timeoutMs, 180_000),
      reporters: ['default', 'json'],
      outputFile: { json: 'test-results/vitest.json' },
      projects,
    },
  });
}
