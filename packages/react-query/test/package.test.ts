/**
 * The packed tarball is what frontend teams install: ESM with its types, react and TanStack
 * Query left to the app (peer dependencies), publint and arethetypeswrong clean.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publint } from 'publint';

const packageDir = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
const require = createRequire(import.meta.url);

let work: string;
let tarballPath: string;

beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'react-query-pack-'));
  execFileSync('pnpm', ['pack', '--pack-destination', work], { cwd: packageDir, stdio: 'pipe' });
  const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'));
  if (!tarball) throw new Error('pnpm pack produced no tarball');
  tarballPath = path.join(work, tarball);
}, 120_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the packed hooks package', () => {
  it('ships its ESM build and types, with react and TanStack Query as peers and the client as a versioned dependency', () => {
    const files = execFileSync('tar', ['-tzf', tarballPath], { encoding: 'utf8' }).trim().split('\n');
    expect(files).toEqual(expect.arrayContaining(['package/package.json', 'package/dist/index.js', 'package/dist/index.d.ts', 'package/README.md']));
    expect(files.filter((f) => f.startsWith('package/test') || f.startsWith('package/src'))).toEqual([]);
    const manifest = JSON.parse(execFileSync('tar', ['-xzOf', tarballPath, 'package/package.json'], { encoding: 'utf8' })) as {
      dependencies: Record<string, string>;
      peerDependencies: Record<string, string>;
    };
    expect(Object.keys(manifest.peerDependencies).sort()).toEqual(['@tanstack/react-query', 'react']);
    expect(manifest.dependencies['@connector-credentials/client']).toMatch(/^\^\d+\.\d+\.\d+$/);
    expect(Object.keys(manifest.dependencies)).not.toContain('react');
  });

  it('passes arethetypeswrong for ESM and types (the package is ESM-only by design)', () => {
    const attw = path.join(path.dirname(require.resolve('@arethetypeswrong/cli/package.json')), 'dist', 'index.js');
    const output = execFileSync(process.execPath, [attw, tarballPath, '--profile', 'esm-only', '--format', 'json'], { encoding: 'utf8', stdio: 'pipe' });
    const { analysis, problems } = JSON.parse(output) as {
      analysis: { types: { kind: string } };
      problems: Record<string, Array<{ resolutionKind?: string }>>;
    };
    expect(analysis.types.kind).toBe('included');
    const counted = Object.values(problems).flat().filter((p) => p.resolutionKind !== 'node16-cjs' && p.resolutionKind !== 'node10');
    expect(counted).toEqual([]);
  });

  it('passes publint with no messages', async () => {
    const { messages } = await publint({ pkgDir: packageDir, strict: true });
    expect(messages).toEqual([]);
  });
});
