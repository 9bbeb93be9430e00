// The events this service publishes: one per stored record, with exactly the fields the Java query service
// maps (it fails on unknown properties), and an id derived from the record so that every re-send and
// republish of the same event carries the same `event-id`.

import { parse as parseUuid, v5 as uuidV5 } from 'uuid';
import type { AttendanceRecord } from './attendance.ts';
import type { DatingParticipation, StudyParticipation } from './participation.ts';

export const EVENT_TYPES = ['AttendanceRecordCreated', 'DatingParticipationRecorded', 'StudyParticipationRecorded'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

// A fixed namespace for name-based (v5) event ids; changing it would change every event id ever published.
// Held as bytes: given as text, the namespace would be parsed again for every event.
const EVENT_ID_NAMESPACE = parseUuid('5b0c3a52-7d1e-4f0a-9c38-2f6d1b8e4a17');

export function eventIdOf(type: EventType, recordId: number): string {
  return uuidV5(`${type}:${recordId}`, EVENT_ID_NAMESPACE);
}

/**
 * The CloudEvents `type` of each event (reverse-DNS, then what happened to which record): a consumer that
 * routes by CloudEvents attributes needs a name that is unique across GrewMeet's services, which the record
 * names alone are not.
 */
export const CLOUD_EVENT_TYPES: Readonly<Record<EventType, string>> = {
  AttendanceRecordCreated: 'com.grewmeet.recording.attendance.created',
  DatingParticipationRecorded: 'com.grewmeet.recording.dating-participation.recorded',
  StudyParticipationRecorded: 'com.grewmeet.recording.study-participation.recorded',
};

export interface AttendanceRecordCreated {
  id: number;
  userId: string;
  attendanceTime: string;
  createdAt: string;
}

export type DatingParticipationRecorded = DatingParticipation;
export type StudyParticipationRecorded = StudyParticipation;

export function attendanceRecordCreated(record: AttendanceRecord): AttendanceRecordCreated {
  return { id: record.id, userId: record.userId, attendanceTime: record.attendanceTime, createdAt: record.createdAt };
}

export function datingParticipationRecorded(p: DatingParticipation): DatingParticipationRecorded {
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
}

export function studyParticipationRecorded(p: StudyParticipation): StudyParticipationRecorded {
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
}
