/**
 * The credential registry on both of its databases: PGlite in process, and a real PostgreSQL
 * server started for this file. Same schema, same queries, same answers.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { KyselyPlugin } from 'kysely';
import { createGate, pgliteDataDir, startPostgres, type PgliteDataDir, type PostgresServer } from '@connector-credentials/testkit';
import { decodeChange, encodeChange, isDatabaseOutage, openDatabase, type RegistryDatabase } from '../src/registry/database.js';
import { createRegistry, type NewCredential, type Registry } from '../src/registry/registry.js';

let postgres: PostgresServer;
/** An empty PGlite cluster (initdb itself has the data-directory and in-memory tests below). */
let data: PgliteDataDir;
beforeAll(async () => {
  [postgres, data] = await Promise.all([startPostgres(), pgliteDataDir()]);
});
afterAll(async () => {
  await postgres?.stop();
  data?.remove();
});

let serial = 0;
const connection = (overrides: Partial<NewCredential> = {}): NewCredential => ({
  connection_id: `ca_test${(serial += 1)}_${Math.random().toString(36).slice(2, 8)}`,
  organization_id: 'org_test',
  credential_name: null,
  tool_key: 'github',
  entity_id: 'freddy_user_1',
  account_email: 'ada@example.com',
  ...overrides,
});

const backends: [string, () => Promise<RegistryDatabase>][] = [
  ['PGlite', () => openDatabase({ dataDir: data.dir })],
  ['PostgreSQL', () => openDatabase({ url: postgres.url })],
];

describe.each(backends)('the registry on %s', (_name, open) => {
  let database: RegistryDatabase;
  let registry: Registry;
  beforeAll(async () => {
    database = await open();
    registry = await createRegistry(database);
  });
  afterAll(async () => {
    await registry?.close();
  });

  it('registers a connection, reads it by id and by connection, lists, deactivates and deletes it', async () => {
    const input = connection({ credential_name: 'Work GitHub' });
    const result = await registry.register(input);
    if (!('created' in result)) throw new Error('not created');
    const entry = result.created;
    expect(entry.id).toMatch(/^tcred_[A-Za-z0-9_-]{16,}$/);
    expect(entry).toMatchObject({ connection_id: input.connection_id, tool_key: 'github', organization_id: 'org_test', credential_name: 'Work GitHub', display_name: 'Work GitHub', account_email: 'ada@example.com', is_active: true, entity_id: 'freddy_user_1' });
    expect(Date.parse(entry.created_at)).not.toBeNaN();

    expect((await registry.get(entry.id)).entry).toEqual(entry);
    expect((await registry.getByConnection(input.connection_id)).entry).toEqual(entry);
    const listed = await registry.list('org_test', 'github');
    expect(listed.map((c) => c.id)).toContain(entry.id);
    expect(await registry.list('org_other', 'github')).toEqual([]);

    expect((await registry.setActive(entry.id, false))?.is_active).toBe(false);
    expect((await registry.get(entry.id)).entry?.is_active).toBe(false);
    expect((await registry.getByConnection(input.connection_id)).entry?.is_active).toBe(false);
    expect((await registry.list('org_test', 'github')).find((c) => c.id === entry.id)?.is_active).toBe(false);

    expect(await registry.remove(entry.id)).toEqual({ ...entry, is_active: false });
    expect((await registry.get(entry.id)).entry).toBeUndefined();
    expect((await registry.getByConnection(input.connection_id)).entry).toBeUndefined();
    expect(await registry.remove(entry.id)).toBeUndefined();
    expect(await registry.setActive(entry.id, true)).toBeUndefined();
  });

  it('registers a connection once: a second registration names the first', async () => {
    const input = connection();
    const first = await registry.register(input);
    if (!('created' in first)) throw new Error('not created');
    expect(await registry.register({ ...input, organization_id: 'org_other' })).toEqual({ existingId: first.created.id });
    expect(first.created.display_name).toBe(`github (ada@example.com)`);
  });

  it('lists newest first', async () => {
    const tool = `tool${serial}`;
    const ids: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      const r = await registry.register(connection({ tool_key: tool }));
      if ('created' in r) ids.push(r.created.id);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect((await registry.list('org_test', tool)).map((c) => c.id)).toEqual(ids.reverse());
  });

  it('answers warm lookups, found or not, without a query', async () => {
    const r = await registry.register(connection());
    if (!('created' in r)) throw new Error('not created');
    await registry.get(r.created.id);
    await registry.get('tcred_doesNotExist000000');
    await registry.getByConnection(r.created.connection_id);
    const before = database.queries();
    for (let i = 0; i < 50; i += 1) {
      expect((await registry.get(r.created.id)).entry?.id).toBe(r.created.id);
      expect((await registry.get('tcred_doesNotExist000000')).entry).toBeUndefined();
      expect((await registry.getByConnection(r.created.connection_id)).entry?.id).toBe(r.created.id);
    }
    expect(database.queries()).toBe(before);
  });
});

