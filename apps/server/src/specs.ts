import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

type Api = 'aitronos' | 'composio';

/** Path of a bundled spec (`openapi/dist/<api>.json|yaml`), built by the `openapi` package from the hand-written sources. */
export function bundledSpecPath(api: Api, format: 'json' | 'yaml' = 'json'): string {
  return require.resolve(`@connector-credentials/openapi/${api}.${format}`);
}

/** Path of the HTML reference docs Redocly built for a spec. */
export function docsPath(api: Api): string {
  return require.resolve(`@connector-credentials/openapi/docs/${api}.html`);
}

/** A fresh copy of a bundled spec (validators may annotate what they are given). */
export function loadSpec(api: Api): Record<string, unknown> {
  return structuredClone(require(bundledSpecPath(api)) as Record<string, unknown>);
}
