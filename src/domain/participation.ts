// Dating and study participations: "this user took part in this meeting". One record per (meeting, user) and
// kind; a repeated "completed" event is acknowledged and changes nothing.

import type { LocalDateTime } from './local-date-time.ts';

/** A canonical (lower-case) UUID. */
export type Uuid = string & { readonly __brand: 'Uuid' };

export interface DatingParticipationReceived {
  studyGroupId: Uuid;
  userId: Uuid;
  meetingId: Uuid;
  studyMeetingEventName: string;
  when: LocalDateTime;
  createdAt: LocalDateTime;
}

export interface StudyParticipationReceived {
  studyGroupId: Uuid;
  userId: Uuid;
  meetingId: Uuid;
  studyGroupName: string;
  meetingName: string;
  completedAt: LocalDateTime;
}

export interface NewDatingParticipation {
  datingGroupId: Uuid;
  userId: Uuid;
  meetingId: Uuid;
  eventName: string;
  scheduledAt: LocalDateTime;
  meetingCreatedAt: LocalDateTime;
  recordedAt: LocalDateTime;
}

export interface DatingParticipation extends NewDatingParticipation {
  id: number;
}

export interface NewStudyParticipation {
  studyGroupId: Uuid;
  userId: Uuid;
  meetingId: Uuid;
  studyGroupName: string;
  meetingName: string;
  completedAt: LocalDateTime;
  recordedAt: LocalDateTime;
}

export interface StudyParticipation extends NewStudyParticipation {
  id: number;
}

/**
 * The dating service still names its fields after the study service's: its studyGroupId is the dating group,
 * studyMeetingEventName the event's name, when the scheduled time and createdAt when the meeting was created.
 */
export function datingParticipationFrom(event: DatingParticipationReceived, recordedAt: LocalDateTime): NewDatingParticipation {
  return {
    datingGroupId: event.studyGroupId,
    userId: event.userId,
    meetingId: event.meetingId,
    eventName: event.studyMeetingEventName,
    scheduledAt: event.when,
    meetingCreatedAt: event.createdAt,
    recordedAt,
  };
}

export function studyParticipationFrom(event: StudyParticipationReceived, recordedAt: LocalDateTime): NewStudyParticipation {
  return {
    studyGroupId: event.studyGroupId,
    userId: event.userId,
    meetingId: event.meetingId,
    studyGroupName: event.studyGroupName,
    meetingName: event.meetingName,
    completedAt: event.completedAt,
    recordedAt,
  };
}

/** The identity of a participation for deduplication. */
export function participationKey(p: { meetingId: string; userId: string }): string {
  return `${p.meetingId}/${p.userId}`;
}

/** Keeps the first of each (meeting, user) in a batch: the rest are redeliveries. */
export function firstPerParticipation<T extends { meetingId: string; userId: string }>(items: readonly T[]): T[] {
  const seen = new Set<string>();
  const firsts: T[] = [];
  for (const item of items) {
    const key = participationKey(item);
    if (!seen.has(key)) {
      seen.add(key);
      firsts.push(item);
    }
  }
  return firsts;
}
