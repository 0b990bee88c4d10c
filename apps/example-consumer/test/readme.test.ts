/**
 * The READMEs are executable documentation. Every `sh` and `ts` block of README.md and of each
 * package's README (packages/*, apps/*) runs here as written, after `npm start`'s printed
 * `export K=… S=… T=…` line is pasted, against the server started as `npm start` starts it
 * (apps/server/dist/local.js) and the mocks started as `npm run mock` starts them
 * (packages/devtools/mock.mjs), each on ports this test picks (PORT=0, MOCK_AITRONOS_PORT,
 * MOCK_COMPOSIO_PORT: variables the README names). Nothing else in a block is substituted.
 *
 * Markers, an HTML comment on the line before a block:
 * - `<!-- readme-test: skip — why -->`: the block is not run, and says why;
 * - `<!-- readme-test: output of npm start -->`: a sample of what `npm start` prints;
 * - `<!-- readme-test: output of the block above -->`: a sample of what the previous block prints.
 * In a sample, `…` stands for any text, and the server's URL is written with the default port.
 *
 * A `sh` block runs in bash with `set -e`, from the repository's root; every curl in it must be
 * answered 2xx. A `ts` block is saved under `apps/example-consumer/`, where the README says
 * snippets resolve the client, and run with `node` (type stripping); one that imports vitest runs
 * as a test file. A block fails on a non-zero exit or anything written to stderr. Every `ts` block
 * must also compile under `tsc --strict`.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, pgliteDataDir, repoRoot } from '@connector-credentials/testkit';

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const local = path.join(path.dirname(require.resolve('@connector-credentials/server/package.json')), 'dist', 'local.js');
const mockCommand = path.join(repoRoot, 'packages/devtools/mock.mjs');
const consumerDir = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
const vitestBin = path.join(path.dirname(require.resolve('vitest/package.json')), 'vitest.mjs');

// ---------------------------------------------------------------------------------------------
// The blocks.

interface Block {
  file: string;
  line: number;
  lang: string;
  code: string;
  /** The marker comment right before the block, without `readme-test:`. */
  marker?: string;
}

function blocksOf(file: string, text: string): Block[] {
  const lines = text.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i += 1) {
    const open = /^```(\w*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i += 1; i < lines.length && !/^```\s*$/.test(lines[i]!); i += 1) body.push(lines[i]!);
    const marker = /^<!-- readme-test: (.*?) -->$/.exec(lines[start - 1] ?? '')?.[1];
    blocks.push({ file, line: start + 1, lang: open[1]!, code: `${body.join('\n')}\n`, ...(marker ? { marker } : {}) });
  }
  return blocks;
}

const readmes = ['README.md', ...['packages', 'apps'].flatMap((dir) => readdirSync(path.join(repoRoot, dir)).map((name) => path.join(dir, name, 'README.md')))].filter(
  (file) => existsSync(path.join(repoRoot, file)),
);
const blocks = readmes.flatMap((file) => blocksOf(file, readFileSync(path.join(repoRoot, file), 'utf8')));
const runnable = (b: Block) => (b.lang === 'sh' || b.lang === 'ts') && !b.marker?.startsWith('skip');
const SKIP = /^skip — \S.{10,}$/;
const OUTPUT_OF_START = 'output of npm start';
const OUTPUT_OF_ABOVE = 'output of the block above';

/** A sample output as a pattern: `…` is any text; everything else is literal. */
function samplePattern(sample: string): RegExp {
  const lines = sample.trimEnd().split('\n');
  return new RegExp(`^${lines.map((l) => l.split('…').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.+?')).join('\n')}$`);
}

// ---------------------------------------------------------------------------------------------
// What `npm start` and `npm run mock` start.

// An empty registry, as a first start leaves it (a copy: initdb runs once for all suites).
const dataDir = (await pgliteDataDir()).dir;
const scratch = path.join(consumerDir, '.readme-run');
let server: ChildProcess | undefined;
let mock: ChildProcess | undefined;
let banner = '';
let mockBanner = '';
let pasted = '';
const variables: Record<string, string> = {};
let mockEnv: Record<string, string> = {};

