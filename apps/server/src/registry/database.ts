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

/** Channel on which every registry change is announced (see `RegistryChange`). */
export const CHANGES_CHANNEL = 'credential_registry_changes';

/** One announced change: which instance made it, to which credential and connection. */
export interface RegistryChange {
  /** The announcing instance's id (it has already forgotten its own change). */
  instance: string;
  id: string;
  connectionId: string;
}

/** The payload of a change on `CHANGES_CHANNEL`: `"<instance> <credential id> <connection id>"`. */
export const encodeChange = (change: RegistryChange): string => `${change.instance} ${change.id} ${change.connectionId}`;

/** A payload read back; undefined for one that is not a change (another writer on the channel). */
export function decodeChange(payload: string): RegistryChange | undefined {
  const [instance, id, connectionId, extra] = payload.split(' ');
  return instance && id && connectionId && extra === undefined ? { instance, id, connectionId } : undefined;
}

export interface ListenHandlers {
  /** Every change announced by any process, this one included. */
  onChange(change: RegistryChange): void;
  /** Announcements may be missed from now on: the listening connection is lost (called once per loss). */
  onGap(): void;
  /** Listening again after a gap: what was announced meanwhile is lost. */
  onResume(): void;
}

export interface RegistryDatabase {
  readonly kind: 'postgresql' | 'pglite';
  readonly db: Kysely<RegistryTables>;
  /** Queries run so far (tests count them; the metric `registry_queries_total` too). */
  queries(): number;
  /** One round trip (readiness). */
  ping(): Promise<void>;
  /**
   * Listens on `CHANGES_CHANNEL` until `close()`. When the listening connection is lost it calls
   * `onGap`, reconnects every second, and calls `onResume` once it listens again.
   */
  listen(handlers: ListenHandlers): Promise<void>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** `postgres://…`; PGlite when absent. */
  url?: string;
  /** PGlite's data directory; in memory when absent or `memory://`. */
  dataDir?: string;
  poolSize?: number;
  /** Longest wait for a connection (a new one, or a free one of the pool), in ms. */
  connectTimeoutMs?: number;
  /** Longest run of a statement, in ms: PostgreSQL cancels it (and the client gives up a second later). */
  statementTimeoutMs?: number;
  onQuery?: () => void;
}

/** Node's codes for a connection that could not be made or was lost. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN', 'ENOTFOUND', 'EAI_AGAIN']);
/**
 * SQLSTATEs of a database in trouble rather than a bad query: connection exceptions (class 08),
 * insufficient resources (53: too many connections, disk full), a statement cancelled by
 * `statement_timeout` (57014), a server shutting down or starting (57P01-57P03), and a write on a
 * read-only server (25006: a standby after a failover).
 */
const OUTAGE_SQLSTATE = /^(08...|53...|57014|57P0[123]|25006)$/;
/** node-postgres's own messages for a connection timed out, lost, or given up on. */
const OUTAGE_MESSAGES = /^(timeout exceeded when trying to connect|Connection terminated|Query read timeout|Client has encountered a connection error|Client was closed)/;

/**
 * Whether a failure of a query says the database is unavailable (unreachable, too slow, out of
 * connections, shutting down), as opposed to a fault of the query or of this server.
 */
export function isDatabaseOutage(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message, errors } = error as { code?: unknown; message?: unknown; errors?: unknown };
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || OUTAGE_SQLSTATE.test(code))) return true;
  if (typeof message === 'string' && OUTAGE_MESSAGES.test(message)) return true;
  // A connection attempt to several addresses fails with every attempt's error.
  return Array.isArray(errors) && errors.some(isDatabaseOutage);
}

/** A short, secret-free description of an outage for logs and `system_message`. */
export function describeOutage(error: unknown): string {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (code === '57014') return 'a statement ran past DATABASE_STATEMENT_TIMEOUT_MS';
  if (typeof message === 'string' && message.startsWith('timeout exceeded')) return 'no connection within DATABASE_CONNECT_TIMEOUT_MS';
  if (typeof message === 'string' && message.startsWith('Query read timeout')) return 'no answer within DATABASE_STATEMENT_TIMEOUT_MS';
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (typeof code === 'string' && code.startsWith('57P0')) return 'the database is shutting down or starting';
  if (code === '53300') return 'too many connections';
  if (code === '25006') return 'the database is read-only';
  if (typeof code === 'string') return code;
  return 'connection lost';
}

