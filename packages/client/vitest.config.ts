import { suiteConfig } from '@connector-credentials/testkit/vitest-config';

export default suiteConfig({ prism: true, timeoutMs: 30_000, fast: ['test/transport.test.ts'] });
