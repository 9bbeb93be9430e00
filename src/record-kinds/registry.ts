// Every kind of record this service stores and publishes. Adding a kind: a descriptor beside these (see
// record-kind.ts), listed here, and a migration for its table; nothing else names kinds.

import { attendance } from './attendance.ts';
import { datingParticipation } from './dating-participation.ts';
import type { ParticipationKind, RecordKind, TopicSetting } from './record-kind.ts';
import { studyParticipation } from './study-participation.ts';

const participations = [datingParticipation, studyParticipation] as const;
const records = [attendance, ...participations] as const;

// Each descriptor is checked against its own record types where it is written; here they are held as the
// general kinds the stores, relay and consumer work with.
export const PARTICIPATION_KINDS = participations as readonly ParticipationKind[];
export const RECORD_KINDS = records as readonly RecordKind[];

type TopicKey = (typeof records)[number]['published']['key'] | (typeof participations)[number]['consumed']['key'];
/** The name of every topic this service reads or writes, by the key of its setting. */
export type TopicNames = Record<TopicKey, string>;

/** Every topic setting, consumed ones first (the order of the AsyncAPI document and of topic creation). */
export const TOPIC_SETTINGS: readonly TopicSetting<TopicKey>[] = [
  ...participations.map((kind) => kind.consumed),
  ...records.map((kind) => kind.published),
];

/** The topic a kind's events are published to. */
export function publishedTopic(kind: RecordKind, topics: TopicNames): string {
  return topics[kind.published.key as TopicKey];
}

/** The topic a participation kind is consumed from. */
export function consumedTopic(kind: ParticipationKind, topics: TopicNames): string {
  return topics[kind.consumed.key as TopicKey];
}

const byEventType = new Map(RECORD_KINDS.map((kind) => [kind.eventType, kind]));

/** The kind of an outbox row's event type; undefined for a type this service never wrote. */
export function recordKindOfEventType(eventType: string): RecordKind | undefined {
  return byEventType.get(eventType);
}

export function recordKindNamed(name: string): RecordKind | undefined {
  return RECORD_KINDS.find((kind) => kind.name === name);
}

/** The participation kind consumed from `topic` under these topic names. */
export function participationKindOfTopic(topic: string, topics: TopicNames): ParticipationKind | undefined {
  return PARTICIPATION_KINDS.find((kind) => consumedTopic(kind, topics) === topic);
}

/** Where a message that cannot be recorded goes: `<topic>.dlq`, beside the topic it came from. */
export function deadLetterTopicOf(topic: string): string {
  return `${topic}.dlq`;
}

/** Every topic the service needs: consumed, their dead-letter topics, published. */
export function allTopics(topics: TopicNames): string[] {
  const consumed = PARTICIPATION_KINDS.map((kind) => consumedTopic(kind, topics));
  return [...consumed, ...consumed.map(deadLetterTopicOf), ...RECORD_KINDS.map((kind) => publishedTopic(kind, topics))];
}
