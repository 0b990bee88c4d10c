/**
 * The packed tarball is what frontend teams install: ESM with its types, react and TanStack
 * Query left to the app (peer dependencies), publint and arethetypeswrong clean; installed with
 * the packed client into an empty project, a React component using the hooks compiles under
 * `tsc --strict`, and a wrong use of the typed data does not.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publint } from 'publint';
import { attw } from '@connector-credentials/testkit/attw';

const packageDir = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
const require = createRequire(import.meta.url);

const clientDir = path.resolve(packageDir, '../client');
const tsc = path.join(path.dirname(require.resolve('typescript/package.json')), 'bin', 'tsc');
/** The versions this workspace uses, for the consumer's own installs. */
const versionOf = (name: string) => (JSON.parse(execFileSync('node', ['-p', `JSON.stringify(require('${name}/package.json'))`], { cwd: packageDir, encoding: 'utf8' })) as { version: string }).version;

let work: string;
let tarballPath: string;
let consumer: string;

const consumerSource = `
import { createAitronosClient } from '@connector-credentials/client';
import { connectionKeys, createConnectionsHooks, type ConnectionsError } from '@connector-credentials/react-query';

const hooks = createConnectionsHooks(createAitronosClient({ baseUrl: 'https://app.example/api', retry: { retries: 0 } }));
export const key: readonly unknown[] = connectionKeys.list('googledrive', 'org_1');

export function Connections() {
  const list = hooks.useConnections('googledrive', 'org_1');
  const toggle = hooks.useSetConnectionActive();
  if (list.isError) {
    const error: ConnectionsError = list.error;
    const trace: string | undefined = error.traceId;
    return <p role="alert">{error.message} {error.code} {trace} {error.envelope?.error.trace_id}</p>;
  }
  if (!list.data) return <p>Loading</p>;
  const first = list.data.connections[0];
  // @ts-expect-error is_active is a boolean
  const wrong: string | undefined = first?.is_active;
  void wrong;
  // @ts-expect-error the toggle takes the spec's request: is_active, not active
  toggle.mutate({ params: { path: { credential_id: 'tcred_1' } }, body: { active: true } });
  return (
    <ul>
      {list.data.connections.map((c) => (
        <li key={c.id}>
          {c.display_name} {c.account_email}
          <button role="switch" aria-checked={c.is_active} onClick={() => toggle.mutate({ params: { path: { credential_id: c.id } }, body: { is_active: !c.is_active } })} />
        </li>
      ))}
    </ul>
  );
}
`;

beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'react-query-pack-'));
  execFileSync('pnpm', ['pack', '--pack-destination', work], { cwd: packageDir, stdio: 'pipe' });
  const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'));
  if (!tarball) throw new Error('pnpm pack produced no tarball');
  tarballPath = path.join(work, tarball);
  const clientPack = path.join(work, 'client');
  mkdirSync(clientPack);
  execFileSync('pnpm', ['pack', '--pack-destination', clientPack], { cwd: clientDir, stdio: 'pipe' });
  const clientTarball = path.join(clientPack, readdirSync(clientPack).find((f) => f.endsWith('.tgz'))!);

  consumer = path.join(work, 'consumer');
  mkdirSync(consumer);
  writeFileSync(path.join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  const peers = ['react', '@tanstack/react-query', '@types/react'].map((name) => `${name}@${versionOf(name)}`);
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error', clientTarball, tarballPath, ...peers], { cwd: consumer, stdio: 'pipe' });
  writeFileSync(path.join(consumer, 'index.tsx'), consumerSource);
}, 180_000);

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
    const { typesKind, problems } = attw(tarballPath);
    expect(typesKind).toBe('included');
    expect(problems).toEqual([]);
  });

  it.each(['nodenext', 'bundler'])('a React component using the hooks compiles in a strict consumer (moduleResolution %s)', (resolution) => {
    const args = [tsc, '--noEmit', '--strict', '--target', 'es2022', '--lib', 'es2022,dom', '--jsx', 'react-jsx', '--module', resolution === 'bundler' ? 'esnext' : 'nodenext', '--moduleResolution', resolution, '--skipLibCheck', 'false', 'index.tsx'];
    const run = () => execFileSync(process.execPath, args, { cwd: consumer, encoding: 'utf8', stdio: 'pipe' });
    expect(run).not.toThrow();
  });

  it('passes publint with no messages', async () => {
    const { messages } = await publint({ pkgDir: packageDir, strict: true });
    expect(messages).toEqual([]);
  });
});
