/**
 * PGlite data directories for the servers the suites start. Creating a PGlite cluster runs
 * initdb, seconds of CPU each time; a suite starts dozens of servers. So an empty cluster is
 * initialized once for the installed PGlite, kept in `node_modules/.cache`, and each server gets
 * a copy of it: it opens an existing, empty cluster, as a server restarting on its volume does,
 * and runs its migrations on it. Suites that test initdb itself (a first start on an empty
 * directory or in memory) do not use it.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot } from './paths.ts';

export interface PgliteDataDir {
  /** A directory holding an initialized, empty cluster: the server's `DATA_DIR`. */
  dir: string;
  remove(): void;
}

// The manifest is not exported: it is read beside the entry point (dist/). The server pins the same version.
const entry = createRequire(import.meta.url).resolve('@electric-sql/pglite');
const version = (JSON.parse(readFileSync(path.join(path.dirname(entry), '..', 'package.json'), 'utf8')) as { version: string }).version;
const template = path.join(repoRoot, 'node_modules', '.cache', 'pglite', `empty-${version}`);
let ready: Promise<void> | undefined;

async function makeTemplate(): Promise<void> {
  if (existsSync(path.join(template, 'PG_VERSION'))) return;
  mkdirSync(path.dirname(template), { recursive: true });
  // Initialized aside, then renamed: a suite starting at the same time sees a whole cluster or none.
  const partial = mkdtempSync(`${template}.partial-`);
  try {
    const { PGlite } = await import('@electric-sql/pglite');
    const pglite = await PGlite.create(partial);
    await pglite.close();
    renameSync(partial, template);
  } catch (error) {
    if (!existsSync(path.join(template, 'PG_VERSION'))) throw error;
  } finally {
    rmSync(partial, { recursive: true, force: true });
  }
}

/** A fresh copy of the empty cluster in a new temporary directory. */
export async function pgliteDataDir(): Promise<PgliteDataDir> {
  ready ??= makeTemplate();
  await ready;
  const dir = mkdtempSync(path.join(tmpdir(), 'pglite-data-'));
  cpSync(template, dir, { recursive: true });
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
