import { suiteConfig } from '@connector-credentials/testkit/vitest-config';

export default suiteConfig({ prism: true, fast: ['test/transport.test.ts'] });
