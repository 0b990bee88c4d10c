import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** Path of a bundled spec (`openapi/dist/<api>.json|yaml`), built by the `openapi` package from the hand-written sources. */
export function bundledSpecPath(api: 'aitronos' | 'composio', format: 'json' | 'yaml' = 'json'): string {
  return require.resolve(`@connector-credentials/openapi/${api}.${format}`);
}

/** Path of the HTML reference docs Redocly built for a spec. */
export function docsPath(api: 'aitronos' | 'composio'): string {
  return require.resolve(`@connector-credentials/openapi/docs/${api}.html`);
}

export function loadAitronosSpec(): Record<string, unknown> {
  return structuredClone(require(bundledSpecPath('aitronos')) as Record<string, unknown>);
}

export function loadComposioSpec(): Record<string, unknown> {
  return structuredClone(require(bundledSpecPath('composio')) as Record<string, unknown>);
}
