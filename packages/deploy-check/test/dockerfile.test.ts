/**
 * deploy/Dockerfile, parsed (no container can be built or run on these machines): what it copies,
 * who it runs as, how it stops and is health-checked, and that no secret is built in.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '@connector-credentials/testkit';
import { deployDir, packageDir, serverConfig, type ServerConfigModule } from './support.js';

const dockerfile = DockerfileParser.parse(readFileSync(path.join(deployDir, 'Dockerfile'), 'utf8'));
const instructions = dockerfile.getInstructions();
const keyword = (name: string) => instructions.filter((i) => i.getKeyword() === name);
const args = (instruction: Instruction) => instruction.getExpandedArguments().map((a) => a.getValue());
/** The JSON (exec) form of CMD or HEALTHCHECK CMD. */
const execForm = (instruction: Instruction) => {
  const content = instruction.getArgumentsContent() ?? '';
  return JSON.parse(content.slice(content.indexOf('['))) as string[];
};
const env = Object.fromEntries(dockerfile.getENVs().flatMap((e) => e.getProperties().map((p) => [p.getName(), p.getValue() ?? ''])));
/** The image's user and group, numeric. */
const user = () => args(keyword('USER').at(-1)!)[0]!.split(':');

let config: ServerConfigModule;
beforeAll(async () => {
  config = await serverConfig();
});

describe('deploy/Dockerfile', () => {
  it('is one stage on Node 24 slim', () => {
    const froms = dockerfile.getFROMs();
    expect(froms).toHaveLength(1);
    expect(args(froms[0]!)[0]).toMatch(/^node:24(\.\d+)*(-[a-z]+)?-slim$/);
  });

  it('copies the packaged tree and nothing else, and .dockerignore lets nothing else into the context', () => {
    expect(keyword('ADD')).toEqual([]);
    const copies = dockerfile.getCOPYs();
    expect(copies).toHaveLength(1);
    const [source, destination] = args(copies[0]!);
    expect(source).toBe('.cache/package/server/');
    expect(path.resolve(repoRoot, source!)).toBe(packageDir());
    // Root-owned: the user the server runs as cannot change its own code.
    expect(copies[0]!.getFlags().map((f) => `${f.getName()}=${f.getValue()}`)).toEqual(['chown=0:0']);
    expect(destination).toBe('/app/');
    expect(args(keyword('WORKDIR').at(-1)!)[0]).toBe('/app');
    const ignore = readFileSync(path.join(repoRoot, '.dockerignore'), 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#'));
    expect(ignore).toEqual(['*', '!.cache/package/server']);
  });

  it('starts the tree as the tests start it: node dist/main.js in /app', () => {
    expect(keyword('ENTRYPOINT')).toEqual([]);
    const cmd = execForm(dockerfile.getCMDs().at(-1)!);
    expect(cmd).toEqual(['node', 'dist/main.js']);
    expect(existsSync(path.join(packageDir(), cmd[1]!))).toBe(true);
  });

  it('runs as a non-root user by number, after everything that needs root', () => {
    const [uid, gid] = user();
    expect(uid).toMatch(/^\d+$/);
    expect(Number(uid)).toBeGreaterThan(0);
    expect(gid).toMatch(/^\d+$/);
    const last = (list: Instruction[]) => Math.max(...list.map((i) => i.getRange().start.line));
    const userLine = keyword('USER').at(-1)!.getRange().start.line;
    expect(userLine).toBeGreaterThan(last([...keyword('RUN'), ...keyword('COPY')]));
  });

  it('has writable room only for PGlite: DATA_DIR is a volume owned by that user', () => {
    expect(env.DATA_DIR).toMatch(/^\//);
    const volumes = keyword('VOLUME').flatMap((v) => JSON.parse(v.getArgumentsContent()!) as string[]);
    expect(volumes).toEqual([env.DATA_DIR]);
    const run = keyword('RUN').map((r) => r.getArgumentsContent()).join('\n');
    expect(run).toContain(`chown ${user().join(':')} ${env.DATA_DIR}`);
  });

  it('stops on SIGTERM, which the server drains on', () => {
    expect(keyword('STOPSIGNAL').map((s) => args(s)[0])).toEqual(['SIGTERM']);
  });

  it('is health-checked on /healthz of the configured port, with bounded checks', () => {
    const checks = dockerfile.getHEALTHCHECKs();
    expect(checks).toHaveLength(1);
    const flags = Object.fromEntries(checks[0]!.getFlags().map((f) => [f.getName(), f.getValue()]));
    expect(Object.keys(flags).sort()).toEqual(['interval', 'retries', 'start-period', 'timeout']);
    const command = execForm(checks[0]!);
    expect(command[0]).toBe('node');
    expect(command.join(' ')).toContain('/healthz');
    expect(command.join(' ')).toContain('process.env.PORT');
  });

  it('exposes the port the server listens on, with variables the server reads', () => {
    expect(args(keyword('EXPOSE')[0]!)).toEqual([env.PORT]);
    for (const [name, value] of Object.entries(env)) {
      expect(Object.keys(config.environment.shape), name).toContain(name);
      expect(config.environment.shape[name]!.safeParse(value).success, `${name}=${value}`).toBe(true);
    }
  });

  it('builds in no secret: no ARG, ENV or RUN names a key, password, token or URL with credentials', () => {
    const secretish = /KEY|SECRET|PASSWORD|TOKEN|DATABASE_URL|REDIS_URL/;
    const names = [...dockerfile.getARGs().map((a) => a.getProperty()?.getName() ?? ''), ...Object.keys(env)];
    expect(names.filter((name) => secretish.test(name))).toEqual([]);
    expect(keyword('RUN').map((r) => r.getArgumentsContent() ?? '').filter((run) => secretish.test(run) || /--mount=type=secret/.test(run))).toEqual([]);
    // The build context carries no env file either.
    expect(execFileSync('git', ['check-ignore', '-q', 'deploy/.env'], { cwd: repoRoot }).toString()).toBe('');
  });
});
