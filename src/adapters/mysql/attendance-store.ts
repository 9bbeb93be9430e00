// Attendance in MySQL. The insert and its outbox row go to the server as one multi-statement round trip:
// the request path pays one network exchange and one commit, nothing more.

import type { ResultSetHeader } from 'mysql2';
import type { OnCommitted } from '../../app/outbox-relay.ts';
import type { AttendanceStore } from '../../app/record-attendance.ts';
import type { AttendanceRecord, NewAttendance } from '../../domain/attendance.ts';
import type { BusinessDate, LocalDateTime } from '../../domain/local-date-time.ts';
import type { OwnerId } from '../../domain/owner-id.ts';
import { attendance as attendanceKind } from '../../record-kinds/attendance.ts';
import { fromSqlDateTime, toSqlDateTime } from '../../record-kinds/row-text.ts';
import { type Database, isDeadlock, isDuplicateKey, releaseAfterFailure, storeErrorOf } from './database.ts';
import { withDeadline } from './deadline.ts';

/** The record and its outbox row in one round trip; the benchmark's raw ceiling runs this same statement. */
export const INSERT_WITH_EVENT = `START TRANSACTION;
INSERT INTO attendance_records (user_id, attendance_time, attendance_date, created_at) VALUES (?, ?, ?, ?);
INSERT INTO outbox_events (event_type, record_id, traceparent) VALUES ('AttendanceRecordCreated', LAST_INSERT_ID(), ?);
COMMIT`;

const MAX_DEADLOCK_RETRIES = 3;

export class MysqlAttendanceStore implements AttendanceStore {
  readonly #database: Database;
  readonly #timeoutMs: number;
  readonly #onCommitted: OnCommitted;

  constructor(database: Database, options: { timeoutMs: number; onCommitted: OnCommitted }) {
    this.#database = database;
    this.#timeoutMs = options.timeoutMs;
    this.#onCommitted = options.onCommitted;
  }

  async insertWithEvent(
    attendance: NewAttendance,
    trace: { traceparent: string | undefined },
  ): Promise<{ kind: 'created'; record: AttendanceRecord } | { kind: 'duplicate' }> {
    const params = [
      attendance.userId,
      toSqlDateTime(attendance.attendanceTime),
      attendance.attendanceDate,
      toSqlDateTime(attendance.createdAt),
      trace.traceparent ?? null,
    ];
    for (let attempt = 1; ; attempt++) {
      try {
        const ids = await withDeadline(this.#insertOnce(params), this.#timeoutMs, 'attendance insert');
        const record: AttendanceRecord = {
          id: ids.recordId,
          userId: attendance.userId,
          attendanceTime: attendance.attendanceTime,
          createdAt: attendance.createdAt,
        };
        this.#onCommitted([{ kind: attendanceKind, record, traceparent: trace.traceparent ?? null, outboxId: ids.outboxId }]);
        return { kind: 'created', record };
      } catch (error) {
        if (isDuplicateKey(error)) return { kind: 'duplicate' };
        if (isDeadlock(error) && attempt < MAX_DEADLOCK_RETRIES) continue;
        // Deadlocks past the last retry are contention, not the request's fault: a 503 the client may retry.
        throw storeErrorOf(error);
      }
    }
  }

  async #insertOnce(params: unknown[]): Promise<{ recordId: number; outboxId: number }> {
    const connection = await this.#database.pool.getConnection();
    let results: unknown;
    try {
      [results] = await connection.query({ sql: INSERT_WITH_EVENT, timeout: this.#timeoutMs }, params);
      connection.release();
    } catch (error) {
      // A failed statement ends the multi-statement inside the open transaction.
      await releaseAfterFailure(connection, error);
      throw error;
    }
    // One result per statement: START TRANSACTION, the record's INSERT, the outbox INSERT, COMMIT.
    const [, recordInsert, outboxInsert] = results as ResultSetHeader[];
    if (recordInsert === undefined || outboxInsert === undefined) {
      throw new Error('multi-statement insert returned no result for the record or its outbox row');
    }
    return { recordId: Number(recordInsert.insertId), outboxId: Number(outboxInsert.insertId) };
  }

  async findByUserAndDate(userId: OwnerId, date: BusinessDate): Promise<AttendanceRecord | undefined> {
    try {
      const row = await withDeadline(
        this.#database.db
          .selectFrom('attendance_records')
          .select(['id', 'user_id', 'attendance_time', 'created_at'])
          .where('user_id', '=', userId)
          .where('attendance_date', '=', date)
          .executeTakeFirst(),
        this.#timeoutMs,
        'attendance lookup',
      );
      if (row === undefined) return undefined;
      return {
        id: Number(row.id),
        userId: row.user_id as OwnerId,
        attendanceTime: fromSqlDateTime<LocalDateTime>(row.attendance_time),
        createdAt: fromSqlDateTime<LocalDateTime>(row.created_at),
      };
    } catch (error) {
      throw storeErrorOf(error);
    }
  }
}
