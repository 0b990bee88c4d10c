/**
 * `spec:breaking` end to end, on a scratch git repository holding a copy of this repository's
 * specs: it bundles them at a ref and now with Redocly, and fails exactly when the Aitronos
 * spec breaks its users without a new info.version major.
 * It runs the built CLI (dist/cli.js): the `test` task builds first.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '@connector-credentials/testkit';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const schema = 'openapi/aitronos/components/schemas/ConnectorCredentials.yaml';
const rootSpec = 'openapi/aitronos/openapi.yaml';
let scratch: string;
/** The Aitronos spec's info.version as copied, and the next major. */
let current: string;
let next: string;
const bumpMajor = (yaml: string) => yaml.replace(/^(\s+version:\s*)['"]?\d+\.\d+\.\d+['"]?/m, `$1${next}`);

const git = (...args: string[]) => execFileSync('git', ['-C', scratch, ...args], { encoding: 'utf8', stdio: 'pipe' }).trim();
const read = (file: string) => readFileSync(path.join(scratch, file), 'utf8');
const write = (file: string, text: string) => writeFileSync(path.join(scratch, file), text);
const commit = (message: string) => git('commit', '-qam', message);
const gate = (...args: string[]) => {
  const run = spawnSync(process.execPath, [cli, '--root', scratch, ...args], { encoding: 'utf8', env: { ...process.env, REDOCLY_TELEMETRY: 'off' } });
  return { code: run.status, out: `${run.stdout}${run.stderr}` };
};

/** The schema without `account_email`: its property and its entry in `required`. */
function withoutAccountEmail(yaml: string): string {
  const lines = yaml.split('\n');
  const start = lines.findIndex((l) => l === '  account_email:');
  let end = start + 1;
  while (end < lines.length && (lines[end]!.startsWith('    ') || lines[end] === '')) end += 1;
  expect(start).toBeGreaterThan(0);
  return [...lines.slice(0, start), ...lines.slice(end)].filter((l) => l !== '  - account_email').join('\n');
}

beforeAll(() => {
  scratch = mkdtempSync(path.join(tmpdir(), 'spec-gate-'));
  for (const part of ['redocly.yaml', 'aitronos', 'composio']) {
    cpSync(path.join(repoRoot, 'openapi', part), path.join(scratch, 'openapi', part), { recursive: true, filter: (f) => !f.includes('reference') });
  }
  git('init', '-q', '-b', 'main');
  git('config', 'user.email', 'gate@example.com');
  git('config', 'user.name', 'gate test');
  git('add', '.');
  commit('specs');
  current = /^\s+version:\s*['"]?(\d+\.\d+\.\d+)/m.exec(read(rootSpec))![1]!;
  next = `${Number(current.split('.')[0]) + 1}.0.0`;
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('npm run spec:breaking', () => {
  it('passes when nothing changed since the previous commit', () => {
    write('openapi/README.txt', 'not a spec\n');
    git('add', '.');
    commit('unrelated');
    const { code, out } = gate();
    expect(out).toContain('against HEAD~1');
    expect(out).toContain(`aitronos (info.version ${current}): 0 breaking, 0 non-breaking, 0 annotation`);
    expect(code).toBe(0);
  });

  it('fails on a commit that removes account_email from the response, and names the change', () => {
    write(schema, withoutAccountEmail(read(schema)));
    commit('remove account_email');
    const { code, out } = gate();
    expect(out).toMatch(/breaking\s+GET \/v1\/personal-connectors\/admin\/credentials\/\{credential_id\}: response 200 application\/json: field `account_email` removed/);
    expect(out).toContain('FAIL');
    expect(code).toBe(1);
    git('reset', '-q', '--hard', 'HEAD~1');
  });

  it('passes on a commit that only edits a description, and reports it as an annotation', () => {
    write(schema, read(schema).replace('Email of the connected account', 'The email address of the connected account'));
    commit('reword a description');
    const { code, out } = gate();
    // Once per operation that answers the schema.
    expect(out).toMatch(/0 breaking, 0 non-breaking, [1-9]\d* annotation/);
    expect(out).toMatch(/annotation\s+GET .*: response 200 application\/json: description of `account_email` changed/);
    expect(code).toBe(0);
  });

  it('passes on a breaking change when info.version gets a new major', () => {
    write(schema, withoutAccountEmail(read(schema)));
    write(rootSpec, bumpMajor(read(rootSpec)));
    commit('remove account_email in a new major');
    const { code, out } = gate();
    expect(out).toContain(`info.version ${current} -> ${next}`);
    expect(out).toMatch(/[1-9]\d* breaking/);
    expect(code).toBe(0);
  });

  it('compares with the newest aitronos-api@* tag by default, or with the ref given', () => {
    git('tag', `aitronos-api@${current}`, 'HEAD~1');
    const tagged = gate();
    expect(tagged.out).toContain(`against aitronos-api@${current}`);
    expect(tagged.code).toBe(0);
    // Against the first commit, the removal is still excused by the new major.
    expect(gate('HEAD~3').code).toBe(0);
    // Against the commit that already has it, nothing breaks.
    expect(gate('HEAD').out).toContain(`aitronos (info.version ${next}): 0 breaking`);
  });
});

describe('npm run spec:breaking with Changesets', () => {
  it('a breaking change also needs a major changeset of the client; --changeset writes it', () => {
    git('reset', '-q', '--hard', 'HEAD~1');
    execFileSync('mkdir', ['-p', path.join(scratch, '.changeset')]);
    write('.changeset/config.json', '{}\n');
    write(schema, withoutAccountEmail(read(schema)));
    write(rootSpec, bumpMajor(read(rootSpec)));
    git('add', '.');
    commit('remove account_email in a new major');
    const without = gate('HEAD~1');
    expect(without.out).toContain('no pending changeset releases @connector-credentials/client as a major');
    expect(without.code).toBe(1);

    const base = git('rev-parse', 'HEAD~1');
    const written = gate('HEAD~1', '--changeset');
    expect(written.out).toContain(`wrote .changeset/spec-changes-${base.slice(0, 7)}.md`);
    const changeset = read(`.changeset/spec-changes-${base.slice(0, 7)}.md`);
    expect(changeset).toMatch(/^---\n"@connector-credentials\/client": major\n---/);
    expect(changeset).toContain('aitronos, breaking: GET /v1/personal-connectors/admin/credentials/{credential_id}: response 200 application/json: field `account_email` removed');
    expect(changeset).toContain(`Spec diff from: ${base}`);
    expect(gate('HEAD~1').code).toBe(0);
  });
});
