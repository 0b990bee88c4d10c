/**
 * `npm run release:dry`: the client (and the hooks package over it) as a release would publish them,
 * versioned by the pending changesets, with CHANGELOG and README in the tarball, publint and attw clean. And the
 * CHANGELOG lines link each entry to the spec diff that caused it.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '@connector-credentials/testkit';
// @ts-expect-error a plain .mjs module of the root commands, without types
import { getReleaseLine, specDiffLink } from '../../devtools/changelog.mjs';

const pending = readdirSync(path.join(repoRoot, '.changeset')).filter((f) => f.endsWith('.md') && f !== 'README.md');
const current = (JSON.parse(readFileSync(path.join(repoRoot, 'packages/client/package.json'), 'utf8')) as { version: string }).version;

describe('npm run release:dry', () => {
  it('packs a versioned client with its changelog and README; publint and attw are clean', () => {
    const output = execFileSync(process.execPath, ['packages/devtools/release-dry.mjs'], {
      cwd: repoRoot,
      encoding: 'utf8',
      env: { ...process.env, RELEASE_SKIP_BUILD: '1' },
    });
    const planned = /@connector-credentials\/client: \S+ -> (\S+)/.exec(output)?.[1];
    expect(planned).toBeDefined();
    if (pending.length > 0) expect(planned).not.toBe(current);
    expect(output).toContain(`Tarball: .cache/release/connector-credentials-client-${planned}.tgz`);
    expect(output).toContain('package/README.md');
    if (pending.length > 0) {
      expect(output).toContain('package/CHANGELOG.md');
      expect(output).toContain(`## ${planned}`);
    }
    expect(output).toContain('@connector-credentials/client publint: clean');
    expect(output).toContain('@connector-credentials/client attw (esm-only profile): clean');
    // The hooks package is published with it, depending on the client's new version.
    const hooks = /@connector-credentials\/react-query: \S+ -> (\S+)/.exec(output)?.[1];
    expect(hooks).toBeDefined();
    expect(output).toContain(`Tarball: .cache/release/connector-credentials-react-query-${hooks}.tgz`);
    expect(output).toContain(`Depends on: @connector-credentials/client@^${planned}`);
    expect(output).toContain('@connector-credentials/react-query publint: clean');
    expect(output).toContain('@connector-credentials/react-query attw (esm-only profile): clean');
    // Nothing in the working tree was versioned.
    expect(JSON.parse(readFileSync(path.join(repoRoot, 'packages/client/package.json'), 'utf8')).version).toBe(current);
  }, 120_000);
});

describe('the CHANGELOG lines', () => {
  it('link a spec-gate changeset to the spec diff from its baseline', async () => {
    const summary = 'Spec changes (aitronos 1.0.0 -> 2.0.0: 1 breaking)\n\n- aitronos, breaking: GET /x: field `a` removed\n\nSpec diff from: 0123456789abcdef0123456789abcdef01234567';
    const line: string = await getReleaseLine({ id: 'not-committed', summary, releases: [] }, 'major', { repository: null });
    expect(line).toBe('- Spec changes (aitronos 1.0.0 -> 2.0.0: 1 breaking) (spec diff: `git diff 0123456 -- openapi/`)\n  - aitronos, breaking: GET /x: field `a` removed');
  });

  it('a compare link when the repository is known', () => {
    expect(specDiffLink('aaaaaaaaaa', 'bbbbbbbbbb', 'https://github.com/acme/api/')).toBe('[spec diff aaaaaaa…bbbbbbb](https://github.com/acme/api/compare/aaaaaaaaaa...bbbbbbbbbb)');
  });

  it('no link for a changeset that did not come with a spec change', async () => {
    expect(await getReleaseLine({ id: 'not-committed', summary: 'Ship a README.', releases: [] }, 'patch', null)).toBe('- Ship a README.');
  });
});
