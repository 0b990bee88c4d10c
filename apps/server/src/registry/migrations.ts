/**
 * The registry's schema, as versioned migrations. They are applied at start, in order, by
 * kysely's Migrator, which records them in `kysely_migration` and holds a lock meanwhile, so
 * several instances starting together apply each one once. A migration is never edited after it
 * ships: a change is a new migration.
 */
import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

export const migrations: Record<string, Migration> = {
  '2026-11-22-001-credentials': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('credentials')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('connection_id', 'text', (c) => c.notNull().unique())
        .addColumn('tool_key', 'text', (c) => c.notNull())
        .addColumn('organization_id', 'text', (c) => c.notNull())
        .addColumn('entity_id', 'text')
        .addColumn('credential_name', 'text')
        .addColumn('display_name', 'text', (c) => c.notNull())
        .addColumn('account_email', 'text')
        .addColumn('is_active', 'boolean', (c) => c.notNull().defaultTo(true))
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      // The connection list: one organization's connections of one tool, newest first.
      await db.schema.createIndex('credentials_by_organization_tool').on('credentials').columns(['organization_id', 'tool_key', 'created_at desc']).execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('credentials').execute();
    },
  },
};
