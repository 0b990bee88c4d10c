/**
 * The credential registry: the platform's own credential ids (`tcred_…`), each pointing at one
 * vendor connection for one tool in one organization.
 *
 * Reads are on every request's path, so lookups by credential id and by connection id are kept
 * in process (positive and negative answers alike). Every write announces the changed ids on
 * the database's change channel, inside the write's transaction; every other instance drops
 * those entries when the announcement arrives, and this one drops them at once, so its own next
 * request already sees the change. Entries also expire after `ttlMs`.
 *
 * When the listening connection is lost (the database stopped, failed over, or the network
 * blinked), announcements may be missed: what is kept becomes *unverified*. It is still served
 * for at most `staleMaxMs` after the loss, each answer saying so (`Lookup.unverified`), and
 * nothing new is kept meanwhile; past that window every lookup asks the database. When the
 * listener is back, everything kept is forgotten, since it may have missed changes.
 *
 * A database that cannot be reached or does not answer in time is an outage, not a fault of
 * this server: every operation that needs it fails with 503 `DATABASE_UNAVAILABLE`.
 */
import { randomBytes } from 'node:crypto';
import { sql, type Selectable } from 'kysely';
import { LRUCache } from 'lru-cache';
import type { ConnectionSummary, CredentialRecord } from '@connector-credentials/types';
import { databaseUnavailable } from '../errors.js';
import { CHANGES_CHANNEL, describeOutage, encodeChange, isDatabaseOutage, type CredentialsTable, type RegistryDatabase } from './database.js';

/** A registry entry as the server uses it: the public record plus the connection's user. */
export interface CredentialEntry extends CredentialRecord {
  entity_id: string | null;
}

export interface NewCredential {
  connection_id: string;
  organization_id: string;
  credential_name: string | null;
  tool_key: string;
  entity_id: string | null;
  account_email: string | null;
}

export type RegisterResult = { created: CredentialEntry } | { existingId: string };

/** The answer of a lookup. */
export interface Lookup {
  /** The entry; undefined when there is none. */
  entry: CredentialEntry | undefined;
  /** Answered from memory while changes could not be heard (the database was lost): it may be out of date. */
  unverified: boolean;
}

/** Where the registry's database stands, as this instance last saw it. */
export type DatabaseState = 'up' | 'down';

export interface Registry {
  register(credential: NewCredential): Promise<RegisterResult>;
  /** The entry of a credential id. */
  get(id: string): Promise<Lookup>;
  /** The entry that points at a vendor connection (none when it is not registered). */
  getByConnection(connectionId: string): Promise<Lookup>;
  /** One organization's connections of one tool, active and not, newest first. */
  list(organizationId: string, toolKey: string): Promise<ConnectionSummary[]>;
  /** Turns a credential on or off; undefined when there is no such credential. */
  setActive(id: string, isActive: boolean): Promise<CredentialEntry | undefined>;
  /** Removes a credential; the removed entry, or undefined when there was none. */
  remove(id: string): Promise<CredentialEntry | undefined>;
  /** Whether what is kept in memory is verified (changes are heard) or not. */
  cacheState(): 'verified' | 'unverified';
  /** One round trip to the database (readiness); 503 DATABASE_UNAVAILABLE when it fails. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface RegistryOptions {
  /** Longest life of a cached lookup, in ms. */
  ttlMs?: number;
  maxEntries?: number;
  /** How long after the change listener is lost kept entries are still served (unverified), in ms. */
  staleMaxMs?: number;
  /** `Retry-After` of a 503 `DATABASE_UNAVAILABLE`, in seconds. */
  retryAfterSeconds?: number;
  /** The clock of the unverified window, in ms (tests move it). */
  now?: () => number;
  /** Called for every change another instance announces (to drop what else is kept of it). */
  onRemoteChange?: (id: string, connectionId: string) => void;
  /** Called for every lookup answered from memory while unverified. */
  onUnverifiedLookup?: () => void;
  /** Called when the database is seen to go down (an outage, the listener lost) or come back up. */
  onDatabaseState?: (state: DatabaseState) => void;
}

