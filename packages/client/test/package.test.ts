/**
 * The packed tarball is what other teams install: it must install into an empty project with
 * openapi-fetch as its only dependency, compile under `tsc --strict`, run, and pass publint.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { publint } from 'publint';
import { attw } from '@connector-credentials/testkit/attw';

const packageDir = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
const require = createRequire(import.meta.url);
const tsc = path.join(path.dirname(require.resolve('typescript/package.json')), 'bin', 'tsc');

let work: string;
let consumer: string;
let tarballPath: string;

const consumerSource = `
import { ApiError, createAitronosClient, type ConnectorCredentials, type ErrorCode } from '@connector-credentials/client';

const baseUrl = process.argv[2] ?? 'http://127.0.0.1:3000';
const client = createAitronosClient({ baseUrl, apiKey: 'k', timeoutMs: 5_000 });

export async function summary(id: string): Promise<string> {
  try {
    const credentials: ConnectorCredentials = await client.getAdminCredentials(id, { headers: { Prefer: 'example=oauth2_active' } });
    const token: string | undefined = credentials.credentials.access_token;
    const expiresIn: number | null | undefined = credentials.credentials.expires_in;
    const redacted: boolean = credentials.is_redacted;
    // @ts-expect-error connection_id is a string, never a number
    const wrong: number = credentials.connection_id;
    void wrong;
    return [credentials.connection_id, credentials.app_name, credentials.status, token ? 'token' : 'no-token', expiresIn, redacted].join(' ');
  } catch (error) {
    if (error instanceof ApiError) {
      const code: ErrorCode | string = error.code;
      return 'error ' + code + ' ' + error.status;
    }
    throw error;
  }
}

console.log(await summary('tcred_7Hq2LmX9pR4vN8sK3dWz'));
`;


beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'client-pack-'));
  execFileSync('pnpm', ['pack', '--pack-destination', work], { cwd: packageDir, stdio: 'pipe' });
  const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'));
  if (!tarball) throw new Error('pnpm pack produced no tarball');
  tarballPath = path.join(work, tarball);
  consumer = path.join(work, 'consumer');
  execFileSync('mkdir', ['-p', consumer]);
  writeFileSync(path.join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  // An empty npm cache of its own: the install must reach the registry, through nothing but the
  // settings this process inherited (the machine's npmrc, CA bundle and proxy variables).
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error', '--cache', path.join(work, 'npm-cache'), path.join(work, tarball)], {
    cwd: consumer,
    stdio: 'pipe',
  });
  writeFileSync(path.join(consumer, 'index.ts'), consumerSource);
  // The consumer only has the DOM and ES libs: declare the one Node global it reads.
  writeFileSync(path.join(consumer, 'globals.d.ts'), 'declare const process: { argv: string[] };\n');
}, 180_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the packed client', () => {
  it('installs on a machine whose registry is trusted through NODE_EXTRA_CA_CERTS alone (npm configured with no CA of its own)', () => {
    const bare = path.join(work, 'extra-ca-only');
    mkdirSync(bare);
    writeFileSync(path.join(bare, 'package.json'), JSON.stringify({ name: 'extra-ca-only', private: true, type: 'module' }));
    const [globalrc, userrc] = [path.join(work, 'empty-global-npmrc'), path.join(work, 'empty-user-npmrc')];
    for (const file of [globalrc, userrc]) writeFileSync(file, '');
    const registry = execFileSync('npm', ['config', 'get', 'registry'], { encoding: 'utf8' }).trim();
    // No npm setting survives but the registry's address: no npmrc, no cafile, no npm_config_* of
    // the run. Proxy variables and NODE_EXTRA_CA_CERTS stay, as the suite inherited them.
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_config_/i.test(name)));
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error', tarballPath], {
      cwd: bare,
      stdio: 'pipe',
      env: { ...env, npm_config_globalconfig: globalrc, npm_config_userconfig: userrc, npm_config_registry: registry, npm_config_cache: path.join(work, 'npm-cache-extra-ca') },
    });
    const installed = JSON.parse(readFileSync(path.join(bare, 'node_modules/openapi-fetch/package.json'), 'utf8')) as { name: string };
    expect(installed.name).toBe('openapi-fetch');
  });

  it('brings openapi-fetch as its only dependency', () => {
    const installed = JSON.parse(readFileSync(path.join(consumer, 'node_modules/@connector-credentials/client/package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
    };
    expect(Object.keys(installed.dependencies ?? {})).toEqual(['openapi-fetch']);
    const declarations = readFileSync(path.join(consumer, 'node_modules/@connector-credentials/client/dist/index.d.ts'), 'utf8');
    expect(declarations).not.toContain('@connector-credentials/types');
  });

  it.each(['nodenext', 'bundler'])('compiles in a strict consumer (moduleResolution %s)', (resolution) => {
    const args = [
      tsc,
      '--noEmit',
      '--strict',
      '--target',
      'es2022',
      '--lib',
      'es2022,dom',
      '--module',
      resolution === 'bundler' ? 'esnext' : 'nodenext',
      '--moduleResolution',
      resolution,
      '--skipLibCheck',
      'false',
      'index.ts',
      'globals.d.ts',
    ];
    expect(() => execFileSync(process.execPath, args, { cwd: consumer, stdio: 'pipe' })).not.toThrow();
  });

  it('runs: the consumer fetches credentials from the Aitronos mock', () => {
    execFileSync(process.execPath, [tsc, '--strict', '--target', 'es2022', '--lib', 'es2022,dom', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--outDir', 'out', 'index.ts', 'globals.d.ts'], { cwd: consumer, stdio: 'pipe' });
    const output = execFileSync(process.execPath, ['out/index.js', inject('aitronosMockUrl')], { cwd: consumer, encoding: 'utf8' });
    expect(output.trim()).toBe('ca_Xo9ADr3cBz1p googledrive ACTIVE token 3599 false');
  });

  it('passes arethetypeswrong for ESM and types (the package is ESM-only by design)', () => {
    const { typesKind, problems } = attw(tarballPath);
    expect(typesKind).toBe('included');
    expect(problems).toEqual([]);
  });

  it('passes publint with no messages', async () => {
    const { messages } = await publint({ pkgDir: packageDir, strict: true });
    expect(messages).toEqual([]);
  });
});
