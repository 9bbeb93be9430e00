// Versioned schema migrations, applied at start-up and by `npm run migrate`. Kysely's migrator keeps the
// history in kysely_migration and takes a lock, so several instances starting together migrate once.

import { type Kysely, type Migration, Migrator } from 'kysely';
import { createConnection } from 'mysql2/promise';
import { connectionOptions } from './database.ts';
import * as initialSchema from './migrations/0001-initial-schema.ts';
import * as republishJobs from './migrations/0002-republish-jobs.ts';

const migrations: Record<string, Migration> = {
  '0001-initial-schema': initialSchema,
  '0002-republish-jobs': republishJobs,
};

/**
 * Creates the database named in the URL when it does not exist yet (a fresh dev machine or test run). A
 * database that exists is left alone, so a user with rights on that database only (production) is enough.
 */
export async function ensureDatabaseExists(databaseUrl: string): Promise<void> {
  const { database, ...server } = connectionOptions(databaseUrl);
  const probe = await createConnection({ ...server, database, multipleStatements: false }).catch((error: { code?: string }) => {
    if (error.code === 'ER_BAD_DB_ERROR') return undefined;
    throw error;
  });
  if (probe !== undefined) {
    await probe.end();
    return;
  }
  const connection = await createConnection({ ...server, multipleStatements: false });
  try {
    await connection.query(
      `CREATE DATABASE IF NOT EXISTS ${connection.escapeId(database as string)} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`,
    );
  } finally {
    await connection.end();
  }
}

// biome-ignore lint/suspicious/noExplicitAny: migrations run before the typed schema exists.
export async function migrateToLatest(db: Kysely<any>): Promise<string[]> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) throw error;
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
