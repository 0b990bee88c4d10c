// Makes a fresh clone runnable with only Node (even 20) and npm. Importing this module:
// 1. re-runs the current command on Node 24 when the running Node is older than 22.12, fetching
//    Node 24 from the npm registry (the `node` package) into .cache/toolchain on first use;
// 2. puts the pinned pnpm (never corepack, which fails its signature check on these machines) and
//    that Node first on PATH, so pnpm, turbo, vitest, the server and Prism all run on it.
// `ensureInstalled()` installs the workspace's dependencies when the lockfile changed since.
// This file must stay parseable by Node 20: it is what runs before the switch.
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const pnpmVersion = manifest.packageManager.replace(/^pnpm@/, '');
// The Node the project runs on when the machine's own is too old (package.json "toolchain").
const nodeSpec = manifest.toolchain.node;
const minimum = manifest.engines.node.replace(/^>=/, '').split('.').map(Number);

const toolchain = path.join(root, '.cache', 'toolchain');
const toolchainBin = path.join(toolchain, 'node_modules', '.bin');
const nodeBin = path.join(toolchain, 'node_modules', 'node', 'bin', 'node');
/** How often a long-lived command (`runForwardingSignals`) checks that what started it is still there. */
const ORPHAN_CHECK_MS = 500;

function atLeast(version, wanted) {
  const parts = version.split('.').map(Number);
  for (let i = 0; i < wanted.length; i += 1) {
    if ((parts[i] ?? 0) !== wanted[i]) return (parts[i] ?? 0) > wanted[i];
  }
  return true;
}

/** Installs the toolchain (pnpm, and Node when asked) into .cache/toolchain unless it is there. */
function installToolchain(withNode) {
  const wanted = { pnpm: pnpmVersion, ...(withNode ? { node: nodeSpec } : {}) };
  const file = path.join(toolchain, 'package.json');
  const current = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')).dependencies ?? {} : {};
  const pnpmThere = existsSync(path.join(toolchainBin, 'pnpm'));
  const nodeThere = existsSync(nodeBin);
  if (pnpmThere && current.pnpm === pnpmVersion && (!withNode || (nodeThere && current.node === nodeSpec))) return;
  mkdirSync(toolchain, { recursive: true });
  const dependencies = { ...current, ...wanted };
  writeFileSync(file, `${JSON.stringify({ private: true, description: 'Toolchain of the root commands; see packages/devtools/bootstrap.mjs.', dependencies }, null, 2)}\n`);
  // The registry lacks some of pnpm's platform packages (@pnpm/exe.netbsd-x64 answers 404), and
  // now and then npm then runs pnpm's install script before its files are in place ("Cannot find
  // module …/pnpm/install.js"). A new attempt from an empty node_modules succeeds.
  for (let attempt = 1; ; attempt += 1) {
    try {
      execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', '--no-package-lock'], {
        cwd: toolchain,
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      return;
    } catch (error) {
      if (attempt === 3) throw error;
      console.error(`Installing the toolchain (.cache/toolchain) failed, attempt ${attempt} of 3: trying again.`);
      rmSync(path.join(toolchain, 'node_modules'), { recursive: true, force: true });
    }
  }
}

