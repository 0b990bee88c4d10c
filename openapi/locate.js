// The one way to locate what this package builds: the bundled specs and their HTML docs.
import { fileURLToPath } from 'node:url';

/** Path of a bundled spec, `dist/<api>.json|yaml`. */
export function bundledSpecPath(api, format = 'json') {
  return fileURLToPath(new URL(`./dist/${api}.${format}`, import.meta.url));
}

/** Path of the HTML reference docs Redocly built for a spec, `dist/docs/<api>.html`. */
export function docsPath(api) {
  return fileURLToPath(new URL(`./dist/docs/${api}.html`, import.meta.url));
}
