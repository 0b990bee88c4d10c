// `npm run release:dry`: what a release of the published packages would publish, without changing
// anything here. Builds them, applies the pending changesets (`changeset version`) to a copy of
// the workspace's manifests in a temp dir, packs each published package from there into
// .cache/release/, and runs publint and arethetypeswrong on each tarball. Prints each version, its
// CHANGELOG entry and its tarball's files; exits 1 when publint or attw has anything to say.
// The published packages: the client, and the TanStack Query hooks over it.
// RELEASE_SKIP_BUILD: the test of this command runs inside the test pipeline, which has built already.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ensureInstalled, pnpm, root, turbo } from './bootstrap.mjs';

const CLIENT = 'packages/client';
const PUBLISHED = [CLIENT, 'packages/react-query'];
if (!process.env.RELEASE_SKIP_BUILD) {
  ensureInstalled();
  turbo('build', '--filter=@connector-credentials/client', '--filter=@connector-credentials/react-query', '--output-logs=errors-only');
}

const copy = mkdtempSync(path.join(tmpdir(), 'release-dry-'));
const out = path.join(root, '.cache', 'release');
let failed = false;
try {
  // What Changesets and pnpm pack read: the workspace's manifests, the changesets, the published packages' files.
  const workspaces = ['openapi', ...['packages', 'apps'].flatMap((dir) => readdirSync(path.join(root, dir)).map((name) => `${dir}/${name}`))];
  for (const file of ['package.json', 'pnpm-workspace.yaml', '.changeset', 'packages/devtools/changelog.mjs', ...workspaces.map((w) => `${w}/package.json`)]) {
    if (existsSync(path.join(root, file))) cpSync(path.join(root, file), path.join(copy, file), { recursive: true });
  }
  for (const pkg of PUBLISHED) {
    for (const file of ['README.md', 'CHANGELOG.md', 'dist']) {
      if (existsSync(path.join(root, pkg, file))) cpSync(path.join(root, pkg, file), path.join(copy, pkg, file), { recursive: true });
    }
  }
  const manifest = (pkg) => JSON.parse(readFileSync(path.join(copy, pkg, 'package.json'), 'utf8'));
  const before = Object.fromEntries(PUBLISHED.map((pkg) => [pkg, manifest(pkg).version]));

  const pending = readdirSync(path.join(copy, '.changeset')).filter((f) => f.endsWith('.md') && f !== 'README.md');
  if (pending.length === 0) {
    console.log('No pending changesets: the packages are as they are.');
  } else {
    const changeset = path.join(path.dirname(createRequire(path.join(root, 'package.json')).resolve('@changesets/cli/package.json')), 'bin.js');
    execFileSync('git', ['init', '-q'], { cwd: copy });
    execFileSync(process.execPath, [changeset, 'version'], { cwd: copy, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, CHANGELOG_REPO_ROOT: root } });
  }

  const fromClient = createRequire(path.join(root, CLIENT, 'package.json'));
  const { publint } = await import(fromClient.resolve('publint'));
  // arethetypeswrong is the test kit's, which the packages' own tests run it through.
  const fromTestkit = createRequire(path.join(root, 'packages', 'testkit', 'package.json'));
  const attw = path.join(path.dirname(fromTestkit.resolve('@arethetypeswrong/cli/package.json')), 'dist', 'index.js');
  mkdirSync(out, { recursive: true });

  for (const pkg of PUBLISHED) {
    const { name, version } = manifest(pkg);
    console.log(`\n${name}: ${before[pkg]} -> ${version} (${pending.length} changeset${pending.length === 1 ? '' : 's'} pending in all)`);
    const changelog = path.join(copy, pkg, 'CHANGELOG.md');
    if (existsSync(changelog)) {
      const entry = readFileSync(changelog, 'utf8').split(/\n(?=## )/).find((section) => section.startsWith(`## ${version}`));
      console.log(`\nCHANGELOG.md\n${entry ?? '(no entry for this version)'}`);
    }

    const tarball = path.join(out, `${name.replace(/^@/, '').replace('/', '-')}-${version}.tgz`);
    rmSync(tarball, { force: true });
    execFileSync(pnpm[0], [...pnpm.slice(1), 'pack', '--pack-destination', out], { cwd: path.join(copy, pkg), stdio: ['ignore', 'ignore', 'inherit'] });
    console.log(`\nTarball: ${path.relative(root, tarball)}\n${execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).trim().split('\n').map((f) => `  ${f}`).join('\n')}`);
    const packed = JSON.parse(execFileSync('tar', ['-xzOf', tarball, 'package/package.json'], { encoding: 'utf8' }));
    const internal = Object.entries(packed.dependencies ?? {}).filter(([dep]) => dep.startsWith('@connector-credentials/'));
    if (internal.length > 0) console.log(`Depends on: ${internal.map(([dep, range]) => `${dep}@${range}`).join(', ')}`);

    const bytes = readFileSync(tarball);
    const { messages } = await publint({ pack: { tarball: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) }, strict: true });
    console.log(`\n${name} publint: ${messages.length === 0 ? 'clean' : JSON.stringify(messages, null, 2)}`);
    if (messages.length > 0) failed = true;

    try {
      // ESM only by design: the esm-only profile leaves out the CommonJS resolutions.
      execFileSync(process.execPath, [attw, tarball, '--profile', 'esm-only', '--format', 'table-flipped'], { stdio: ['ignore', 'pipe', 'pipe'] });
      console.log(`${name} attw (esm-only profile): clean`);
    } catch (error) {
      console.log(`${name} attw (esm-only profile):\n${error.stdout ?? ''}${error.stderr ?? ''}`);
      failed = true;
    }
  }
  const planned = PUBLISHED.map((pkg) => `${manifest(pkg).name}@${manifest(pkg).version}`).join(', ');
  console.log(failed ? '\nrelease:dry: NOT publishable as is' : `\nrelease:dry: ${planned} would be published (nothing was changed here)`);
} finally {
  rmSync(copy, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
