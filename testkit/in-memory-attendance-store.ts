// The attendance port in memory, for the fast HTTP tier: the same contract as the MySQL store (one record per
// user and business date, a duplicate answered as such), with no database behind it. Whether the real unique
// key holds under concurrency is the integration tier's question, not this one's.

import type { AttendanceStore } from '../src/app/record-attendance.ts';
import type { AttendanceRecord, NewAttendance } from '../src/domain/attendance.ts';
import type { BusinessDate } from '../src/domain/local-date-time.ts';
import type { OwnerId } from '../src/domain/owner-id.ts';

export class InMemoryAttendanceStore implements AttendanceStore {
  /** What was stored, in insertion order. */
  readonly records: AttendanceRecord[] = [];
  /** Inserts that are waiting for `hold()`'s release. */
  waiting = 0;
  readonly #byUserAndDate = new Map<string, AttendanceRecord>();
  #held: Promise<void> | undefined;

  /** Makes inserts wait until the returned release is called: a request held in flight, e.g. across a shutdown. */
  hold(): () => void {
    const { promise, resolve } = Promise.withResolvers<void>();
    this.#held = promise;
    return () => {
      this.#held = undefined;
      resolve();
    };
  }

  async insertWithEvent(attendance: NewAttendance): ReturnType<AttendanceStore['insertWithEvent']> {
    if (this.#held !== undefined) {
      this.waiting++;
      await this.#held;
      this.waiting--;
    }
    const key = JSON.stringify([attendance.userId, attendance.attendanceDate]);
    if (this.#byUserAndDate.has(key)) return { kind: 'duplicate' };
    const { userId, attendanceTime, createdAt } = attendance;
    const record = { id: this.records.length + 1, userId, attendanceTime, createdAt };
    this.#byUserAndDate.set(key, record);
    this.records.push(record);
    return { kind: 'created', record };
  }

  async findByUserAndDate(userId: OwnerId, date: BusinessDate): Promise<AttendanceRecord | undefined> {
    return this.#byUserAndDate.get(JSON.stringify([userId, date]));
  }

  /** Every record stored for a user id that contains `text` (a joined "a, b" would contain both). */
  recordsMentioning(text: string): AttendanceRecord[] {
    return this.records.filter((record) => record.userId.includes(text));
  }
}
