// Use case: a user checks in. The same-day rule is decided by the store's unique key (so that concurrent
// requests cannot both win); this use case turns the outcome into the answer the client needs.

import { type AttendanceRecord, type NewAttendance, planAttendance } from '../domain/attendance.ts';
import type { BusinessDate, LocalDateTime } from '../domain/local-date-time.ts';
import type { OwnerId } from '../domain/owner-id.ts';

export interface AttendanceStore {
  /** Stores the record and its AttendanceRecordCreated outbox row in one transaction. */
  insertWithEvent(
    attendance: NewAttendance,
    trace: { traceparent: string | undefined },
  ): Promise<{ kind: 'created'; record: AttendanceRecord } | { kind: 'duplicate' }>;
  findByUserAndDate(userId: OwnerId, date: BusinessDate): Promise<AttendanceRecord | undefined>;
}

type RecordAttendanceResult =
  | { kind: 'created'; record: AttendanceRecord }
  | { kind: 'already-attended'; existing: AttendanceRecord }
  | { kind: 'in-future'; latestAllowed: LocalDateTime };

export async function recordAttendance(
  deps: { store: AttendanceStore; zone: string; now: () => number },
  command: { userId: OwnerId; requestedTime: LocalDateTime | undefined; traceparent: string | undefined },
): Promise<RecordAttendanceResult> {
  const plan = planAttendance({
    userId: command.userId,
    requestedTime: command.requestedTime,
    nowEpochMs: deps.now(),
    zone: deps.zone,
  });
  if (plan.kind === 'in-future') return plan;
  const outcome = await deps.store.insertWithEvent(plan.attendance, { traceparent: command.traceparent });
  if (outcome.kind === 'created') return outcome;
  const existing = await deps.store.findByUserAndDate(plan.attendance.userId, plan.attendance.attendanceDate);
  // The unique key said "taken": the row is committed and records are never deleted, so it is there.
  if (existing === undefined) throw new Error('attendance reported as duplicate but not found');
  return { kind: 'already-attended', existing };
}
