// Our published events held against the GrewMeet query service's contract (query-service-parser.ts): which of
// our topics its listeners read, and the check of every event the integration tests published.

import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Admin } from '@platformatic/kafka';
import { inject } from 'vitest';
import type { KafkaBroker } from '../scripts/local-stack/kafka-broker.ts';
import { loadConfig, type TopicNames } from '../src/config.ts';
import { publishedTopic, RECORD_KINDS, recordKindOfEventType } from '../src/record-kinds/registry.ts';
import { readAsQueryService, type TopicCheck } from './query-service-parser.ts';
import { testEnvironment } from './test-environment.ts';

/**
 * What the README tells to set for running with the query service: its attendance listener reads
 * `grewmeet.recording.attendance.created`, not our default; the other two topics match.
 */
export const QUERY_SERVICE_SETTINGS = { TOPIC_ATTENDANCE_RECORDED: 'grewmeet.recording.attendance.created' };

/** The query service's topic for each of our event types: our topic names with the settings the README gives. */
/** The event types this service publishes, each checked against the query service's class of that name. */
export const EVENT_TYPES = RECORD_KINDS.map((kind) => kind.eventType);

/** The topic an event type is published to under `topics`. */
export function topicOf(eventType: string, topics: TopicNames): string {
  const kind = recordKindOfEventType(eventType);
  if (kind === undefined) throw new Error(`${eventType} is not a record kind's event`);
  return publishedTopic(kind, topics);
}

export function contractTopicOf(type: string): string {
  return topicOf(type, loadConfig(QUERY_SERVICE_SETTINGS).topics);
}

/**
 * Every output topic of every test service on the broker, read as the query service reads its counterpart.
 * The test services name their topics `<unique prefix>.<the rest>` (isolatedServiceEnv), so a topic is known
 * by the rest of its name.
 */
export async function checkEveryPublishedEvent(bootstrap: string): Promise<TopicCheck[]> {
  const testTopics = testEnvironment().config.topics;
  const tails = EVENT_TYPES.map((type) => {
    const name = topicOf(type, testTopics);
    return { type, tail: name.slice(name.indexOf('.')) };
  });
  const admin = new Admin({ clientId: 'query-service-contract', bootstrapBrokers: [bootstrap], retries: 5, retryDelay: 500 });
  let topics: string[];
  try {
    topics = (await admin.listTopics()) as string[];
  } finally {
    await admin.close().catch(() => {});
  }
  const bindings = topics
    .sort()
    .flatMap((topic) =>
      tails.filter(({ tail }) => topic.endsWith(tail)).map(({ type }) => ({ topic, contractTopic: contractTopicOf(type) })),
    );
  return readAsQueryService(bootstrap, bindings);
}

/**
 * Checks the events on a broker that a test file started for itself, before it goes away with them; the
 * contract test reads these checks beside its own of the shared broker. Outside the integration suite
 * (the reliability scenarios) nothing is recorded.
 */
export async function recordChecksOfOwnBroker(broker: KafkaBroker): Promise<void> {
  const dir = inject('ownBrokerChecksDir');
  // A broker that a test left stopped has nothing to read now.
  if (dir === undefined || !(await broker.isServing())) return;
  const { bootstrap } = broker;
  let checks: TopicCheck[];
  try {
    checks = await checkEveryPublishedEvent(bootstrap);
  } catch (error) {
    checks = [
      {
        topic: `(every topic on ${bootstrap})`,
        contractTopic: '',
        eventClass: '',
        messages: 0,
        absentFields: {},
        failures: [{ error: String(error) }],
      },
    ];
  }
  writeFileSync(join(dir, `${randomBytes(6).toString('hex')}.json`), JSON.stringify(checks));
}

/** What recordChecksOfOwnBroker recorded during this run. */
export function checksOfOwnBrokers(): TopicCheck[] {
  const dir = inject('ownBrokerChecksDir');
  if (dir === undefined) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .flatMap((name) => JSON.parse(readFileSync(join(dir, name), 'utf8')) as TopicCheck[]);
}
