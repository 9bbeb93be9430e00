// The tables that Kysely queries (the participation tables are written and read with plain mysql2 statements
// built from their record kinds' descriptors). DATETIME columns travel as text (mysql2 `dateStrings`), so no
// driver ever shifts a local business time by the process's or the server's time zone.

import type { Generated } from 'kysely';

interface AttendanceRecordsTable {
  id: Generated<number>;
  user_id: string;
  attendance_time: string;
  attendance_date: string;
  created_at: string;
}

interface OutboxEventsTable {
  id: Generated<number>;
  event_type: string;
  record_id: number;
  traceparent: string | null;
  created_at: Generated<string>;
}

interface RepublishJobsTable {
  job_key: string;
  event_type: string;
  last_record_id: Generated<number>;
  enqueued: Generated<number>;
  started_at: Generated<string>;
  finished_at: string | null;
}

export interface RecordingDatabase {
  attendance_records: AttendanceRecordsTable;
  outbox_events: OutboxEventsTable;
  republish_jobs: RepublishJobsTable;
}
