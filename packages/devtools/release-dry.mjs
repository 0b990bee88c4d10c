// `pnpm release:dry`: what a release of the client would publish, without changing anything here.
// Builds the client, applies the pending changesets (`changeset version`) to a copy of the
// workspace's manifests in a temp dir, packs the client from there into .cache/release/, and
// runs publint and arethetypeswrong on that tarball. Prints the version, the CHANGELOG entry and
// the tarball's files; exits 1 when publint or attw has anything to say.
// RELEASE_SKIP_BUILD: the test of this command runs inside the test pipeline, which has built already.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ensureInstalled, pnpm, root, run } from './bootstrap.mjs';

const CLIENT = 'packages/client';
if (!process.env.RELEASE_SKIP_BUILD) {
  ensureInstalled();
  run(pnpm[0], [...pnpm.slice(1), 'exec', 'turbo', 'run', 'build', '--filter=@connector-credentials/client', '--output-logs=errors-only'], {
    env: { ...process.env, REDOCLY_TELEMETRY: 'off', TURBO_TELEMETRY_DISABLED: '1' },
  });
}

const copy = mkdtempSync(path.join(tmpdir(), 'release-dry-'));
const out = path.join(root, '.cache', 'release');
let failed = false;
try {
  // What Changesets and pnpm pack read: the workspace's manifests, the changesets, the client's files.
  const workspaces = ['openapi', ...['packages', 'apps'].flatMap((dir) => readdirSync(path.join(root, dir)).map((name) => `${dir}/${name}`))];
  for (const file of ['package.json', 'pnpm-workspace.yaml', '.changeset', 'packages/devtools/changelog.mjs', ...workspaces.map((w) => `${w}/package.json`)]) {
    if (existsSync(path.join(root, file))) cpSync(path.join(root, file), path.join(copy, file), { recursive: true });
  }
  for (const file of ['README.md', 'CHANGELOG.md', 'dist']) {
    if (existsSync(path.join(root, CLIENT, file))) cpSync(path.join(root, CLIENT, file), path.join(copy, CLIENT, file), { recursive: true });
  }
  const manifest = () => JSON.parse(readFileSync(path.join(copy, CLIENT, 'package.json'), 'utf8'));
  const before = manifest().version;

  const pending = readdirSync(path.join(copy, '.changeset')).filter((f) => f.endsWith('.md') && f !== 'README.md');
  if (pending.length === 0) {
    console.log(`No pending changesets: this is ${manifest().name}@${before} as it is.`);
  } else {
    const changeset = path.join(path.dirname(createRequire(path.join(root, 'package.json')).resolve('@changesets/cli/package.json')), 'bin.js');
    execFileSync('git', ['init', '-q'], { cwd: copy });
    execFileSync(process.execPath, [changeset, 'version'], { cwd: copy, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, CHANGELOG_REPO_ROOT: root } });
  }
  const { name, version } = manifest();
  console.log(`\n${name}: ${before} -> ${version} (${pending.length} changeset${pending.length === 1 ? '' : 's'})`);
  const changelog = path.join(copy, CLIENT, 'CHANGELOG.md');
  if (existsSync(changelog)) {
    const entry = readFileSync(changelog, 'utf8').split(/\n(?=## )/).find((section) => section.startsWith(`## ${version}`));
    console.log(`\nCHANGELOG.md\n${entry ?? '(no entry for this version)'}`);
  }

  mkdirSync(out, { recursive: true });
  const tarball = path.join(out, `${name.replace(/^@/, '').replace('/', '-')}-${version}.tgz`);
  rmSync(tarball, { force: true });
  execFileSync(pnpm[0], [...pnpm.slice(1), 'pack', '--pack-destination', out], { cwd: path.join(copy, CLIENT), stdio: ['ignore', 'ignore', 'inherit'] });
  console.log(`\nTarball: ${path.relative(root, tarball)}\n${execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).trim().split('\n').map((f) => `  ${f}`).join('\n')}`);

  const fromClient = createRequire(path.join(root, CLIENT, 'package.json'));
  const { publint } = await import(fromClient.resolve('publint'));
  const bytes = readFileSync(tarball);
  const { messages } = await publint({ pack: { tarball: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) }, strict: true });
  console.log(`\npublint: ${messages.length === 0 ? 'clean' : JSON.stringify(messages, null, 2)}`);
  if (messages.length > 0) failed = true;

  const attw = path.join(path.dirname(fromClient.resolve('@arethetypeswrong/cli/package.json')), 'dist', 'index.js');
  try {
    // ESM only by design: the esm-only profile leaves out the CommonJS resolutions.
    execFileSync(process.execPath, [attw, tarball, '--profile', 'esm-only', '--format', 'table-flipped'], { stdio: ['ignore', 'pipe', 'pipe'] });
    console.log('attw (esm-only profile): clean');
  } catch (error) {
    console.log(`attw (esm-only profile):\n${error.stdout ?? ''}${error.stderr ?? ''}`);
    failed = true;
  }
  console.log(failed ? '\nrelease:dry: NOT publishable as is' : `\nrelease:dry: ${name}@${version} would be published (nothing was changed here)`);
} finally {
  rmSync(copy, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