/** `tcred_` and 20 URL-safe characters (120 random bits). */
export function newCredentialId(): string {
  return `tcred_${randomBytes(15).toString('base64url')}`;
}

function displayName(c: Pick<NewCredential, 'credential_name' | 'tool_key' | 'account_email' | 'connection_id'>): string {
  return c.credential_name ?? `${c.tool_key} (${c.account_email ?? c.connection_id})`;
}

function toEntry(row: Selectable<CredentialsTable>): CredentialEntry {
  return {
    id: row.id,
    connection_id: row.connection_id,
    tool_key: row.tool_key,
    organization_id: row.organization_id,
    credential_name: row.credential_name,
    display_name: row.display_name,
    account_email: row.account_email,
    is_active: row.is_active,
    created_at: row.created_at.toISOString(),
    entity_id: row.entity_id,
  };
}

const ENTRY_COLUMNS = ['id', 'connection_id', 'tool_key', 'organization_id', 'entity_id', 'credential_name', 'display_name', 'account_email', 'is_active', 'created_at', 'updated_at'] as const;

export async function createRegistry(database: RegistryDatabase, options: RegistryOptions = {}): Promise<Registry> {
  const { db } = database;
  const now = options.now ?? Date.now;
  const staleMaxMs = options.staleMaxMs ?? 60_000;
  const retryAfterSeconds = options.retryAfterSeconds ?? 5;
  // `{ missing: true }` is a cached "not registered".
  const cache = new LRUCache<string, CredentialEntry | { missing: true }>({ max: options.maxEntries ?? 10_000, ttl: options.ttlMs ?? 300_000 });
  const byId = (id: string) => `id:${id}`;
  const byConnection = (connectionId: string) => `connection:${connectionId}`;
  /** Counts the changes forgotten: a lookup read while one was made (here or announced) is not kept. */
  let changes = 0;
  const forget = (id: string, connectionId?: string) => {
    changes += 1;
    cache.delete(byId(id));
    if (connectionId) cache.delete(byConnection(connectionId));
  };

  /** When the listener was lost; undefined while changes are heard. */
  let unverifiedSince: number | undefined;
  /** Counts losses and resumptions: a lookup read across one is not kept. */
  let epoch = 0;
  let databaseState: DatabaseState = 'up';
  const seen = (state: DatabaseState) => {
    if (state === databaseState) return;
    databaseState = state;
    options.onDatabaseState?.(state);
  };

  // This instance forgets its own changes when it makes them; announcements are for the others.
  const instance = randomBytes(8).toString('hex');
  try {
    await database.listen({
      onChange(change) {
        if (change.instance === instance) return;
        forget(change.id, change.connectionId);
        options.onRemoteChange?.(change.id, change.connectionId);
      },
      onGap() {
        epoch += 1;
        unverifiedSince = now();
        seen('down');
      },
      onResume() {
        // Announcements made meanwhile were missed: nothing kept can be trusted.
        cache.clear();
        epoch += 1;
        unverifiedSince = undefined;
        seen('up');
      },
    });
  } catch (error) {
    await database.close();
    throw error;
  }

  /** Runs a database operation; an outage becomes 503 DATABASE_UNAVAILABLE, anything else stays as it is. */
  async function query<T>(run: () => Promise<T>): Promise<T> {
    try {
      const result = await run();
      if (unverifiedSince === undefined) seen('up');
      return result;
    } catch (error) {
      if (!isDatabaseOutage(error)) throw error;
      seen('down');
      throw databaseUnavailable(`The registry's database did not answer (${describeOutage(error)})`, retryAfterSeconds, error);
    }
  }

  /** Announces a change to every instance, inside the transaction that makes it. */
  const announce = (trx: typeof db, id: string, connectionId: string) =>
    sql`select pg_notify(${CHANGES_CHANNEL}, ${encodeChange({ instance, id, connectionId })})`.execute(trx);

  async function cached(key: string, load: () => Promise<CredentialEntry | undefined>): Promise<Lookup> {
    const hit = cache.get(key);
    const unverified = unverifiedSince !== undefined;
    if (hit !== undefined && (!unverified || now() - unverifiedSince! < staleMaxMs)) {
      if (unverified) options.onUnverifiedLookup?.();
      return { entry: 'missing' in hit ? undefined : hit, unverified };
    }
    const [started, changed] = [epoch, changes];
    const entry = await query(load);
    // While changes cannot be heard (or if that began or ended during the read), nothing new is
    // kept: it could not be kept up to date. Nor is a read a change overtook: it may hold the row
    // as it was before a deletion or a deactivation, which would be served until the entry expires.
    if (unverifiedSince === undefined && epoch === started && changes === changed) cache.set(key, entry ?? { missing: true });
    return { entry, unverified: false };
  }

  async function register(credential: NewCredential): Promise<RegisterResult> {
    const id = newCredentialId();
    const created = await query(() =>
      db.transaction().execute(async (trx) => {
        const row = await trx
          .insertInto('credentials')
          .values({ id, ...credential, display_name: displayName(credential) })
          .onConflict((oc) => oc.column('connection_id').doNothing())
          .returning(ENTRY_COLUMNS)
          .executeTakeFirst();
        if (row) await announce(trx, row.id, row.connection_id);
        return row;
      }),
    );
    if (created) {
      forget(created.id, created.connection_id);
      return { created: toEntry(created) };
    }
    const existing = await query(() => db.selectFrom('credentials').select('id').where('connection_id', '=', credential.connection_id).executeTakeFirst());
    // Removed between the two statements: a retry registers it.
    if (!existing) return register(credential);
    return { existingId: existing.id };
  }

  return {
    register,

    get(id) {
      return cached(byId(id), async () => {
        const row = await db.selectFrom('credentials').select(ENTRY_COLUMNS).where('id', '=', id).executeTakeFirst();
        return row && toEntry(row);
      });
    },

    getByConnection(connectionId) {
      return cached(byConnection(connectionId), async () => {
        const row = await db.selectFrom('credentials').select(ENTRY_COLUMNS).where('connection_id', '=', connectionId).executeTakeFirst();
        return row && toEntry(row);
      });
    },

    async list(organizationId, toolKey) {
      const rows = await query(() =>
        db
          .selectFrom('credentials')
          .select(['id', 'tool_key', 'display_name', 'credential_name', 'account_email', 'connection_id', 'is_active', 'created_at'])
          .where('organization_id', '=', organizationId)
          .where('tool_key', '=', toolKey)
          .orderBy('created_at', 'desc')
          .orderBy('id')
          .execute(),
      );
      return rows.map((row) => ({ ...row, created_at: row.created_at.toISOString() }));
    },

    async setActive(id, isActive) {
      const row = await query(() =>
        db.transaction().execute(async (trx) => {
          const updated = await trx
            .updateTable('credentials')
            .set({ is_active: isActive, updated_at: new Date() })
            .where('id', '=', id)
            .returning(ENTRY_COLUMNS)
            .executeTakeFirst();
          if (updated) await announce(trx, updated.id, updated.connection_id);
          return updated;
        }),
      );
      if (!row) return undefined;
      forget(row.id, row.connection_id);
      return toEntry(row);
    },

    async remove(id) {
      const row = await query(() =>
        db.transaction().execute(async (trx) => {
          const deleted = await trx.deleteFrom('credentials').where('id', '=', id).returning(ENTRY_COLUMNS).executeTakeFirst();
          if (deleted) await announce(trx, deleted.id, deleted.connection_id);
          return deleted;
        }),
      );
      if (!row) return undefined;
      forget(row.id, row.connection_id);
      return toEntry(row);
    },

    ping: () => query(() => database.ping()),

    cacheState: () => (unverifiedSince === undefined ? 'verified' : 'unverified'),

    close: () => database.close(),
  };
}
