import { suiteConfig } from '@connector-credentials/testkit/vitest-config';

export default suiteConfig({ fast: ['test/fidelity.test.ts', 'test/examples.test.ts'] });
