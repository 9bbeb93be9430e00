// Attendance: the fact "this user attended on this business day". At most one per user and calendar date of
// the business zone (the store backs this with a unique key on the stored date), never changed afterwards.

import {
  type BusinessDate,
  businessDateOf,
  compareLocalDateTimes,
  type LocalDateTime,
  localDateTimeAt,
} from './local-date-time.ts';
import type { OwnerId } from './owner-id.ts';

export interface AttendanceRecord {
  id: number;
  userId: OwnerId;
  attendanceTime: LocalDateTime;
  createdAt: LocalDateTime;
}

export interface NewAttendance {
  userId: OwnerId;
  attendanceTime: LocalDateTime;
  /** Stored beside the time so that a unique key can hold the one-per-day rule on MySQL and MariaDB alike. */
  attendanceDate: BusinessDate;
  createdAt: LocalDateTime;
}

/** How far ahead of the server's clock a client's attendance time may be (clock skew between devices). */
export const ATTENDANCE_FUTURE_TOLERANCE_MS = 5 * 60_000;

type AttendancePlan = { kind: 'ready'; attendance: NewAttendance } | { kind: 'in-future'; latestAllowed: LocalDateTime };

export function planAttendance(input: {
  userId: OwnerId;
  requestedTime: LocalDateTime | undefined;
  nowEpochMs: number;
  zone: string;
}): AttendancePlan {
  const now = localDateTimeAt(input.nowEpochMs, input.zone);
  const attendanceTime = input.requestedTime ?? now;
  const latestAllowed = localDateTimeAt(input.nowEpochMs + ATTENDANCE_FUTURE_TOLERANCE_MS, input.zone);
  if (compareLocalDateTimes(attendanceTime, latestAllowed) > 0) return { kind: 'in-future', latestAllowed };
  return {
    kind: 'ready',
    attendance: { userId: input.userId, attendanceTime, attendanceDate: businessDateOf(attendanceTime), createdAt: now },
  };
}