/** Spawns a command; resolves with its output once `ready` appears in it. */
async function startCommand(args: string[], env: NodeJS.ProcessEnv, ready: string): Promise<{ child: ChildProcess; output: () => string; stderr: () => string }> {
  const child = spawn(process.execPath, args, { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => {
    output += c.toString();
    stderr += c.toString();
  });
  const until = Date.now() + 180_000;
  while (!output.includes(ready)) {
    if (Date.now() > until || child.exitCode !== null) throw new Error(`${args.join(' ')} did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, output: () => output, stderr: () => stderr };
}

async function stopCommand(child: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  await exited;
}

beforeAll(async () => {
  const ports = { aitronos: await freePort(), composio: await freePort() };
  mockEnv = { MOCK_AITRONOS_PORT: String(ports.aitronos), MOCK_COMPOSIO_PORT: String(ports.composio) };
  const [started, mocks] = await Promise.all([
    startCommand([local], { PORT: '0', COMPOSIO_BASE_URL: '', DATA_DIR: dataDir }, 'Stop with Ctrl-C.'),
    startCommand([mockCommand], { MOCK_SKIP_BUILD: '1', ...mockEnv }, 'Stop with Ctrl-C.'),
  ]);
  server = started.child;
  mock = mocks.child;
  banner = started.stderr();
  mockBanner = mocks.output();
  // What a reader copies: the printed `export` line, as it is.
  pasted = /^\s*(export K=\S+ S=\S+ T=\S+)\s*$/m.exec(banner)?.[1] ?? '';
  for (const [, name, value] of pasted.matchAll(/(\w+)=(\S+)/g)) variables[name!] = value!;
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true });
  writeFileSync(path.join(scratch, 'vitest.config.mjs'), "export default { test: { include: ['*.test.ts'], reporters: ['default'] } };\n");
}, 240_000);

afterAll(async () => {
  await Promise.all([stopCommand(server, 'SIGTERM'), stopCommand(mock, 'SIGINT')]);
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
}, 60_000);

// ---------------------------------------------------------------------------------------------
// Running one block.

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
  statuses: string[];
}

const STATUS = 'readme-test-status';
/** Around every curl: records the status of its answer on stderr, and changes nothing else. */
const CURL_PROBE = `curl() { local h rc; h=$(mktemp); command curl -D "$h" "$@"; rc=$?; echo "${STATUS} $(awk 'NR==1{print $2}' "$h")" >&2; rm -f "$h"; return $rc; }`;

async function runBlock(block: Block, index: number): Promise<Outcome> {
  // The reader's environment: the variables of this test's runners (vitest, and the npm_config_*
  // pnpm sets for the scripts it runs, which npm would warn about) stay out of it.
  const runner = /^(VITEST|npm_|PNPM_|TURBO_)/i;
  const env: NodeJS.ProcessEnv = { ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !runner.test(name))), ...mockEnv };
  const done = (result: { stdout: string; stderr: string }, code: number): Outcome => {
    const statuses = [...result.stderr.matchAll(new RegExp(`^${STATUS} (.*)$`, 'gm'))].map((m) => m[1]!);
    const stderr = result.stderr
      .split('\n')
      .filter((l) => !l.startsWith(STATUS) && !/^npm notice/.test(l))
      .join('\n')
      .trim();
    return { code, stdout: result.stdout, stderr, statuses };
  };
  const attempt = async (command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }) =>
    run(command, args, { ...options, timeout: 180_000, maxBuffer: 16 * 1024 * 1024 }).then(
      (r) => done(r, 0),
      (e: { stdout?: string; stderr?: string; code?: number }) => done({ stdout: e.stdout ?? '', stderr: e.stderr ?? String(e) }, typeof e.code === 'number' ? e.code : 1),
    );
  if (block.lang === 'sh') {
    const script = ['set -e', CURL_PROBE, pasted, block.code].join('\n');
    return attempt('bash', ['-c', script], { cwd: repoRoot, env });
  }
  // ts: as a reader runs it after pasting the variables.
  const isTest = /from 'vitest'/.test(block.code);
  const file = path.join(scratch, `block-${index}${isTest ? '.test' : ''}.ts`);
  writeFileSync(file, block.code);
  const tsEnv = { ...env, ...variables };
  return isTest
    ? attempt(process.execPath, [vitestBin, 'run', '--root', scratch, '--config', path.join(scratch, 'vitest.config.mjs'), path.basename(file)], { cwd: scratch, env: tsEnv })
    : attempt(process.execPath, [file], { cwd: repoRoot, env: tsEnv });
}

// ---------------------------------------------------------------------------------------------

describe('the READMEs', () => {
  it('are found: README.md and the package READMEs', () => {
    expect(readmes).toContain('README.md');
    expect(readmes).toContain('packages/client/README.md');
    expect(blocks.filter(runnable).length).toBeGreaterThan(5);
  });

  it('hold only sh, ts, tsx and plain blocks (diagrams, sample outputs): no other language escapes the checks', () => {
    expect(blocks.filter((b) => !['', 'sh', 'ts', 'tsx'].includes(b.lang)).map((b) => `${b.file}:${b.line} ${b.lang}`)).toEqual([]);
  });

  it('run no tsx block: a React component runs in a page (apps/example-web), so tsx blocks are compiled only', () => {
    expect(blocks.filter((b) => b.lang === 'tsx' && runnable(b))).toEqual([]);
  });

  it.each(blocks.filter((b) => b.marker).map((b) => [`${b.file}:${b.line}`, b] as const))('%s: its marker is one this test knows, and a skip says why', (_where, b) => {
    expect([OUTPUT_OF_START, OUTPUT_OF_ABOVE].includes(b.marker!) || SKIP.test(b.marker!), b.marker).toBe(true);
    if (b.marker!.startsWith('output')) expect(b.lang, 'a sample output is a plain block').toBe('');
  });
});

describe('`npm start`', () => {
  it('prints the variables to paste: K, the admin key; S, the server; T, a registered credential id', () => {
    expect(pasted, banner).toMatch(/^export K=adm_\S+ S=http:\/\/127\.0\.0\.1:\d+ T=tcred_[A-Za-z0-9_-]{16,}$/);
  });

  it.each(blocks.filter((b) => b.marker === OUTPUT_OF_START).map((b) => [`${b.file}:${b.line}`, b] as const))('%s: its sample output is what it prints', (_where, b) => {
    const real = banner
      .split('\n')
      .filter((l) => !l.startsWith('{')) // log lines
      .join('\n')
      .replaceAll(variables.S!, 'http://127.0.0.1:3000')
      .replaceAll(dataDir, '.data')
      .trim();
    expect(real).toMatch(samplePattern(b.code));
  });
});

describe('the curls `npm start` and `npm run mock` print', () => {
  it('answer, pasted as they are: 2xx, or the status their Prefer header asks for', async () => {
    const curls = [banner, mockBanner].flatMap((text) => [...text.matchAll(/^\s+(curl -s .*)$/gm)].map((m) => m[1]!));
    expect(curls.length).toBeGreaterThanOrEqual(8);
    for (const curl of curls) {
      const { stderr } = await run('bash', ['-c', `${CURL_PROBE}\n${curl} >/dev/null`], { cwd: repoRoot });
      const status = new RegExp(`^${STATUS} (\\d+)$`, 'm').exec(stderr)?.[1];
      const wanted = /Prefer: code=(\d+)/.exec(curl)?.[1];
      if (wanted) expect(status, curl).toBe(wanted);
      else expect(status, curl).toMatch(/^2\d\d$/);
    }
  });
});

describe('every ts block', () => {
  it('compiles under tsc --strict, as it would in a project of the reader (skipped blocks and tsx blocks too)', async () => {
    const dir = path.join(scratch, 'typecheck');
    mkdirSync(dir, { recursive: true });
    const files = blocks.flatMap((b, i) => (b.lang === 'ts' || b.lang === 'tsx' ? [[`block-${i}.${b.lang}`, b] as const] : []));
    for (const [name, b] of files) writeFileSync(path.join(dir, name), b.code);
    writeFileSync(
      path.join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { strict: true, noEmit: true, target: 'es2023', module: 'nodenext', moduleResolution: 'nodenext', lib: ['es2023', 'dom'], types: ['node'], skipLibCheck: true, jsx: 'react-jsx' },
        include: ['*.ts', '*.tsx'],
      }),
    );
    const tsc = path.join(path.dirname(require.resolve('typescript/package.json')), 'bin', 'tsc');
    const result = await run(process.execPath, [tsc, '-p', dir]).then(
      () => '',
      (e: { stdout?: string }) => e.stdout ?? String(e),
    );
    // Name the README line of each error, not the scratch file.
    const located = result.replace(/block-(\d+)\.tsx?\((\d+)/g, (_m, i: string, line: string) => `${blocks[Number(i)]!.file}:${blocks[Number(i)]!.line + Number(line)}(`);
    expect(located).toBe('');
  });
});

describe('every sh and ts block, run as written', () => {
  const ordered = blocks.map((b, i) => ({ b, i, sample: blocks[i + 1]?.marker === OUTPUT_OF_ABOVE ? blocks[i + 1] : undefined }));
  it.each(ordered.filter(({ b }) => runnable(b)).map(({ b, i, sample }) => [`${b.file}:${b.line} (${b.lang})`, b, i, sample] as const))(
    '%s',
    async (_where, block, index, sample) => {
      const outcome = await runBlock(block, index);
      expect({ code: outcome.code, stderr: outcome.stderr }, outcome.stdout).toEqual({ code: 0, stderr: '' });
      expect(outcome.statuses.filter((s) => !/^2\d\d$/.test(s)), 'every curl answered 2xx').toEqual([]);
      if (block.lang === 'sh' && /\bcurl\b/.test(block.code)) expect(outcome.statuses.length).toBeGreaterThan(0);
      if (sample) expect(outcome.stdout.trimEnd()).toMatch(samplePattern(sample.code));
    },
    180_000,
  );
});
