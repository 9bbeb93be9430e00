import { describe, expect, it } from 'vitest';
import { eventMessageBuilder } from '../../src/adapters/kafka/event-publisher.ts';
import type { RecordEvent } from '../../src/app/outbox-relay.ts';
import { ConfigError, loadConfig } from '../../src/config.ts';
import type { AttendanceRecord } from '../../src/domain/attendance.ts';
import { eventIdOf } from '../../src/domain/events.ts';
import type { LocalDateTime } from '../../src/domain/local-date-time.ts';
import type { OwnerId } from '../../src/domain/owner-id.ts';
import type { StudyParticipation, Uuid } from '../../src/domain/participation.ts';
import { attendance } from '../../src/record-kinds/attendance.ts';
import { studyParticipation } from '../../src/record-kinds/study-participation.ts';

const text = (headers: Map<Buffer, Buffer>) =>
  Object.fromEntries([...headers].map(([name, value]) => [name.toString('utf8'), value.toString('utf8')]));

const attendanceEvent: RecordEvent = {
  kind: attendance,
  record: {
    id: 7,
    userId: 'user_1' as OwnerId,
    attendanceTime: '2025-01-03T10:00:00' as LocalDateTime,
    createdAt: '2025-01-03T10:00:00.123456' as LocalDateTime,
  } satisfies AttendanceRecord as AttendanceRecord,
  traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
};

const study = (id: number): RecordEvent => ({
  kind: studyParticipation,
  record: {
    id,
    studyGroupId: '6f1c2a3e-8f64-4c1e-9a51-2f0b7d2c9e11' as Uuid,
    userId: '0b8e7a52-3c2d-4e8f-9d1a-5c6b7a8e9f00' as Uuid,
    meetingId: 'a2c4e6f8-1b3d-4f5a-8c7e-9d0b1a2c3e4f' as Uuid,
    studyGroupName: '알고리즘 스터디',
    meetingName: '3주차',
    completedAt: '2025-05-02T21:00:00.5' as LocalDateTime,
    recordedAt: '2025-05-02T21:00:01' as LocalDateTime,
  } satisfies StudyParticipation as StudyParticipation,
  traceparent: null,
});

describe('eventMessageBuilder', () => {
  const build = eventMessageBuilder({ zone: 'Asia/Seoul', source: 'urn:grewmeet:recording-command-service' });

  it('sends the CloudEvents attributes as ce_ headers beside the headers existing consumers read', () => {
    const message = build(attendanceEvent, 'grewmeet.recording.attendance');
    expect(message.key).toBe('user_1');
    expect(JSON.parse(message.value)).toEqual({
      id: 7,
      userId: 'user_1' as OwnerId,
      attendanceTime: '2025-01-03T10:00:00',
      createdAt: '2025-01-03T10:00:00.123456',
    });
    expect(text(message.headers)).toEqual({
      'event-id': eventIdOf('AttendanceRecordCreated', 7),
      'event-type': 'AttendanceRecordCreated',
      'occurred-at': '2025-01-03T01:00:00.123456Z',
      'content-type': 'application/json',
      traceparent: attendanceEvent.traceparent,
      ce_specversion: '1.0',
      ce_id: eventIdOf('AttendanceRecordCreated', 7),
      ce_source: 'urn:grewmeet:recording-command-service',
      ce_type: 'com.grewmeet.recording.attendance.created',
      ce_time: '2025-01-03T01:00:00.123456Z',
    });
  });

  it('gives each event its own id and time, and each type its own ce_type', () => {
    const first = text(build(study(1), 't').headers);
    const second = text(build(study(2), 't').headers);
    expect(first.ce_type).toBe('com.grewmeet.recording.study-participation.recorded');
    expect(first.ce_id).toBe(eventIdOf('StudyParticipationRecorded', 1));
    expect(second.ce_id).toBe(eventIdOf('StudyParticipationRecorded', 2));
    expect(second.ce_time).toBe('2025-05-02T12:00:01.000000Z');
    expect(text(build(attendanceEvent, 't').headers).ce_time).toBe('2025-01-03T01:00:00.123456Z');
    expect(first).not.toHaveProperty('traceparent');
  });
});

describe('CLOUDEVENTS_SOURCE', () => {
  it('defaults to a URN naming this service', () => {
    expect(loadConfig({}).cloudEventsSource).toBe('urn:grewmeet:recording-command-service');
  });

  it('takes an absolute URI or a path', () => {
    for (const source of ['https://grewmeet.example/recording', '/grewmeet/recording', 'urn:grewmeet:recording:kr-1']) {
      expect(loadConfig({ CLOUDEVENTS_SOURCE: source }).cloudEventsSource).toBe(source);
    }
  });

  it('refuses what is not a URI-reference, naming the variable', () => {
    for (const source of ['recording command', 'recording-command', 'urn:grewmeet:\u0007']) {
      expect(() => loadConfig({ CLOUDEVENTS_SOURCE: source })).toThrow(ConfigError);
    }
    expect(() => loadConfig({ CLOUDEVENTS_SOURCE: 'recording' })).toThrow(/CLOUDEVENTS_SOURCE/);
  });
});
