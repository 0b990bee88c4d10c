/** What the suites share: the packaged tree, copies of it started as operators start them, keys. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { inject } from 'vitest';
import { freePort, repoRoot } from '@connector-credentials/testkit';
import './provided.js';

export const deployDir = path.join(repoRoot, 'deploy');
export const packageDir = () => inject('packageDir');

/** One variable's rule in the server's configuration schema (apps/server/src/config.ts). */
interface VariableRule {
  safeParse(value: unknown): { success: boolean };
}
export interface ServerConfigModule {
  /** The zod schema of the environment: its shape's keys are every variable the server reads. */
  environment: { shape: Record<string, VariableRule> };
  loadConfig(env: Record<string, string | undefined>): { port: number; shutdownTimeoutMs: number; http: { headersTimeoutMs: number; requestTimeoutMs: number } };
}

/** The configuration module of the packaged server: the manifests are checked against what ships. */
export async function serverConfig(): Promise<ServerConfigModule> {
  return (await import(pathToFileURL(path.join(packageDir(), 'dist', 'config.js')).href)) as ServerConfigModule;
}

export function readYamlDocuments(file: string): unknown[] {
  const documents = parseAllDocuments(readFileSync(file, 'utf8'));
  for (const document of documents) if (document.errors.length) throw new Error(`${file}: ${document.errors.map((e) => e.message).join('; ')}`);
  return documents.map((document) => document.toJS({ maxAliasCount: 100 }));
}

export const sha256Hex = (value: string) => createHash('sha256').update(value).digest('hex');
export const ADMIN_KEY = 'deploy-check-admin-key-5d2e8a';
export const COMPOSIO_KEY = 'deploy-check-composio-key-0b7c';
export const API_KEYS_JSON = JSON.stringify([{ name: 'admin', header: 'X-API-Key', sha256: sha256Hex(ADMIN_KEY), roles: ['admin'] }]);
export const adminHeaders = { 'X-API-Key': ADMIN_KEY };

/** A copy of the packaged tree in a fresh directory outside the repository. */
export function copyPackage(): { dir: string; remove: () => void } {
  const parent = mkdtempSync(path.join(os.tmpdir(), 'connector-credentials-package-'));
  const dir = path.join(parent, 'server');
  cpSync(packageDir(), dir, { recursive: true, verbatimSymlinks: true });
  return { dir, remove: () => rmSync(parent, { recursive: true, force: true }) };
}

export interface Instance {
  url: string;
  child: ChildProcess;
  exit: Promise<number | null>;
  output: () => string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

/**
 * `node dist/main.js` in the copied tree, with nothing but PATH and the given variables in its
 * environment, on a free loopback port; resolves once /healthz answers.
 */
export async function startPackaged(dir: string, env: Record<string, string>): Promise<Instance> {
  const port = await freePort();
  let output = '';
  const child = spawn(process.execPath, ['dist/main.js'], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', HOST: '127.0.0.1', PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const instance: Instance = {
    url: `http://127.0.0.1:${port}`,
    child,
    exit,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exit;
    },
  };
  // PGlite's first start can take a while on a busy machine: this only guards against a hang.
  const deadline = Date.now() + 300_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the packaged server exited with ${child.exitCode}:\n${output}`);
    try {
      if ((await fetch(`${instance.url}/healthz`)).ok) return instance;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await instance.stop();
      throw new Error(`the packaged server did not start:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