/** The global npmrc the machine's own npm reads, when there is one. */
function machineNpmGlobalconfig() {
  try {
    const file = execFileSync('npm', ['config', 'get', 'globalconfig'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return file && existsSync(file) ? file : undefined;
  } catch {
    return undefined;
  }
}

if (!atLeast(process.versions.node, minimum)) {
  installToolchain(true);
  const version = execFileSync(nodeBin, ['--version'], { encoding: 'utf8' }).trim();
  console.log(`Node ${process.version} is older than ${minimum.join('.')}: re-running on Node ${version} from the npm registry (.cache/toolchain).`);
  const env = { ...process.env, PATH: [path.dirname(nodeBin), toolchainBin, process.env.PATH].join(path.delimiter) };
  // npm finds its global config (cafile, proxy) beside the Node that runs it: under the toolchain's
  // Node it would look in .cache/toolchain and lose the machine's settings. Keep the machine's.
  if (env.npm_config_globalconfig === undefined) {
    const globalconfig = machineNpmGlobalconfig();
    if (globalconfig !== undefined) env.npm_config_globalconfig = globalconfig;
  }
  process.exit(await runForwardingSignals(nodeBin, [...process.execArgv, ...process.argv.slice(1)], { env, cwd: process.cwd() }));
}

installToolchain(false);
// The running Node first, then the toolchain's pnpm: every child (turbo runs `pnpm run` for
// each task) finds the same Node and pnpm.
const front = [path.dirname(process.execPath), toolchainBin];
process.env.PATH = [...front, ...(process.env.PATH ?? '').split(path.delimiter).filter((dir) => !front.includes(dir))].join(path.delimiter);
// No telemetry from the tools every child may run (Redocly's CLI, turbo).
process.env.REDOCLY_TELEMETRY = 'off';
process.env.TURBO_TELEMETRY_DISABLED = '1';

/** `[command, ...args]` that runs the pinned pnpm. */
export const pnpm = ['pnpm'];

export function run(command, args, options = {}) {
  execFileSync(command, args, { cwd: root, stdio: 'inherit', ...options });
}

/** Runs `turbo run ARGS…` through the pinned pnpm, from the workspace's root. */
export function turbo(...args) {
  run(pnpm[0], [...pnpm.slice(1), 'exec', 'turbo', 'run', ...args]);
}

/**
 * Runs a long-lived command (a server, a re-run of this command) and passes it the signals this
 * process gets, so that stopping this process (Ctrl-C, or a supervisor's SIGTERM sent to it
 * alone) stops the command too instead of leaving it running; and stops it when the process that
 * started this one goes away. Resolves with its exit code.
 */
export function runForwardingSignals(command, args, options = {}) {
  const child = spawn(command, args, { cwd: root, stdio: 'inherit', ...options });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  // npm runs a script through `sh -c`, and passes a signal it gets to that shell, which ends
  // without passing it on: this process is then left to init. When the process that started this
  // one is gone (npm or its shell stopped, even by SIGKILL), the command is stopped as by SIGTERM.
  const parent = process.ppid;
  const orphaned = setInterval(() => {
    if (process.ppid !== parent) {
      clearInterval(orphaned);
      child.kill('SIGTERM');
    }
  }, ORPHAN_CHECK_MS);
  orphaned.unref();
  return new Promise((resolve) =>
    child.once('exit', (status, signal) => {
      clearInterval(orphaned);
      resolve(status ?? (signal ? 128 : 1));
    }),
  );
}

/** What an install depends on: the lockfile, the workspace settings and every manifest. */
function installInputs() {
  const manifests = ['openapi', ...['packages', 'apps'].flatMap((dir) => readdirSync(path.join(root, dir)).map((name) => path.join(dir, name)))]
    .map((dir) => path.join(dir, 'package.json'))
    .filter((file) => existsSync(path.join(root, file)));
  const hash = createHash('sha256').update(pnpmVersion);
  for (const file of ['pnpm-lock.yaml', 'pnpm-workspace.yaml', 'package.json', ...manifests]) {
    hash.update(file).update(readFileSync(path.join(root, file)));
  }
  return hash.digest('hex');
}

/** Installs the workspace's dependencies unless the last successful install had the same inputs. */
export function ensureInstalled() {
  const stamp = path.join(root, 'node_modules', '.install-inputs');
  const inputs = installInputs();
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === inputs) return;
  const frozen = process.env.CI ? ['--frozen-lockfile'] : [];
  run(pnpm[0], [...pnpm.slice(1), 'install', ...frozen]);
  writeFileSync(stamp, inputs);
}
