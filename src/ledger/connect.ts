// Opens the ledger's database: PostgreSQL through pg, or embedded PGlite through PGlite's own pg adapter.
import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { createPgConfig } from '@electric-sql/pglite/node-postgres';
import { Kysely, PostgresDialect } from 'kysely';
import { Pool } from 'pg';
import type { LedgerDatabase } from './schema';

export interface LedgerConnectionOptions {
  /** `postgres://…` (HANDOFF_DATABASE_URL): a real PostgreSQL. Wins over the embedded options. */
  databaseUrl?: string;
  /** Directory of the embedded PGlite database (the service passes `<HANDOFF_DATA_DIR>/ledger`); `memory://` keeps it in memory. */
  dataDir?: string;
  /** An open PGlite instance owned by the caller: the ledger uses it and never closes it. */
  pglite?: PGlite;
  /** Connections to PostgreSQL (default 10); PGlite has a single one. */
  poolSize?: number;
}

export interface LedgerConnection {
  db: Kysely<LedgerDatabase>;
  backend: 'postgres' | 'pglite';
  close(): Promise<void>;
}

export async function connectLedger(options: LedgerConnectionOptions): Promise<LedgerConnection> {
  if (options.databaseUrl) {
    if (!/^postgres(ql)?:\/\//.test(options.databaseUrl))
      throw new Error('the ledger database URL must start with postgres:// or postgresql://');
    const pool = new Pool({ connectionString: options.databaseUrl, max: options.poolSize ?? 10 });
    // An idle client's dropped connection is replaced at the next query; unheard, the error would end the process.
    pool.on('error', () => undefined);
    const db = new Kysely<LedgerDatabase>({ dialect: new PostgresDialect({ pool }) });
    return { db, backend: 'postgres', close: () => db.destroy() };
  }
  const owned = !options.pglite;
  let pglite = options.pglite;
  if (!pglite) {
    const dataDir = options.dataDir;
    if (!dataDir) throw new Error('the ledger needs a database URL or a data directory');
    if (!dataDir.startsWith('memory://')) mkdirSync(dataDir, { recursive: true });
    pglite = await PGlite.create(dataDir);
  }
  // PGlite's node-postgres adapter: the same pg driver and type parsing as PostgreSQL, over one connection.
  const pool = new Pool({ ...createPgConfig(pglite), max: 1, idleTimeoutMillis: 0 });
  const db = new Kysely<LedgerDatabase>({ dialect: new PostgresDialect({ pool }) });
  const instance = pglite;
  return {
    db,
    backend: 'pglite',
    close: async () => {
      await db.destroy();
      if (owned && !instance.closed) await instance.close();
    },
  };
}
