// The outbox seen from the relay. One relay is active per database at a time: it holds a MySQL named lock on
// its own connection and reads and deletes outbox rows on that same connection, so a relay that lost its
// connection (and with it the lock) cannot go on publishing beside the new leader. A single reader in
// outbox order keeps every key's events in commit order.

import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { type Connection, createConnection, type RowDataPacket } from 'mysql2/promise';
import type { AttendanceRecord } from '../../domain/attendance.ts';
import type { EventType } from '../../domain/events.ts';
import type { LocalDateTime } from '../../domain/local-date-time.ts';
import type { OwnerId } from '../../domain/owner-id.ts';
import type { DatingParticipation, StudyParticipation, Uuid } from '../../domain/participation.ts';
import { connectionOptions, type Database, fromSqlDateTime } from './database.ts';

export type PendingEvent = { outboxId: number; traceparent: string | null; ageAtReadMs: number } & (
  | { type: 'AttendanceRecordCreated'; record: AttendanceRecord }
  | { type: 'DatingParticipationRecorded'; record: DatingParticipation }
  | { type: 'StudyParticipationRecorded'; record: StudyParticipation }
);

interface OutboxRow {
  id: number;
  event_type: string;
  record_id: number;
  traceparent: string | null;
  age_us: number | null;
}

const local = (value: string) => fromSqlDateTime<LocalDateTime>(value);

export class MysqlOutboxStore {
  readonly #databaseUrl: string;
  readonly #database: Database;
  readonly #lockName: string;
  #leaderConnection: Connection | undefined;

  constructor(databaseUrl: string, database: Database) {
    const { databaseName } = database;
    this.#databaseUrl = databaseUrl;
    this.#database = database;
    // Named locks are server-wide: the database name keeps two services (or test runs) on one server apart.
    const name = `recording-outbox-relay:${databaseName}`;
    this.#lockName = name.length <= 64 ? name : `recording-outbox-relay:${createHash('sha1').update(databaseName).digest('hex')}`;
  }

  get isLeader(): boolean {
    return this.#leaderConnection !== undefined;
  }

