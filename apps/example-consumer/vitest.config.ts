import { suiteConfig } from '@connector-credentials/testkit/vitest-config';

export default suiteConfig();
