import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** Root of the repository (two levels above this package). */
export const repoRoot = path.resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');

/** Path of a bundled spec built by `openapi`'s `bundle` task. */
export function openapiBundlePath(api: 'aitronos' | 'composio', ext: 'json' | 'yaml' = 'json'): string {
  return path.join(repoRoot, 'openapi', 'dist', `${api}.${ext}`);
}