  /** Takes the relay lock if it is free; answers whether this process is now the active relay. */
  async tryBecomeLeader(): Promise<boolean> {
    if (this.#leaderConnection !== undefined) return true;
    const { multipleStatements: _, ...options } = connectionOptions(this.#databaseUrl);
    const connection = await createConnection(options);
    try {
      const [rows] = await connection.query<RowDataPacket[]>('SELECT GET_LOCK(?, 0) AS acquired', [this.#lockName]);
      if (rows[0]?.acquired === 1) {
        connection.on('error', () => this.#dropLeadership());
        this.#leaderConnection = connection;
        return true;
      }
      await connection.end();
      return false;
    } catch (error) {
      connection.destroy();
      throw error;
    }
  }

  /** Gives the lock back (graceful stop) so that another instance takes over at once. */
  async resignLeadership(): Promise<void> {
    const connection = this.#leaderConnection;
    this.#leaderConnection = undefined;
    if (connection === undefined) return;
    await connection.query('DO RELEASE_LOCK(?)', [this.#lockName]).catch(() => undefined);
    await connection.end().catch(() => connection.destroy());
  }

  #dropLeadership(): void {
    this.#leaderConnection?.destroy();
    this.#leaderConnection = undefined;
  }

  #leader(): Connection {
    if (this.#leaderConnection === undefined) throw new Error('outbox read without holding the relay lock');
    return this.#leaderConnection;
  }

  /** The oldest pending events, in outbox order, each with the record its payload is built from. */
  async nextBatch(limit: number): Promise<PendingEvent[]> {
    let rows: OutboxRow[];
    try {
      const [result] = await this.#leader().query<RowDataPacket[]>(
        'SELECT id, event_type, record_id, traceparent, TIMESTAMPDIFF(MICROSECOND, created_at, NOW(6)) AS age_us FROM outbox_events ORDER BY id LIMIT ?',
        [limit],
      );
      rows = result as OutboxRow[];
    } catch (error) {
      this.#dropLeadership();
      throw error;
    }
    if (rows.length === 0) return [];
    const idsOf = (type: EventType) => rows.filter((r) => r.event_type === type).map((r) => Number(r.record_id));
    const [attendance, dating, study] = await Promise.all([
      this.#attendanceRecords(idsOf('AttendanceRecordCreated')),
      this.#datingParticipations(idsOf('DatingParticipationRecorded')),
      this.#studyParticipations(idsOf('StudyParticipationRecorded')),
    ]);
    const events: PendingEvent[] = [];
    for (const row of rows) {
      const base = {
        outboxId: Number(row.id),
        traceparent: row.traceparent,
        ageAtReadMs: Math.max(0, Number(row.age_us ?? 0) / 1000),
      };
      const recordId = Number(row.record_id);
      const event: PendingEvent | undefined =
        row.event_type === 'AttendanceRecordCreated'
          ? withRecord(base, 'AttendanceRecordCreated', attendance.get(recordId))
          : row.event_type === 'DatingParticipationRecorded'
            ? withRecord(base, 'DatingParticipationRecorded', dating.get(recordId))
            : row.event_type === 'StudyParticipationRecorded'
              ? withRecord(base, 'StudyParticipationRecorded', study.get(recordId))
              : undefined;
      if (event === undefined) {
        // Records are never deleted, so this is a row written by something else than this service.
        throw new Error(`outbox row ${row.id} (${row.event_type} ${row.record_id}) has no record to publish`);
      }
      events.push(event);
    }
    return events;
  }

  async markPublished(outboxIds: number[]): Promise<void> {
    if (outboxIds.length === 0) return;
    try {
      // By id, never by range: a lower id may belong to a transaction that has not committed yet.
      await this.#leader().query('DELETE FROM outbox_events WHERE id IN (?)', [outboxIds]);
    } catch (error) {
      this.#dropLeadership();
      throw error;
    }
  }

  /** How many events wait and how old the oldest is, for readiness and metrics. */
  async backlog(): Promise<{ pending: number; oldestAgeMs: number }> {
    // The age is computed by the server from its own clock, like created_at's default: no time zone involved.
    const { rows } = await sql<{ pending: number; age_us: number | null }>`
      SELECT COUNT(*) AS pending, TIMESTAMPDIFF(MICROSECOND, MIN(created_at), NOW(6)) AS age_us FROM outbox_events`.execute(
      this.#database.db,
    );
    const row = rows[0];
    return { pending: Number(row?.pending ?? 0), oldestAgeMs: Math.max(0, Number(row?.age_us ?? 0) / 1000) };
  }

  /** The records of one table by id, read with plain mysql2 (thousands of rows per batch; see participation-store.ts). */
  async #records<R>(table: string, columns: string, ids: number[], toRecord: (row: RowDataPacket) => R): Promise<Map<number, R>> {
    const records = new Map<number, R>();
    if (ids.length === 0) return records;
    const [rows] = await this.#database.pool.query<RowDataPacket[]>(`SELECT ${columns} FROM ${table} WHERE id IN (?)`, [ids]);
    for (const row of rows) records.set(Number(row.id), toRecord(row));
    return records;
  }

  #attendanceRecords(ids: number[]): Promise<Map<number, AttendanceRecord>> {
    return this.#records('attendance_records', 'id, user_id, attendance_time, created_at', ids, (r) => ({
      id: Number(r.id),
      userId: r.user_id as OwnerId,
      attendanceTime: local(r.attendance_time),
      createdAt: local(r.created_at),
    }));
  }

  #datingParticipations(ids: number[]): Promise<Map<number, DatingParticipation>> {
    return this.#records(
      'dating_participations',
      'id, dating_group_id, user_id, meeting_id, event_name, scheduled_at, meeting_created_at, recorded_at',
      ids,
      (r) => ({
        id: Number(r.id),
        datingGroupId: r.dating_group_id as Uuid,
        userId: r.user_id as Uuid,
        meetingId: r.meeting_id as Uuid,
        eventName: r.event_name,
        scheduledAt: local(r.scheduled_at),
        meetingCreatedAt: local(r.meeting_created_at),
        recordedAt: local(r.recorded_at),
      }),
    );
  }

  #studyParticipations(ids: number[]): Promise<Map<number, StudyParticipation>> {
    return this.#records(
      'study_participations',
      'id, study_group_id, user_id, meeting_id, study_group_name, meeting_name, completed_at, recorded_at',
      ids,
      (r) => ({
        id: Number(r.id),
        studyGroupId: r.study_group_id as Uuid,
        userId: r.user_id as Uuid,
        meetingId: r.meeting_id as Uuid,
        studyGroupName: r.study_group_name,
        meetingName: r.meeting_name,
        completedAt: local(r.completed_at),
        recordedAt: local(r.recorded_at),
      }),
    );
  }
}

function withRecord<T extends PendingEvent['type'], R>(
  base: { outboxId: number; traceparent: string | null; ageAtReadMs: number },
  type: T,
  record: R | undefined,
): PendingEvent | undefined {
  return record === undefined ? undefined : ({ ...base, type, record } as PendingEvent);
}
