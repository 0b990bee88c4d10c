// Makes a fresh clone runnable with only Node and npm: installs the pinned pnpm (never corepack,
// which fails its signature check on these machines) and the workspace's dependencies when the
// lockfile changed since the last install. Returns the command to run pnpm with.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
const { packageManager } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const pnpmVersion = packageManager.replace(/^pnpm@/, '');

function hasPnpm() {
  try {
    return execFileSync('pnpm', ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() === pnpmVersion;
  } catch {
    return false;
  }
}

/** `[command, ...args]` that runs the pinned pnpm. */
export const pnpm = hasPnpm() ? ['pnpm'] : ['npx', '--yes', `pnpm@${pnpmVersion}`];

export function run(command, args, options = {}) {
  execFileSync(command, args, { cwd: root, stdio: 'inherit', ...options });
}

export function ensureInstalled() {
  const marker = path.join(root, 'node_modules', '.modules.yaml');
  const lockfile = path.join(root, 'pnpm-lock.yaml');
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lockfile).mtimeMs) return;
  const frozen = process.env.CI ? ['--frozen-lockfile'] : [];
  run(pnpm[0], [...pnpm.slice(1), 'install', ...frozen]);
}
