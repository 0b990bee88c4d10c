import type { TestProject } from 'vitest/node';
import { openapiBundlePath } from './paths.ts';
import { startPrism } from '@connector-credentials/mocks';

import './provided.ts';

/** Vitest global setup: one real Prism process per spec (`--errors`, free ports), stopped after the run. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const [aitronos, composio] = await Promise.all([
    startPrism({ spec: openapiBundlePath('aitronos') }),
    startPrism({ spec: openapiBundlePath('composio') }),
  ]);
  project.provide('aitronosMockUrl', aitronos.url);
  project.provide('composioMockUrl', composio.url);
  return async () => {
    await Promise.all([aitronos.stop(), composio.stop()]);
  };
}
