import { type Kysely, sql } from 'kysely';

// Portable between MySQL 8.0 and MariaDB 10.11, the two servers this service supports: no RETURNING, no
// expression indexes, no UUID_TO_BIN.
// Identifiers compare byte for byte (utf8mb4_bin / ascii_bin): "UserA" and "usera" are two users.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE attendance_records (
      id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
      user_id VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
      attendance_time DATETIME(6) NOT NULL,
      -- The business-zone calendar date of attendance_time, stored so that a plain unique key holds the
      -- one-attendance-per-day rule against concurrent requests.
      attendance_date DATE NOT NULL,
      created_at DATETIME(6) NOT NULL,
      PRIMARY KEY (id),
      UNIQUE KEY uq_attendance_user_date (user_id, attendance_date)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`.execute(db);

  await sql`
    CREATE TABLE dating_participations (
      id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
      dating_group_id CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
      user_id CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
      meeting_id CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
      event_name VARCHAR(255) NOT NULL,
      scheduled_at DATETIME(6) NOT NULL,
      meeting_created_at DATETIME(6) NOT NULL,
      recorded_at DATETIME(6) NOT NULL,
      PRIMARY KEY (id),
      UNIQUE KEY uq_dating_meeting_user (meeting_id, user_id)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`.execute(db);

  await sql`
    CREATE TABLE study_participations (
      id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
      study_group_id CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
      user_id CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
      meeting_id CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
      study_group_name VARCHAR(255) NOT NULL,
      meeting_name VARCHAR(255) NOT NULL,
      completed_at DATETIME(6) NOT NULL,
      recorded_at DATETIME(6) NOT NULL,
      PRIMARY KEY (id),
      UNIQUE KEY uq_study_meeting_user (meeting_id, user_id)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`.execute(db);

  // The transactional outbox: a row per event still to publish, written in the transaction that stores the
  // record, deleted once the broker has acknowledged it. The payload is built from the (immutable) record at
  // publish time, which also makes a republish a plain insert here.
  await sql`
    CREATE TABLE outbox_events (
      id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
      event_type VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
      record_id BIGINT UNSIGNED NOT NULL,
      traceparent VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NULL,
      created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
      PRIMARY KEY (id)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['outbox_events', 'study_participations', 'dating_participations', 'attendance_records']) {
    await sql`DROP TABLE IF EXISTS ${sql.table(table)}`.execute(db);
  }
}
