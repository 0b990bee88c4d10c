/**
 * `npm run package` as operators use it: the tree copied outside the repository and started with
 * plain `node dist/main.js` in production settings, on a Prism mock of Composio.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerfileParser } from 'dockerfile-ast';
import { parse } from 'yaml';
import { freePort, repoRoot, startPrism, type PrismProcess } from '@connector-credentials/testkit';
import { adminHeaders, API_KEYS_JSON, COMPOSIO_KEY, copyPackage, deployDir, startPackaged, type Instance } from './support.js';

/** Tools that must never ship, besides every devDependency of the server. */
const DEVELOPMENT_TOOLS = ['vitest', 'vite', 'typescript', '@stoplight/prism-cli', 'playwright', 'playwright-core', 'turbo', '@redocly/cli', 'tsx', 'esbuild'];

/** Every file, directory and link of a tree (links listed, not followed), relative to it. */
function entries(dir: string): string[] {
  return (readdirSync(dir, { recursive: true, withFileTypes: false }) as string[]).sort();
}

/** Names of the packages installed in a pnpm tree, its virtual store included. */
function installedPackages(dir: string): Set<string> {
  const names = new Set<string>();
  for (const entry of entries(path.join(dir, 'node_modules'))) {
    const parts = entry.split(path.sep);
    if (parts.at(-1) !== 'package.json') continue;
    const at = parts.lastIndexOf('node_modules');
    if (at === -1) continue;
    const scoped = parts[at + 1]!.startsWith('@');
    if (parts.length !== at + (scoped ? 4 : 3)) continue;
    names.add(scoped ? `${parts[at + 1]}/${parts[at + 2]}` : parts[at + 1]!);
  }
  return names;
}

/** Path, size and modification time of every entry: what a read-only root file system keeps. */
function snapshot(dir: string): string[] {
  return entries(dir).map((entry) => {
    const stat = lstatSync(path.join(dir, entry));
    return `${entry} ${stat.size} ${stat.mtimeMs}`;
  });
}

let copy: ReturnType<typeof copyPackage>;
let prism: PrismProcess;
let dataDir: string;
let tmpDir: string;
let server: Instance;
let before: string[];

beforeAll(async () => {
  copy = copyPackage();
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'connector-credentials-data-'));
  tmpDir = mkdtempSync(path.join(os.tmpdir(), 'connector-credentials-tmp-'));
  // Prism on the Composio spec the tree carries, as deploy/compose.yaml mounts it.
  prism = await startPrism({ spec: path.join(copy.dir, 'node_modules', '@connector-credentials', 'openapi', 'dist', 'composio.json') });
  before = snapshot(copy.dir);
  server = await startPackaged(copy.dir, {
    COMPOSIO_BASE_URL: prism.url,
    COMPOSIO_API_KEY: COMPOSIO_KEY,
    API_KEYS: API_KEYS_JSON,
    DATA_DIR: dataDir,
    TMPDIR: tmpDir,
  });
});

