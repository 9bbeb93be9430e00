// The "participation completed" messages of the dating and study services, as they put them on the wire
// (spring-kafka, peer-contract.md): Jackson JSON text, local date-times with 0 to 9 fraction digits, and with
// JsonSerializer a __TypeId__ header naming the producer's class.

import { randomUUID } from 'node:crypto';

export type Kind = 'dating' | 'study';

/** What spring-kafka's JsonSerializer writes into __TypeId__ (this service ignores it and keeps it on dead letters). */
export const TYPE_ID: Record<Kind, string> = {
  dating: 'com.grewmeet.dating.event.DatingParticipationReceived',
  study: 'com.grewmeet.study.event.StudyParticipationReceived',
};

/** What a participation message says, in names of neither service: each kind names the fields its own way. */
export interface ParticipationFacts {
  groupId: string;
  userId: string;
  meetingId: string;
  /** Dating: the event's name; study: the study group's name. */
  name: string;
  /** Study only. */
  meetingName: string;
  /** Dating: when the meeting is scheduled; study: when it was completed. */
  time: string;
  /** Dating only: when the meeting was created. */
  createdAt: string;
}

/** The message the dating or study service sends for `p`; the dating service still uses the study service's names. */
export function participationMessage(kind: Kind, p: ParticipationFacts): Record<string, string> {
  const ids = { studyGroupId: p.groupId, userId: p.userId, meetingId: p.meetingId };
  return kind === 'dating'
    ? { ...ids, studyMeetingEventName: p.name, when: p.time, createdAt: p.createdAt }
    : { ...ids, studyGroupName: p.name, meetingName: p.meetingName, completedAt: p.time };
}

/** The services' samples (peer-contract.md), with emoji: names are stored and published as 4-byte UTF-8 too. */
const SAMPLES: Record<Kind, Omit<ParticipationFacts, 'groupId' | 'userId' | 'meetingId'>> = {
  dating: {
    name: '토요일 커피 모임 ☕',
    meetingName: '',
    time: '2025-05-01T19:30:00',
    createdAt: '2025-04-20T10:11:12.123456789',
  },
  study: { name: '알고리즘 스터디 🧠', meetingName: '3주차', time: '2025-05-02T21:00:00.5', createdAt: '' },
};

/** A sample message with fresh UUIDs (a new meeting, user and group), then `overrides` in the wire's own names. */
export function participationCompleted(kind: Kind, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const ids = { groupId: randomUUID(), userId: randomUUID(), meetingId: randomUUID() };
  return { ...participationMessage(kind, { ...ids, ...SAMPLES[kind] }), ...overrides };
}

export function datingCompleted(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return participationCompleted('dating', overrides);
}

export function studyCompleted(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return participationCompleted('study', overrides);
}
