import { describe, expect, it } from 'vitest';
import { eventIdOf } from '../../src/domain/events.ts';
import type { LocalDateTime } from '../../src/domain/local-date-time.ts';
import {
  type DatingParticipationReceived,
  datingParticipationFrom,
  firstPerParticipation,
  type Uuid,
} from '../../src/domain/participation.ts';
import { datingParticipation } from '../../src/record-kinds/dating-participation.ts';

describe('eventIdOf', () => {
  it('is a UUID derived from the event type and record id: the same on every re-send', () => {
    const id = eventIdOf('AttendanceRecordCreated', 42);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(eventIdOf('AttendanceRecordCreated', 42)).toBe(id);
    expect(eventIdOf('AttendanceRecordCreated', 43)).not.toBe(id);
    expect(eventIdOf('DatingParticipationRecorded', 42)).not.toBe(id);
  });
});

const received: DatingParticipationReceived = {
  studyGroupId: '6f1c2a3e-8f64-4c1e-9a51-2f0b7d2c9e11' as Uuid,
  userId: '0b8e7a52-3c2d-4e8f-9d1a-5c6b7a8e9f00' as Uuid,
  meetingId: 'a2c4e6f8-1b3d-4f5a-8c7e-9d0b1a2c3e4f' as Uuid,
  studyMeetingEventName: '토요일 커피 모임',
  when: '2025-05-01T19:30:00' as LocalDateTime,
  createdAt: '2025-04-20T10:11:12.123456' as LocalDateTime,
};

describe('dating participation mapping', () => {
  it('renames the dating service fields to the recorded ones, and the event carries exactly the published fields', () => {
    const recordedAt = '2025-05-01T21:00:00' as LocalDateTime;
    const event = datingParticipation.payload({ id: 7, ...datingParticipationFrom(received, recordedAt) });
    expect(event).toEqual({
      id: 7,
      datingGroupId: received.studyGroupId,
      userId: received.userId,
      meetingId: received.meetingId,
      eventName: '토요일 커피 모임',
      scheduledAt: '2025-05-01T19:30:00',
      meetingCreatedAt: '2025-04-20T10:11:12.123456',
      recordedAt,
    });
    expect(Object.keys(event)).toHaveLength(8);
  });

  it('keeps the first of each (meeting, user) in a batch', () => {
    const other = { ...received, userId: '11111111-1111-4111-8111-111111111111' as Uuid };
    const repeated = { ...received, studyMeetingEventName: 'second copy' };
    expect(firstPerParticipation([received, other, repeated])).toEqual([received, other]);
  });
});