afterAll(async () => {
  await server?.stop();
  await prism?.stop();
  copy?.remove();
  for (const dir of [dataDir, tmpDir]) if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the packaged server tree, copied outside the repository', () => {
  it('holds dist/, production dependencies, the bundled specs and the docs page, and no development tool', () => {
    expect(path.relative(repoRoot, copy.dir).startsWith('..')).toBe(true);
    const top = readdirSync(copy.dir).sort();
    expect(top).toEqual(expect.arrayContaining(['dist', 'node_modules', 'package.json']));
    expect(top).not.toContain('src');
    expect(top).not.toContain('test');
    const files = entries(copy.dir);
    expect(files).toContain(path.join('dist', 'main.js'));
    // The development entry starts Prism: it is left out.
    expect(files).not.toContain(path.join('dist', 'local.js'));
    const openapi = path.join('node_modules', '@connector-credentials', 'openapi', 'dist');
    for (const file of ['aitronos.json', 'aitronos.yaml', 'composio.json', path.join('docs', 'aitronos.html')]) {
      expect(lstatSync(path.join(copy.dir, openapi, file)).isFile(), file).toBe(true);
    }

    const installed = installedPackages(copy.dir);
    const server = JSON.parse(readFileSync(path.join(repoRoot, 'apps', 'server', 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    for (const name of Object.keys(server.dependencies)) expect(installed, name).toContain(name);
    const development = [...new Set([...DEVELOPMENT_TOOLS, ...Object.keys(server.devDependencies)])];
    expect(development.filter((name) => installed.has(name))).toEqual([]);
    expect([...installed].filter((name) => name.startsWith('@types/'))).toEqual([]);
  });

  it("ships the workspace's patched dependencies as patched (pnpm-workspace.yaml patchedDependencies)", () => {
    const workspace = parse(readFileSync(path.join(repoRoot, 'pnpm-workspace.yaml'), 'utf8')) as { patchedDependencies?: Record<string, string> };
    for (const [spec, patch] of Object.entries(workspace.patchedDependencies ?? {})) {
      const at = spec.indexOf('@', 1);
      const name = at === -1 ? spec : spec.slice(0, at);
      const shipped = path.join(copy.dir, 'node_modules', name);
      if (!existsSync(shipped)) continue; // not a dependency of the server
      const files = [...readFileSync(path.join(repoRoot, patch), 'utf8').matchAll(/^diff --git a\/(\S+)/gm)].map((m) => m[1]!);
      expect(files.length, patch).toBeGreaterThan(0);
      const installed = realpathSync(path.join(repoRoot, 'apps', 'server', 'node_modules', name));
      for (const file of files) expect(readFileSync(path.join(shipped, file), 'utf8'), `${name}/${file}`).toBe(readFileSync(path.join(installed, file), 'utf8'));
    }
  });

  it('finds everything inside itself: no link leads out of the tree', () => {
    const root = realpathSync(copy.dir);
    const links = entries(copy.dir).filter((entry) => lstatSync(path.join(copy.dir, entry)).isSymbolicLink());
    expect(links.length).toBeGreaterThan(0);
    const outside = links.filter((entry) => {
      const target = readlinkSync(path.join(copy.dir, entry));
      return path.isAbsolute(target) || !realpathSync(path.join(copy.dir, entry)).startsWith(root + path.sep);
    });
    expect(outside).toEqual([]);
  });

  it('registers a connection, reads it by its tcred_ id, and serves /docs and the spec', async () => {
    const register = await fetch(`${server.url}/v1/personal-connectors/admin/credentials`, {
      method: 'POST',
      headers: { ...adminHeaders, 'Content-Type': 'application/json' },
      body: JSON.stringify({ connection_id: 'ca_packaged_tree', organization_id: 'org_packaged' }),
    });
    expect(register.status, server.output()).toBe(201);
    const { id } = (await register.json()) as { id: string };
    expect(id).toMatch(/^tcred_/);

    const read = await fetch(`${server.url}/v1/personal-connectors/admin/credentials/${id}`, { headers: adminHeaders });
    expect(read.status).toBe(200);
    const body = (await read.json()) as { credential_id: string; status: string; credentials: Record<string, unknown> };
    expect(body).toMatchObject({ credential_id: id, status: 'ACTIVE' });
    expect(Object.keys(body.credentials).length).toBeGreaterThan(0);

    const docs = await fetch(`${server.url}/docs`);
    expect(docs.status).toBe(200);
    expect(docs.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await docs.text()).toMatch(/redoc/i);
    const spec = await fetch(`${server.url}/openapi.json`);
    expect(spec.status).toBe(200);
    expect(((await spec.json()) as { openapi: string }).openapi).toMatch(/^3\.1/);

    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
  });

  it("answers the image's HEALTHCHECK command, which fails when nothing listens", async () => {
    const check = DockerfileParser.parse(readFileSync(path.join(deployDir, 'Dockerfile'), 'utf8')).getHEALTHCHECKs()[0]!;
    const content = check.getArgumentsContent()!;
    const [command, ...args] = JSON.parse(content.slice(content.indexOf('['))) as string[];
    expect(command).toBe('node');
    const run = (port: string) => spawnSync(process.execPath, args, { cwd: copy.dir, env: { PATH: process.env.PATH ?? '', PORT: port }, timeout: 60_000 }).status;
    expect(run(new URL(server.url).port)).toBe(0);
    expect(run(String(await freePort()))).toBe(1);
  });

  it('writes nothing into its own tree or the temporary directory (a read-only root file system holds), only into DATA_DIR', () => {
    expect(snapshot(copy.dir)).toEqual(before);
    expect(readdirSync(tmpDir)).toEqual([]);
    expect(readdirSync(dataDir).length).toBeGreaterThan(0);
  });

  it('drains on SIGTERM and exits 0', async () => {
    expect(await server.stop()).toBe(0);
  });
});
