// Every ledger migration, listed in code so a bundler keeps them (no directory scan at run time).
import { Migrator, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import * as m001 from './001-initial';
import * as m002 from './002-notifications';

/** Applied in name order; a new migration is a new file and one line here. */
export const LEDGER_MIGRATIONS: Readonly<Record<string, Migration>> = {
  '001-initial': m001,
  '002-notifications': m002,
};

export const ledgerMigrationProvider: MigrationProvider = {
  getMigrations: () => Promise.resolve({ ...LEDGER_MIGRATIONS }),
};

/** The ledger's own bookkeeping tables, so it can share a database with anything else. */
export function ledgerMigrator(db: Kysely<unknown>): Migrator {
  return new Migrator({
    db,
    provider: ledgerMigrationProvider,
    migrationTableName: 'ledger_migrations',
    migrationLockTableName: 'ledger_migrations_lock',
  });
}

/** Brings the schema to the latest migration; throws the migration's own error if one fails. */
export async function migrateLedgerToLatest(db: Kysely<unknown>): Promise<string[]> {
  const { error, results } = await ledgerMigrator(db).migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error('ledger migration failed', { cause: error });
  return (results ?? []).map((r) => r.migrationName);
}
