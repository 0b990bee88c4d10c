import { createRequire } from 'node:module';
import { bundledSpecPath, type Api } from '@connector-credentials/openapi';

export { bundledSpecPath, docsPath } from '@connector-credentials/openapi';

const require = createRequire(import.meta.url);

/** A fresh copy of a bundled spec (validators may annotate what they are given). */
export function loadSpec(api: Api): Record<string, unknown> {
  return structuredClone(require(bundledSpecPath(api)) as Record<string, unknown>);
}
