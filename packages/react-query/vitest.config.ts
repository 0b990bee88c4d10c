import { suiteConfig } from '@connector-credentials/testkit/vitest-config';

export default suiteConfig({ fast: ['test/hooks.test.ts'] });
