// Study participations: consumed from the study service's "participation completed" events, one record per
// (meeting, user), published as StudyParticipationRecorded.

import { StudyParticipationReceivedSchema, StudyParticipationRecordedSchema } from '../contracts/participation-events.ts';
import {
  type NewStudyParticipation,
  type StudyParticipation,
  type StudyParticipationReceived,
  studyParticipationFrom,
  type Uuid,
} from '../domain/participation.ts';
import type { ParticipationKind } from './record-kind.ts';
import { fromSqlDateTime, toSqlDateTime } from './row-text.ts';

export const studyParticipation = {
  name: 'study',
  eventType: 'StudyParticipationRecorded',
  cloudEventType: 'com.grewmeet.recording.study-participation.recorded',
  consumed: {
    key: 'studyParticipationCompleted',
    env: 'TOPIC_STUDY_PARTICIPATION_COMPLETED',
    defaultName: 'grewmeet.study.participation.completed',
    schema: StudyParticipationReceivedSchema,
    uuidFields: ['studyGroupId', 'userId', 'meetingId'],
    dateFields: ['completedAt'],
    summary: 'Record a study participation (deduplicated by meetingId + userId). Produced by the study service.',
    example: {
      studyGroupId: '6f1c2a3e-8f64-4c1e-9a51-2f0b7d2c9e11',
      userId: '0b8e7a52-3c2d-4e8f-9d1a-5c6b7a8e9f00',
      meetingId: 'c3d5e7f9-2a4b-4c6d-8e0f-1a3b5c7d9e2f',
      studyGroupName: '알고리즘 스터디',
      meetingName: '3주차',
      completedAt: '2025-05-02T21:00:00.5',
    },
  },
  published: {
    key: 'studyParticipationRecorded',
    env: 'TOPIC_STUDY_PARTICIPATION_RECORDED',
    defaultName: 'grewmeet.recording.study-participation',
    schema: StudyParticipationRecordedSchema,
    summary: 'One event per study participation recorded; a re-delivered message publishes nothing new.',
  },
  toNew(received, recordedAt) {
    return studyParticipationFrom(received, recordedAt);
  },
  insertColumns: ['study_group_id', 'user_id', 'meeting_id', 'study_group_name', 'meeting_name', 'completed_at', 'recorded_at'],
  toRow(p) {
    return [
      p.studyGroupId,
      p.userId,
      p.meetingId,
      p.studyGroupName,
      p.meetingName,
      toSqlDateTime(p.completedAt),
      toSqlDateTime(p.recordedAt),
    ];
  },
  table: {
    name: 'study_participations',
    columns: ['id', 'study_group_id', 'user_id', 'meeting_id', 'study_group_name', 'meeting_name', 'completed_at', 'recorded_at'],
    storedAt: 'recorded_at',
  },
  fromRow(row) {
    return {
      id: Number(row.id),
      studyGroupId: row.study_group_id as Uuid,
      userId: row.user_id as Uuid,
      meetingId: row.meeting_id as Uuid,
      studyGroupName: String(row.study_group_name),
      meetingName: String(row.meeting_name),
      completedAt: fromSqlDateTime(row.completed_at),
      recordedAt: fromSqlDateTime(row.recorded_at),
    };
  },
  payload(p) {
    return {
      id: p.id,
      studyGroupId: p.studyGroupId,
      userId: p.userId,
      meetingId: p.meetingId,
      studyGroupName: p.studyGroupName,
      meetingName: p.meetingName,
      completedAt: p.completedAt,
      recordedAt: p.recordedAt,
    };
  },
  occurredAt(p) {
    return p.recordedAt;
  },
} as const satisfies ParticipationKind<StudyParticipationReceived, NewStudyParticipation, StudyParticipation>;
