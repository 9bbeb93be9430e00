// The books of a scenario: what was asked for (participations sent, attendances settled), what the store
// holds, and which events came out on Kafka. "Exactly once in the store, at least once on Kafka" becomes
// figures, and anything off becomes a problem named in the failure.

import type { Connection, RowDataPacket } from 'mysql2/promise';
import { eventIdOf } from '../../../src/domain/events.ts';
import { eventually } from '../../../testkit/polling.ts';
import type { ReadMessage } from '../../../testkit/topic-reader.ts';
import type { Settled } from './attendance-traffic.ts';
import type { Figures } from './figures.ts';
import { type Participation, participationKey } from './participation-feed.ts';

export interface Expected {
  participations: ReadonlyMap<string, Participation>;
  attendances: ReadonlyMap<string, Settled>;
}

export interface Counts {
  rows: number;
  outbox: number;
}

export async function storeCounts(sql: Connection): Promise<Counts> {
  const [rows] = await sql.query<RowDataPacket[]>(
    `SELECT (SELECT COUNT(*) FROM attendance_records) + (SELECT COUNT(*) FROM dating_participations)
       + (SELECT COUNT(*) FROM study_participations) AS n, (SELECT COUNT(*) FROM outbox_events) AS outbox`,
  );
  return { rows: Number(rows[0]?.n), outbox: Number(rows[0]?.outbox) };
}

interface StoredRow {
  type: string;
  id: number;
  /** The natural key the unique index holds: (meeting, user) per kind, or (user, date). */
  key: string;
  /** For attendance: the user; for participations: the participationKey. */
  subject: string;
}

export async function storedRows(sql: Connection): Promise<StoredRow[]> {
  const [attendance] = await sql.query<RowDataPacket[]>('SELECT id, user_id, attendance_date FROM attendance_records');
  const [dating] = await sql.query<RowDataPacket[]>('SELECT id, meeting_id, user_id FROM dating_participations');
  const [study] = await sql.query<RowDataPacket[]>('SELECT id, meeting_id, user_id FROM study_participations');
  return [
    ...attendance.map((r) => ({
      type: 'AttendanceRecordCreated' as const,
      id: Number(r.id),
      key: `attendance/${r.user_id}/${r.attendance_date}`,
      subject: String(r.user_id),
    })),
    ...dating.map((r) => {
      const key = participationKey({ kind: 'dating', meetingId: r.meeting_id, userId: r.user_id });
      return { type: 'DatingParticipationRecorded' as const, id: Number(r.id), key, subject: key };
    }),
    ...study.map((r) => {
      const key = participationKey({ kind: 'study', meetingId: r.meeting_id, userId: r.user_id });
      return { type: 'StudyParticipationRecorded' as const, id: Number(r.id), key, subject: key };
    }),
  ];
}

export type Audit = Pick<
  Figures,
  'inputs' | 'rows' | 'duplicateRows' | 'eventsOut' | 'missingRows' | 'missingEvents' | 'resent'
> & {
  /** Everything that breaks the promise, in words; empty when it held. */
  problems: string[];
};

/** Compares what was asked for with what is stored and what was published. */
export async function audit(sql: Connection, expected: Expected, published: readonly ReadMessage[]): Promise<Audit> {
  const rows = await storedRows(sql);
  const problems: string[] = [];
  const keys = new Set(rows.map((r) => r.key));
  const duplicateRows = rows.length - keys.size;
  if (duplicateRows > 0) problems.push(`${duplicateRows} duplicate row(s)`);

  const participations = new Set(rows.filter((r) => r.type !== 'AttendanceRecordCreated').map((r) => r.subject));
  const attendances = new Map(rows.filter((r) => r.type === 'AttendanceRecordCreated').map((r) => [r.id, r]));
  let missingRows = 0;
  for (const key of expected.participations.keys()) if (!participations.has(key)) missingRows++;
  const answeredIds = new Set<number>();
  for (const settled of expected.attendances.values()) {
    answeredIds.add(settled.id);
    const row = attendances.get(settled.id);
    if (row === undefined) missingRows++;
    else if (row.subject !== settled.userId)
      problems.push(`attendance ${settled.id} answered for ${settled.userId} is ${row.subject}'s`);
  }
  if (missingRows > 0) problems.push(`${missingRows} input(s) with no row`);
  const unasked = rows.filter((r) =>
    r.type === 'AttendanceRecordCreated' ? !answeredIds.has(r.id) : !expected.participations.has(r.subject),
  );
  if (unasked.length > 0) problems.push(`${unasked.length} row(s) nobody asked for (e.g. ${unasked[0]?.subject})`);

  const seen = new Map<string, number>();
  let malformed = 0;
  for (const message of published) {
    const eventId = message.headers['event-id'] ?? '';
    seen.set(eventId, (seen.get(eventId) ?? 0) + 1);
    const type = message.headers['event-type'] as string;
    if (typeof message.json.id !== 'number' || eventIdOf(type, message.json.id) !== eventId) malformed++;
  }
  if (malformed > 0) problems.push(`${malformed} event(s) whose event-id does not match their record`);
  const expectedEvents = new Set(rows.map((r) => eventIdOf(r.type, r.id)));
  let missingEvents = 0;
  for (const id of expectedEvents) if (!seen.has(id)) missingEvents++;
  if (missingEvents > 0) problems.push(`${missingEvents} stored record(s) whose event never reached Kafka`);
  const stray = [...seen.keys()].filter((id) => !expectedEvents.has(id)).length;
  if (stray > 0) problems.push(`${stray} event(s) for records that are not stored`);

  return {
    inputs: expected.participations.size + expected.attendances.size,
    rows: rows.length,
    duplicateRows,
    eventsOut: seen.size,
    missingRows,
    missingEvents,
    resent: published.length - seen.size,
    problems,
  };
}

/** Waits until the store holds `rows` rows, the outbox is empty and `rows` distinct events were read. */
export async function settled(
  sql: Connection,
  rows: number,
  published: readonly ReadMessage[],
  timeoutMs: number,
): Promise<boolean> {
  return eventually(
    async () => {
      const counts = await storeCounts(sql).catch(() => undefined);
      const distinct = new Set(published.map((m) => m.headers['event-id'])).size;
      return counts !== undefined && counts.rows >= rows && counts.outbox === 0 && distinct >= counts.rows;
    },
    timeoutMs,
    500,
  );
}
