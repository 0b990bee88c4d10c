import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** Path of a bundled spec (`openapi/dist/<api>.json`), built by the openapi package. */
export function bundledSpecPath(api: 'aitronos' | 'composio'): string {
  return require.resolve(`@connector-credentials/openapi/${api}.json`);
}
