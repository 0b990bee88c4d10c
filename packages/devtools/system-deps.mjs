// Debian packages the test suites need: installed with apt-get when missing and running as root;
// otherwise the command stops before running anything and prints the one command that installs them.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';

const onPath = (command) => (process.env.PATH ?? '').split(':').some((dir) => dir && existsSync(`${dir}/${command}`));
const postgresBin = () => {
  const base = '/usr/lib/postgresql';
  return existsSync(base) && readdirSync(base).some((v) => existsSync(`${base}/${v}/bin/initdb`) && existsSync(`${base}/${v}/bin/pg_ctl`));
};

/** Each: the Debian package, and how to tell it is there. */
export const testPackages = [
  { name: 'chromium', why: 'the browser test of the rendered docs', present: () => existsSync('/usr/bin/chromium') },
  { name: 'postgresql', why: 'the registry suites on a real PostgreSQL server', present: postgresBin },
  { name: 'redis-server', why: 'the shared-state suites on a real Redis', present: () => onPath('redis-server') || existsSync('/usr/bin/redis-server') },
];

/** Returns when every package is there; installs the missing ones as root; else prints how and exits 1. */
export function ensureSystemPackages(packages = testPackages) {
  const missing = packages.filter((p) => !p.present());
  if (missing.length === 0) return;
  const names = missing.map((p) => p.name);
  const command = `apt-get update && apt-get install -y --no-install-recommends ${names.join(' ')}`;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !onPath('apt-get')) {
    console.error(`Missing Debian packages for the tests (${missing.map((p) => `${p.name}: ${p.why}`).join('; ')}); install them with: sudo sh -c '${command}'`);
    process.exit(1);
  }
  console.log(`Installing Debian packages the tests need: ${names.join(', ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...names], { stdio: ['ignore', 'ignore', 'inherit'], env });
  const still = missing.filter((p) => !p.present());
  if (still.length > 0) {
    console.error(`apt-get did not install ${still.map((p) => p.name).join(', ')}; install them with: sudo sh -c '${command}'`);
    process.exit(1);
  }
}

export { onPath, postgresBin };
