// Every kind of record this service stores and publishes. Adding a kind: a descriptor beside these (see
// record-kind.ts), listed here, and a migration for its table; nothing else names kinds.

import { attendance } from './attendance.ts';
import { datingParticipation } from './dating-participation.ts';
import type { ParticipationKind, RecordKind, TopicSetting } from './record-kind.ts';
import { studyParticipation } from './study-participation.ts';

export const PARTICIPATION_KINDS = [datingParticipation, studyParticipation] as const;
export const RECORD_KINDS = [attendance, ...PARTICIPATION_KINDS] as const;

type Kind = (typeof RECORD_KINDS)[number];
type ConsumedTopicKey = (typeof PARTICIPATION_KINDS)[number]['consumed']['key'];
export type TopicKey = Kind['published']['key'] | ConsumedTopicKey;
/** The name of every topic this service reads or writes, by the key of its setting. */
export type TopicNames = Record<TopicKey, string>;

/** Every topic setting, consumed ones first (the order of the AsyncAPI document and of topic creation). */
export const TOPIC_SETTINGS: readonly TopicSetting<TopicKey>[] = [
  ...PARTICIPATION_KINDS.map((kind) => kind.consumed),
  ...RECORD_KINDS.map((kind) => kind.published),
];

export type RecordKindName = Kind['name'];

const byEventType = new Map<string, RecordKind>(RECORD_KINDS.map((kind) => [kind.eventType, kind as RecordKind]));

/** The kind of an outbox row's event type; undefined for a type this service never wrote. */
export function recordKindOfEventType(eventType: string): RecordKind | undefined {
  return byEventType.get(eventType);
}

export function recordKindNamed(name: string): RecordKind | undefined {
  return RECORD_KINDS.find((kind) => kind.name === name) as RecordKind | undefined;
}

/** The participation kind consumed from `topic` under these topic names. */
export function participationKindOfTopic(topic: string, topics: TopicNames): ParticipationKind | undefined {
  return PARTICIPATION_KINDS.find((kind) => topics[kind.consumed.key] === topic) as ParticipationKind | undefined;
}

/** Where a message that cannot be recorded goes: `<topic>.dlq`, beside the topic it came from. */
export function deadLetterTopicOf(topic: string): string {
  return `${topic}.dlq`;
}

/** Every topic the service needs: consumed, their dead-letter topics, published. */
export function allTopics(topics: TopicNames): string[] {
  const consumed = PARTICIPATION_KINDS.map((kind) => topics[kind.consumed.key]);
  return [...consumed, ...consumed.map(deadLetterTopicOf), ...RECORD_KINDS.map((kind) => topics[kind.published.key])];
}
