import { defineConfig } from 'vitest/config';

// One packaging for the whole run (test/global-setup.ts), then every suite reads that tree.
// `npm test` reads the JSON report, test-results/vitest.json.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['./test/global-setup.ts'],
    testTimeout: 180_000,
    hookTimeout: 420_000,
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/vitest.json' },
  },
});
