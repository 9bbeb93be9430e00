import type { TopicNames } from '../../config.ts';
import type { EventType } from '../../domain/events.ts';

export function topicOf(type: EventType, topics: TopicNames): string {
  switch (type) {
    case 'AttendanceRecordCreated':
      return topics.attendanceRecorded;
    case 'DatingParticipationRecorded':
      return topics.datingParticipationRecorded;
    case 'StudyParticipationRecorded':
      return topics.studyParticipationRecorded;
  }
}

/** Where a message that cannot be read goes: `<topic>.dlq`, beside the topic it came from. */
export function deadLetterTopicOf(topic: string): string {
  return `${topic}.dlq`;
}

export function allTopics(topics: TopicNames): string[] {
  const inbound = [topics.datingParticipationCompleted, topics.studyParticipationCompleted];
  return [
    ...inbound,
    ...inbound.map(deadLetterTopicOf),
    topics.attendanceRecorded,
    topics.datingParticipationRecorded,
    topics.studyParticipationRecorded,
  ];
}