export async function openDatabase(options: DatabaseOptions): Promise<RegistryDatabase> {
  let count = 0;
  const log = (event: { level: string }) => {
    if (event.level === 'query' || event.level === 'error') {
      count += 1;
      options.onQuery?.();
    }
  };
  const database = options.url
    ? openPostgres(options.url, { max: options.poolSize ?? 10, connectTimeoutMs: options.connectTimeoutMs ?? 2_000, statementTimeoutMs: options.statementTimeoutMs ?? 5_000 }, log)
    : await openPglite(options.dataDir, log);
  const { error, results } = await new Migrator({ db: database.db, provider: { getMigrations: async () => migrations } }).migrateToLatest();
  if (error) {
    await database.close();
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new Error(`registry migration ${failed ?? ''} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  return { ...database, queries: () => count, ping: async () => void (await sql`select 1`.execute(database.db)) };
}

type Opened = Omit<RegistryDatabase, 'queries' | 'ping'>;

interface PostgresLimits {
  max: number;
  connectTimeoutMs: number;
  statementTimeoutMs: number;
}

/** How long the listener waits before connecting again after losing its connection. */
const RELISTEN_AFTER_MS = 1_000;

function openPostgres(url: string, limits: PostgresLimits, log: (event: { level: string }) => void): Opened {
  // Every wait is bounded: for a connection (a new one, or a free one of a busy pool), and for a
  // statement, which PostgreSQL cancels; the client gives up a second later still, should the
  // server itself not answer.
  const bounds = { connectionTimeoutMillis: limits.connectTimeoutMs, statement_timeout: limits.statementTimeoutMs, query_timeout: limits.statementTimeoutMs + 1_000 };
  const pool = new pg.Pool({ connectionString: url, max: limits.max, ...bounds });
  // An idle client's error (the server restarted) must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  const db = new Kysely<RegistryTables>({ dialect: new PostgresDialect({ pool }), log });
  let listener: pg.Client | undefined;
  let closed = false;

  function listen(handlers: ListenHandlers): Promise<void> {
    let gap = false;
    const lost = (client: pg.Client) => {
      if (listener !== client) return;
      listener = undefined;
      void client.end().catch(() => {});
      if (!gap) {
        gap = true;
        handlers.onGap();
      }
      if (!closed) setTimeout(() => void connect().catch(() => undefined), RELISTEN_AFTER_MS).unref();
    };
    async function connect(): Promise<void> {
      if (closed) return;
      // TCP keep-alive: a listener whose server vanished without closing the connection finds out.
      const client = new pg.Client({
        connectionString: url,
        connectionTimeoutMillis: limits.connectTimeoutMs,
        keepAlive: true,
        keepAliveInitialDelayMillis: 10_000,
        application_name: 'credential-registry-listener',
      });
      client.on('notification', (message) => {
        const change = message.payload === undefined ? undefined : decodeChange(message.payload);
        if (change) handlers.onChange(change);
      });
      listener = client;
      // A server that stops sends an error, or just closes the connection: either is a loss.
      client.on('error', () => lost(client));
      client.on('end', () => lost(client));
      try {
        await client.connect();
        await client.query(`LISTEN ${CHANGES_CHANNEL}`);
      } catch (error) {
        lost(client);
        throw error;
      }
      if (closed) return void client.end().catch(() => {});
      if (gap) {
        gap = false;
        handlers.onResume();
      }
    }
    return connect();
  }

  return {
    kind: 'postgresql',
    db,
    listen,
    async close() {
      closed = true;
      const client = listener;
      listener = undefined;
      await client?.end().catch(() => {});
      await db.destroy();
    },
  };
}

/** PGlite's own name for a database kept in memory; never a directory. */
const IN_MEMORY = /^memory:\/\//;

async function openPglite(dataDir: string | undefined, log: (event: { level: string }) => void): Promise<Opened> {
  const { PGlite } = await import('@electric-sql/pglite');
  const inMemory = dataDir === undefined || IN_MEMORY.test(dataDir);
  if (!inMemory) mkdirSync(dataDir, { recursive: true });
  const pglite = await PGlite.create(inMemory ? undefined : dataDir);
  const db = new Kysely<RegistryTables>({ dialect: new PGliteDialect(pglite), log });
  return {
    kind: 'pglite',
    db,
    // In process: the channel cannot be lost, so there is never a gap.
    async listen({ onChange }) {
      await pglite.listen(CHANGES_CHANNEL, (payload) => {
        const change = decodeChange(payload);
        if (change) onChange(change);
      });
    },
    async close() {
      await db.destroy();
      if (!pglite.closed) await pglite.close();
    },
  };
}
