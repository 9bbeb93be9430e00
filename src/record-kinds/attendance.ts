// Attendance check-ins: written by POST /api/attendance, published as AttendanceRecordCreated.

import { AttendanceRecordCreatedSchema } from '../contracts/participation-events.ts';
import type { AttendanceRecord } from '../domain/attendance.ts';
import type { OwnerId } from '../domain/owner-id.ts';
import type { RecordKind } from './record-kind.ts';
import { fromSqlDateTime } from './row-text.ts';

export const attendance = {
  name: 'attendance',
  eventType: 'AttendanceRecordCreated',
  cloudEventType: 'com.grewmeet.recording.attendance.created',
  published: {
    key: 'attendanceRecorded',
    env: 'TOPIC_ATTENDANCE_RECORDED',
    defaultName: 'grewmeet.recording.attendance',
    schema: AttendanceRecordCreatedSchema,
    summary: 'One event per attendance created by POST /api/attendance.',
    example: {
      id: 1,
      userId: 'user_1732500000000_123456789012',
      attendanceTime: '2025-01-03T10:00:00',
      createdAt: '2025-01-03T10:00:00.123',
    },
  },
  table: { name: 'attendance_records', columns: ['id', 'user_id', 'attendance_time', 'created_at'], storedAt: 'created_at' },
  fromRow(row) {
    return {
      id: Number(row.id),
      userId: row.user_id as OwnerId,
      attendanceTime: fromSqlDateTime(row.attendance_time),
      createdAt: fromSqlDateTime(row.created_at),
    };
  },
  payload(record) {
    return {
      id: record.id,
      userId: record.userId,
      attendanceTime: record.attendanceTime,
      createdAt: record.createdAt,
    };
  },
  occurredAt(record) {
    return record.createdAt;
  },
} as const satisfies RecordKind<AttendanceRecord>;
