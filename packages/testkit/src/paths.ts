import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** Root of the repository (two levels above this package). */
export const repoRoot = path.resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');

/**
 * Path of a bundled spec built by `openapi`'s `bundle` task, located by the openapi package itself
 * (imported by path: that package's tests depend on this one).
 */
export { bundledSpecPath as openapiBundlePath } from '../../../openapi/locate.js';
