import { mergeConfig } from 'vitest/config';
import { suiteConfig } from '@connector-credentials/testkit/vitest-config';

// One file at a time: each browser suite starts a Vite dev server of this app, and they share its dependency cache.
export default mergeConfig(suiteConfig(), { test: { fileParallelism: false } });
