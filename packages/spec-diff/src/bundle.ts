import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';

const require = createRequire(import.meta.url);
const redocly = path.join(path.dirname(require.resolve('@redocly/cli/package.json')), 'bin', 'cli.js');

/** Bundled specs by API name (`aitronos`, `composio`: the part of redocly.yaml's `apis` key before `@`). */
export type Bundles = Record<string, unknown>;

const git = (root: string, args: string[]) => execFileSync('git', ['-C', root, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

/** Bundles every API that `<openapiDir>/redocly.yaml` lists, with Redocly, into memory. */
export function bundleSpecs(openapiDir: string): Bundles {
  const config = parse(readFileSync(path.join(openapiDir, 'redocly.yaml'), 'utf8')) as { apis?: Record<string, unknown> };
  const out = mkdtempSync(path.join(tmpdir(), 'spec-bundle-'));
  try {
    const bundles: Bundles = {};
    for (const api of Object.keys(config.apis ?? {})) {
      const file = path.join(out, `${api.replace(/@.*/, '')}.json`);
      execFileSync(process.execPath, [redocly, 'bundle', api, '-o', file], {
        cwd: openapiDir,
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { ...process.env, REDOCLY_TELEMETRY: 'off' },
      });
      bundles[api.replace(/@.*/, '')] = JSON.parse(readFileSync(file, 'utf8'));
    }
    return bundles;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** Bundles the specs as they are at git `ref`: its `openapi/` is extracted into a temp dir first. */
export function bundleSpecsAt(root: string, ref: string): Bundles {
  const dir = mkdtempSync(path.join(tmpdir(), 'spec-at-ref-'));
  try {
    const tar = execFileSync('git', ['-C', root, 'archive', '--format=tar', ref, 'openapi'], { maxBuffer: 256 * 1024 * 1024 });
    mkdirSync(dir, { recursive: true });
    execFileSync('tar', ['-x', '-C', dir], { input: tar });
    return bundleSpecs(path.join(dir, 'openapi'));
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
