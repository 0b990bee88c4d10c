/**
 * The credential registry: the platform's own credential ids (`tcred_…`), each pointing at one
 * vendor connection for one tool in one organization.
 *
 * Reads are on every request's path, so lookups by credential id and by connection id are kept
 * in process (positive and negative answers alike). Every write announces the changed ids on
 * the database's change channel, inside the write's transaction; every other instance drops
 * those entries when the announcement arrives, and this one drops them at once, so its own next
 * request already sees the change. When announcements may have been missed (the listening
 * connection dropped) everything cached is forgotten. Entries also expire after `ttlMs`.
 */
import { randomBytes } from 'node:crypto';
import { sql, type Selectable } from 'kysely';
import { LRUCache } from 'lru-cache';
import type { ConnectionSummary, CredentialRecord } from '@connector-credentials/types';
import { CHANGES_CHANNEL, type CredentialsTable, type RegistryDatabase } from './database.js';

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

export interface Registry {
  register(credential: NewCredential): Promise<RegisterResult>;
  /** The entry of a credential id, or undefined. */
  get(id: string): Promise<CredentialEntry | undefined>;
  /** The entry that points at a vendor connection, or undefined when it is not registered. */
  getByConnection(connectionId: string): Promise<CredentialEntry | undefined>;
  /** One organization's connections of one tool, active and not, newest first. */
  list(organizationId: string, toolKey: string): Promise<ConnectionSummary[]>;
  /** Turns a credential on or off; undefined when there is no such credential. */
  setActive(id: string, isActive: boolean): Promise<CredentialEntry | undefined>;
  /** Removes a credential; false when there was none. */
  remove(id: string): Promise<boolean>;
  close(): Promise<void>;
}

export interface RegistryOptions {
  /** Longest life of a cached lookup, in ms. */
  ttlMs?: number;
  maxEntries?: number;
  /** Called for every change another instance announces (to drop what else is kept of it). */
  onRemoteChange?: (id: string, connectionId: string) => void;
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
  // `{ missing: true }` is a cached "not registered".
  const cache = new LRUCache<string, CredentialEntry | { missing: true }>({ max: options.maxEntries ?? 10_000, ttl: options.ttlMs ?? 300_000 });
  const byId = (id: string) => `id:${id}`;
  const byConnection = (connectionId: string) => `connection:${connectionId}`;
  const forget = (id: string, connectionId?: string) => {
    cache.delete(byId(id));
    if (connectionId) cache.delete(byConnection(connectionId));
  };
  // This instance forgets its own changes when it makes them; announcements are for the others.
  const instance = randomBytes(8).toString('hex');
  await database.listen(
    (payload) => {
      const [from, id, connectionId] = payload.split(' ');
      if (from === instance || !id) return;
      forget(id, connectionId);
      if (connectionId) options.onRemoteChange?.(id, connectionId);
    },
    () => cache.clear(),
  );

  /** Announces a change to every instance, inside the transaction that makes it. */
  const announce = (trx: typeof db, id: string, connectionId: string) =>
    sql`select pg_notify(${CHANGES_CHANNEL}, ${`${instance} ${id} ${connectionId}`})`.execute(trx);

  async function cached(key: string, load: () => Promise<CredentialEntry | undefined>): Promise<CredentialEntry | undefined> {
    const hit = cache.get(key);
    if (hit !== undefined) return 'missing' in hit ? undefined : hit;
    const entry = await load();
    cache.set(key, entry ?? { missing: true });
    return entry;
  }

  async function register(credential: NewCredential): Promise<RegisterResult> {
    const id = newCredentialId();
    const created = await db.transaction().execute(async (trx) => {
      const row = await trx
        .insertInto('credentials')
        .values({ id, ...credential, display_name: displayName(credential) })
        .onConflict((oc) => oc.column('connection_id').doNothing())
        .returning(ENTRY_COLUMNS)
        .executeTakeFirst();
      if (row) await announce(trx, row.id, row.connection_id);
      return row;
    });
    if (created) {
      forget(created.id, created.connection_id);
      return { created: toEntry(created) };
    }
    const existing = await db.selectFrom('credentials').select('id').where('connection_id', '=', credential.connection_id).executeTakeFirst();
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
      const rows = await db
        .selectFrom('credentials')
        .select(['id', 'tool_key', 'display_name', 'credential_name', 'account_email', 'connection_id', 'is_active', 'created_at'])
        .where('organization_id', '=', organizationId)
        .where('tool_key', '=', toolKey)
        .orderBy('created_at', 'desc')
        .orderBy('id')
        .execute();
      return rows.map((row) => ({ ...row, created_at: row.created_at.toISOString() }));
    },

    async setActive(id, isActive) {
      const row = await db.transaction().execute(async (trx) => {
        const updated = await trx
          .updateTable('credentials')
          .set({ is_active: isActive, updated_at: new Date() })
          .where('id', '=', id)
          .returning(ENTRY_COLUMNS)
          .executeTakeFirst();
        if (updated) await announce(trx, updated.id, updated.connection_id);
        return updated;
      });
      if (!row) return undefined;
      forget(row.id, row.connection_id);
      return toEntry(row);
    },

    async remove(id) {
      const row = await db.transaction().execute(async (trx) => {
        const deleted = await trx.deleteFrom('credentials').where('id', '=', id).returning(['id', 'connection_id']).executeTakeFirst();
        if (deleted) await announce(trx, deleted.id, deleted.connection_id);
        return deleted;
      });
      if (!row) return false;
      forget(row.id, row.connection_id);
      return true;
    },

    close: () => database.close(),
  };
}
