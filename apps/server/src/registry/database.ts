/**
 * The registry's database: PostgreSQL through a connection pool when `DATABASE_URL` is set,
 * else PGlite (Postgres compiled to WASM) in process, persisted in a directory. Both run the
 * same schema and the same kysely queries; migrations are applied when the database opens.
 */
import { mkdirSync } from 'node:fs';
import { Kysely, PostgresDialect, sql, type ColumnType, type Generated } from 'kysely';
import { Migrator } from 'kysely/migration';
import { PGliteDialect } from 'kysely-pglite-dialect';
import pg from 'pg';
import { migrations } from './migrations.js';

export interface CredentialsTable {
  id: string;
  connection_id: string;
  tool_key: string;
  organization_id: string;
  entity_id: string | null;
  credential_name: string | null;
  display_name: string;
  account_email: string | null;
  is_active: Generated<boolean>;
  created_at: ColumnType<Date, never, never>;
  updated_at: ColumnType<Date, never, Date>;
}

export interface RegistryTables {
  credentials: CredentialsTable;
}

/** Channel on which every registry change is announced, with the changed credential id. */
export const CHANGES_CHANNEL = 'credential_registry_changes';

export interface RegistryDatabase {
  readonly kind: 'postgresql' | 'pglite';
  readonly db: Kysely<RegistryTables>;
  /** Queries run so far (tests count them; the metric `registry_queries_total` too). */
  queries(): number;
  /** One round trip (readiness). */
  ping(): Promise<void>;
  /**
   * Calls `onChange(id)` for every change announced on `CHANGES_CHANNEL` by any process, and
   * `onGap()` when announcements may have been missed (the listening connection dropped).
   */
  listen(onChange: (id: string) => void, onGap: () => void): Promise<void>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** `postgres://…`; PGlite when absent. */
  url?: string;
  /** PGlite's data directory; in memory when absent. */
  dataDir?: string;
  poolSize?: number;
  onQuery?: () => void;
}

export async function openDatabase(options: DatabaseOptions): Promise<RegistryDatabase> {
  let count = 0;
  const log = (event: { level: string }) => {
    if (event.level === 'query' || event.level === 'error') {
      count += 1;
      options.onQuery?.();
    }
  };
  const database = options.url ? openPostgres(options.url, options.poolSize ?? 10, log) : await openPglite(options.dataDir, log);
  const { error, results } = await new Migrator({ db: database.db, provider: { getMigrations: async () => migrations } }).migrateToLatest();
  if (error) {
    await database.close();
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new Error(`registry migration ${failed ?? ''} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  return { ...database, queries: () => count, ping: async () => void (await sql`select 1`.execute(database.db)) };
}

type Opened = Omit<RegistryDatabase, 'queries' | 'ping'>;

function openPostgres(url: string, max: number, log: (event: { level: string }) => void): Opened {
  const pool = new pg.Pool({ connectionString: url, max, connectionTimeoutMillis: 5_000 });
  // An idle client's error (the server restarted) must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  const db = new Kysely<RegistryTables>({ dialect: new PostgresDialect({ pool }), log });
  let listener: pg.Client | undefined;
  let closed = false;

  async function connectListener(onChange: (id: string) => void, onGap: () => void): Promise<void> {
    const client = new pg.Client({ connectionString: url });
    client.on('notification', (message) => message.payload && onChange(message.payload));
    client.on('error', () => {
      // Announcements may be lost until we listen again: forget what is cached, then reconnect.
      onGap();
      void client.end().catch(() => {});
      if (!closed) setTimeout(() => void connectListener(onChange, onGap).catch(() => onGap()), 1_000).unref();
    });
    await client.connect();
    await client.query(`LISTEN ${CHANGES_CHANNEL}`);
    listener = client;
  }

  return {
    kind: 'postgresql',
    db,
    listen: connectListener,
    async close() {
      closed = true;
      await listener?.end().catch(() => {});
      await db.destroy();
    },
  };
}

async function openPglite(dataDir: string | undefined, log: (event: { level: string }) => void): Promise<Opened> {
  const { PGlite } = await import('@electric-sql/pglite');
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const pglite = await PGlite.create(dataDir);
  const db = new Kysely<RegistryTables>({ dialect: new PGliteDialect(pglite), log });
  return {
    kind: 'pglite',
    db,
    async listen(onChange) {
      await pglite.listen(CHANGES_CHANNEL, onChange);
    },
    async close() {
      await db.destroy();
      if (!pglite.closed) await pglite.close();
    },
  };
}