describe('a lookup a change overtakes', () => {
  it('is answered but not kept: the next lookup reads the change', async () => {
    // Every query result passes through this plugin; once armed, the next one is held until the gate opens.
    const gate = createGate();
    let armed = false;
    const holdNext: KyselyPlugin = {
      transformQuery: (args) => args.node,
      async transformResult(args) {
        if (armed) {
          armed = false;
          await gate.passed;
        }
        return args.result;
      },
    };
    const database = await openDatabase({ dataDir: 'memory://' });
    const registry = await createRegistry({ ...database, db: database.db.withPlugin(holdNext) });
    try {
      const r = await registry.register(connection());
      if (!('created' in r)) throw new Error('not created');
      armed = true;
      const lookup = registry.get(r.created.id);
      // The lookup's row is read and held; the deletion runs and commits meanwhile.
      await vi.waitFor(() => expect(armed).toBe(false));
      expect(await registry.remove(r.created.id)).toMatchObject({ id: r.created.id });
      gate.open();
      expect((await lookup).entry?.id).toBe(r.created.id);
      expect((await registry.get(r.created.id)).entry).toBeUndefined();
    } finally {
      await registry.close();
    }
  });
});

describe('two registries on one PostgreSQL', () => {
  it("see each other's registrations, deactivations and deletions", async () => {
    const [a, b] = await Promise.all([createRegistry(await openDatabase({ url: postgres.url })), createRegistry(await openDatabase({ url: postgres.url }))]);
    try {
      const input = connection();
      // b has looked, and remembers "not registered"…
      expect((await b.getByConnection(input.connection_id)).entry).toBeUndefined();
      const r = await a.register(input);
      if (!('created' in r)) throw new Error('not created');
      // …until a's announcement reaches it.
      await vi.waitFor(async () => expect((await b.getByConnection(input.connection_id)).entry?.id).toBe(r.created.id));
      expect((await b.get(r.created.id)).entry?.is_active).toBe(true);
      await a.setActive(r.created.id, false);
      await vi.waitFor(async () => expect((await b.get(r.created.id)).entry?.is_active).toBe(false));
      await b.remove(r.created.id);
      await vi.waitFor(async () => expect((await a.get(r.created.id)).entry).toBeUndefined());
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});

describe('PGlite in a data directory', () => {
  it('keeps its registrations across a restart, and migrates once', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'registry-data-'));
    try {
      const first = await createRegistry(await openDatabase({ dataDir: dir }));
      const r = await first.register(connection());
      await first.close();
      if (!('created' in r)) throw new Error('not created');
      const second = await createRegistry(await openDatabase({ dataDir: dir }));
      try {
        expect((await second.get(r.created.id)).entry).toEqual(r.created);
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('PGlite in memory', () => {
  it('with DATA_DIR=memory:// leaves nothing behind in the working directory', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'registry-cwd-'));
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const registry = await createRegistry(await openDatabase({ dataDir: 'memory://' }));
      expect('created' in (await registry.register(connection()))).toBe(true);
      await registry.close();
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      process.chdir(cwd);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('bounded waits on PostgreSQL', () => {
  /** A client that holds an exclusive lock on the registry's table until `release()`. */
  async function lockTable() {
    const client = new pg.Client({ connectionString: postgres.url });
    await client.connect();
    await client.query('begin');
    await client.query('lock table credentials in access exclusive mode');
    return {
      /** Statements of others waiting for the lock. */
      waiting: async () => Number((await client.query("select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock'")).rows[0].n),
      release: async () => {
        await client.query('rollback');
        await client.end();
      },
    };
  }

  it('gives up on a statement that runs past DATABASE_STATEMENT_TIMEOUT_MS: 503 DATABASE_UNAVAILABLE, nothing written', async () => {
    const registry = await createRegistry(await openDatabase({ url: postgres.url, statementTimeoutMs: 200 }), { retryAfterSeconds: 3 });
    const lock = await lockTable();
    const input = connection();
    try {
      const error = await registry.register(input).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'DATABASE_UNAVAILABLE', status: 503, retryAfterSeconds: 3 });
      expect((error as Error).message).toContain('DATABASE_STATEMENT_TIMEOUT_MS');
    } finally {
      await lock.release();
    }
    expect((await registry.getByConnection(input.connection_id)).entry).toBeUndefined();
    await registry.close();
  });

  it('gives up waiting for a connection of an exhausted pool after DATABASE_CONNECT_TIMEOUT_MS: 503 DATABASE_UNAVAILABLE', async () => {
    const registry = await createRegistry(await openDatabase({ url: postgres.url, poolSize: 1, connectTimeoutMs: 2_000, statementTimeoutMs: 60_000 }));
    const lock = await lockTable();
    let held: Promise<unknown> | undefined;
    try {
      // The pool's one connection waits for the lock…
      held = registry.register(connection());
      await vi.waitFor(async () => expect(await lock.waiting()).toBe(1), { timeout: 30_000 });
      // …so another operation gets none.
      const error = await registry.list('org_test', 'github').catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'DATABASE_UNAVAILABLE', status: 503 });
      expect((error as Error).message).toContain('DATABASE_CONNECT_TIMEOUT_MS');
    } finally {
      await lock.release();
    }
    // Once the lock is gone the held write completes, and the pool serves again.
    expect(await held).toHaveProperty('created');
    expect(Array.isArray(await registry.list('org_test', 'github'))).toBe(true);
    await registry.close();
  });
});

describe('what counts as a database outage', () => {
  const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });
  it.each([
    ['connection refused', withCode('ECONNREFUSED')],
    ['refused on every address', Object.assign(new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')]), {})],
    ['no free pool connection in time', new Error('timeout exceeded when trying to connect')],
    ['connection lost', new Error('Connection terminated unexpectedly')],
    ['no answer in time', new Error('Query read timeout')],
    ['statement timeout', withCode('57014')],
    ['shutting down', withCode('57P01')],
    ['too many connections', withCode('53300')],
    ['read-only after a failover', withCode('25006')],
  ])('%s is an outage', (_name, error) => {
    expect(isDatabaseOutage(error)).toBe(true);
  });
  it.each([
    ['a unique violation', withCode('23505')],
    ['a syntax error', withCode('42601')],
    ['a plain bug', new TypeError('undefined is not a function')],
    ['nothing', undefined],
  ])('%s is not', (_name, error) => {
    expect(isDatabaseOutage(error)).toBe(false);
  });
  it('reads back the changes it announces, and nothing else', () => {
    const change = { instance: 'a1b2', id: 'tcred_x', connectionId: 'ca_y' };
    expect(decodeChange(encodeChange(change))).toEqual(change);
    expect(decodeChange('tcred_x')).toBeUndefined();
    expect(decodeChange('a b c d')).toBeUndefined();
  });
});
