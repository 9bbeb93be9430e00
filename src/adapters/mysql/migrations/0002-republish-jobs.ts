import { type Kysely, sql } from 'kysely';

// Progress of `npm run republish`, so that an interrupted run resumes where it stopped.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE republish_jobs (
      job_key VARCHAR(191) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
      event_type VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
      last_record_id BIGINT UNSIGNED NOT NULL DEFAULT 0,
      enqueued BIGINT UNSIGNED NOT NULL DEFAULT 0,
      started_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
      finished_at DATETIME(6) NULL,
      PRIMARY KEY (job_key)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE IF EXISTS republish_jobs`.execute(db);
}
