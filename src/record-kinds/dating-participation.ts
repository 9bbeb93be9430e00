// Dating participations: consumed from the dating service's "participation completed" events, one record per
// (meeting, user), published as DatingParticipationRecorded.

import { DatingParticipationReceivedSchema, DatingParticipationRecordedSchema } from '../contracts/participation-events.ts';
import {
  type DatingParticipation,
  type DatingParticipationReceived,
  datingParticipationFrom,
  type NewDatingParticipation,
  type Uuid,
} from '../domain/participation.ts';
import type { ParticipationKind } from './record-kind.ts';
import { fromSqlDateTime, toSqlDateTime } from './row-text.ts';

export const datingParticipation = {
  name: 'dating',
  eventType: 'DatingParticipationRecorded',
  cloudEventType: 'com.grewmeet.recording.dating-participation.recorded',
  consumed: {
    key: 'datingParticipationCompleted',
    env: 'TOPIC_DATING_PARTICIPATION_COMPLETED',
    defaultName: 'grewmeet.dating.participation.completed',
    schema: DatingParticipationReceivedSchema,
    uuidFields: ['studyGroupId', 'userId', 'meetingId'],
    dateFields: ['when', 'createdAt'],
    summary: 'Record a dating participation (deduplicated by meetingId + userId). Produced by the dating service.',
    example: {
      studyGroupId: '6f1c2a3e-8f64-4c1e-9a51-2f0b7d2c9e11',
      userId: '0b8e7a52-3c2d-4e8f-9d1a-5c6b7a8e9f00',
      meetingId: 'a2c4e6f8-1b3d-4f5a-8c7e-9d0b1a2c3e4f',
      studyMeetingEventName: '토요일 커피 모임',
      when: '2025-05-01T19:30:00',
      createdAt: '2025-04-20T10:11:12.123456789',
    },
  },
  published: {
    key: 'datingParticipationRecorded',
    env: 'TOPIC_DATING_PARTICIPATION_RECORDED',
    defaultName: 'grewmeet.recording.dating-participation',
    schema: DatingParticipationRecordedSchema,
    summary: 'One event per dating participation recorded; a re-delivered message publishes nothing new.',
  },
  toNew(received, recordedAt) {
    return datingParticipationFrom(received, recordedAt);
  },
  insertColumns: ['dating_group_id', 'user_id', 'meeting_id', 'event_name', 'scheduled_at', 'meeting_created_at', 'recorded_at'],
  toRow(p) {
    return [
      p.datingGroupId,
      p.userId,
      p.meetingId,
      p.eventName,
      toSqlDateTime(p.scheduledAt),
      toSqlDateTime(p.meetingCreatedAt),
      toSqlDateTime(p.recordedAt),
    ];
  },
  table: {
    name: 'dating_participations',
    columns: [
      'id',
      'dating_group_id',
      'user_id',
      'meeting_id',
      'event_name',
      'scheduled_at',
      'meeting_created_at',
      'recorded_at',
    ],
    storedAt: 'recorded_at',
  },
  fromRow(row) {
    return {
      id: Number(row.id),
      datingGroupId: row.dating_group_id as Uuid,
      userId: row.user_id as Uuid,
      meetingId: row.meeting_id as Uuid,
      eventName: String(row.event_name),
      scheduledAt: fromSqlDateTime(row.scheduled_at),
      meetingCreatedAt: fromSqlDateTime(row.meeting_created_at),
      recordedAt: fromSqlDateTime(row.recorded_at),
    };
  },
  payload(p) {
    return {
      id: p.id,
      datingGroupId: p.datingGroupId,
      userId: p.userId,
      meetingId: p.meetingId,
      eventName: p.eventName,
      scheduledAt: p.scheduledAt,
      meetingCreatedAt: p.meetingCreatedAt,
      recordedAt: p.recordedAt,
    };
  },
  occurredAt(p) {
    return p.recordedAt;
  },
} as const satisfies ParticipationKind<DatingParticipationReceived, NewDatingParticipation, DatingParticipation>;
