// `npm run package`: the server's production tree in .cache/package/server/, the one artifact the
// container image copies (deploy/Dockerfile). It builds the server and what it imports, then
// `pnpm deploy --prod` writes dist/ (as the server's "files" list it), its production dependencies
// in their own node_modules, and the bundled specs and docs page inside the injected
// @connector-credentials/openapi, which the server finds relative to itself. Type declaration
// packages (`@types/*`, pulled in by express-openapi-validator) are removed: Node never loads
// them. The tree runs anywhere with `node dist/main.js`; its size is printed.
// `--no-build` skips the build (the tests run it after turbo has built the server).
import { existsSync, lstatSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ensureInstalled, pnpm, root, run, turbo } from './bootstrap.mjs';

const packageDir = path.join(root, '.cache', 'package', 'server');
/** Development tools that must never be in the tree. */
const DEVELOPMENT_TOOLS = ['vitest', 'vite', 'typescript', '@stoplight/prism-cli', 'playwright', 'playwright-core', 'turbo', '@redocly/cli', 'tsx', 'fast-check'];

/** Every entry of the tree, as paths relative to it; symbolic links are listed, not followed. */
function walk(dir, visit) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    visit(full, entry);
    if (entry.isDirectory()) walk(full, visit);
  }
}

/** Names of the packages in a pnpm node_modules tree (its virtual store included). */
function installedPackages(dir) {
  const names = new Set();
  walk(dir, (full, entry) => {
    if (entry.name !== 'package.json') return;
    const parts = path.relative(dir, full).split(path.sep);
    const at = parts.lastIndexOf('node_modules');
    if (at === -1) return;
    const name = parts[at + 1]?.startsWith('@') ? `${parts[at + 1]}/${parts[at + 2]}` : parts[at + 1];
    if (parts.length === at + (name.includes('/') ? 4 : 3)) names.add(name);
  });
  return names;
}

function removeTypePackages(dir) {
  const store = path.join(dir, 'node_modules', '.pnpm');
  for (const name of readdirSync(store)) if (name.startsWith('@types+')) rmSync(path.join(store, name), { recursive: true, force: true });
  const links = [];
  walk(path.join(dir, 'node_modules'), (full, entry) => {
    if (entry.name === '@types' && path.basename(path.dirname(full)) === 'node_modules') links.push(full);
  });
  for (const link of links) rmSync(link, { recursive: true, force: true });
}

/** Bytes of the tree, each hard-linked file counted once, and its file count. */
function sizeOf(dir) {
  const seen = new Set();
  let bytes = 0;
  let files = 0;
  walk(dir, (full, entry) => {
    if (!entry.isFile()) return;
    const stat = lstatSync(full);
    files += 1;
    if (seen.has(stat.ino)) return;
    seen.add(stat.ino);
    bytes += stat.size;
  });
  return { bytes, files };
}

ensureInstalled();
if (!process.argv.includes('--no-build')) {
  turbo('build', '--filter=@connector-credentials/server...', '--output-logs=errors-only');
}
rmSync(packageDir, { recursive: true, force: true });
run(pnpm[0], [...pnpm.slice(1), '--filter', '@connector-credentials/server', 'deploy', '--prod', '--prefer-offline', '--reporter=append-only', '--loglevel=warn', packageDir]);
removeTypePackages(packageDir);

const missing = ['dist/main.js', 'node_modules/@connector-credentials/openapi/dist/aitronos.json', 'node_modules/@connector-credentials/openapi/dist/docs/aitronos.html'].filter(
  (file) => !existsSync(path.join(packageDir, file)),
);
const installed = installedPackages(path.join(packageDir, 'node_modules'));
const tools = [...installed].filter((name) => DEVELOPMENT_TOOLS.includes(name) || name.startsWith('@types/'));
if (missing.length || tools.length) {
  console.error(`The packaged tree is wrong:${missing.map((f) => `\n  missing ${f}`).join('')}${tools.map((t) => `\n  holds the development tool ${t}`).join('')}`);
  process.exit(1);
}
const { bytes, files } = sizeOf(packageDir);
console.log(
  `Packaged the server into ${path.relative(root, packageDir)}/: ${(bytes / 1024 / 1024).toFixed(1)} MiB in ${files} files, ${installed.size} production packages. ` +
    'Run it with `node dist/main.js` from that directory (see README, "Deploy").',
);
