import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The bundled specs, built by the `openapi` package from the hand-written sources. */
export function loadAitronosSpec(): Record<string, unknown> {
  return structuredClone(require('@connector-credentials/openapi/aitronos.json') as Record<string, unknown>);
}

export function loadComposioSpec(): Record<string, unknown> {
  return structuredClone(require('@connector-credentials/openapi/composio.json') as Record<string, unknown>);
}
