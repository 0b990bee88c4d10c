import { suiteConfig } from '@connector-credentials/testkit/vitest-config';

export default suiteConfig({
  prism: true,
  fast: [
    'test/map-connected-account.test.ts',
    'test/config.test.ts',
    'test/errors.test.ts',
    'test/probe.test.ts',
    'test/credentials-reader.test.ts',
    'test/cache-http.test.ts',
    'test/circuit.test.ts',
    'test/faults.test.ts',
    'test/upstream.test.ts',
    'test/composio-body.test.ts',
    'test/auth-constant-time.test.ts',
    'test/validator-patch.test.ts',
  ],
  // They replace a module (vi.mock) the others load.
  isolated: ['test/map-connected-account.test.ts', 'test/auth-constant-time.test.ts'],
});
