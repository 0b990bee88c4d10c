import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseDocument } from 'yaml';

const require = createRequire(import.meta.url);
const redocly = path.join(path.dirname(require.resolve('@redocly/cli/package.json')), 'bin', 'cli.js');

/** Bundled specs by API name (`aitronos`, `composio`: the part of redocly.yaml's `apis` key before `@`). */
export type Bundles = Record<string, unknown>;

const git = (root: string, args: string[]) => execFileSync('git', ['-C', root, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

/** What an openapi/ folder holds besides its specs and config: left out of the copy that is bundled. */
const NOT_SPECS = new Set(['node_modules', 'dist', 'test-results', '.turbo']);

/**
 * Bundles every API that `<openapiDir>/redocly.yaml` lists, with Redocly, into memory: one CLI
 * run for all of them. The folder is bundled in a copy whose redocly.yaml gives each API an
 * `output` file of its own (the roots share a file name, so `-o` would write them to one file);
 * `inPlace` bundles the folder itself, for a folder that is already a scratch copy.
 */
export function bundleSpecs(openapiDir: string, { inPlace = false }: { inPlace?: boolean } = {}): Bundles {
  const scratch = mkdtempSync(path.join(tmpdir(), 'spec-bundle-'));
  try {
    const dir = inPlace ? openapiDir : path.join(scratch, 'openapi');
    if (!inPlace) cpSync(openapiDir, dir, { recursive: true, filter: (source) => !NOT_SPECS.has(path.relative(openapiDir, source).split(path.sep)[0]!) });
    const config = parseDocument(readFileSync(path.join(dir, 'redocly.yaml'), 'utf8'));
    const apis = (config.toJS() as { apis?: Record<string, unknown> }).apis ?? {};
    const outputs = Object.keys(apis).map((api) => {
      const name = api.replace(/@.*/, '');
      return { api, name, file: path.join(scratch, 'out', `${name}.json`) };
    });
    if (outputs.length === 0) return {};
    for (const { api, file } of outputs) config.setIn(['apis', api, 'output'], file);
    writeFileSync(path.join(dir, 'redocly.yaml'), config.toString());
    execFileSync(process.execPath, [redocly, 'bundle'], {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, REDOCLY_TELEMETRY: 'off' },
    });
    return Object.fromEntries(outputs.map(({ name, file }) => [name, JSON.parse(readFileSync(file, 'utf8'))]));
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Bundles the specs as they are at git `ref`: its `openapi/` is extracted into a temp dir first. */
export function bundleSpecsAt(root: string, ref: string): Bundles {
  const dir = mkdtempSync(path.join(tmpdir(), 'spec-at-ref-'));
  try {
    const tar = execFileSync('git', ['-C', root, 'archive', '--format=tar', ref, 'openapi'], { maxBuffer: 256 * 1024 * 1024 });
    mkdirSync(dir, { recursive: true });
    execFileSync('tar', ['-x', '-C', dir], { input: tar });
    return bundleSpecs(path.join(dir, 'openapi'), { inPlace: true });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The default baseline: the newest `aitronos-api@*` tag, else the previous commit (undefined when neither exists). */
export function defaultRef(root: string): string | undefined {
  const tags = git(root, ['tag', '--list', 'aitronos-api@*', '--sort=-v:refname']).split('\n').filter(Boolean);
  if (tags[0]) return tags[0];
  try {
    git(root, ['rev-parse', '--verify', '--quiet', 'HEAD~1^{commit}']);
    return 'HEAD~1';
  } catch {
    return undefined;
  }
}

export function repoRootOf(dir: string): string {
  return git(dir, ['rev-parse', '--show-toplevel']);
}
