// Ingestion end to end: the time until every "recorded" event is on the output topics, read from the broker's
// log-end offsets (an offset exists only once the broker acked the write); and the raw ceiling, which does
// the same writes without the service: the unique rows and their outbox rows in multi-row transactions with
// mysql2, and the same "recorded" messages with the service's producer.

import { Admin } from '@platformatic/kafka';
import { type Connection, createConnection } from 'mysql2/promise';
import { type EventMessage, eventMessageBuilder } from '../src/adapters/kafka/event-publisher.ts';
import { createEventProducer, type EventProducer } from '../src/adapters/kafka/kafka-clients.ts';
import { connectionOptions } from '../src/adapters/mysql/database.ts';
import { loadConfig } from '../src/config.ts';
import type { LocalDateTime } from '../src/domain/local-date-time.ts';
import type { ParticipationKind } from '../src/record-kinds/record-kind.ts';
import { PARTICIPATION_KINDS } from '../src/record-kinds/registry.ts';
import { fromSqlDateTime } from '../src/record-kinds/row-text.ts';
import { participationMessage } from '../testkit/participation-messages.ts';
import { eventually } from '../testkit/polling.ts';
import { type Participation, participationWorkload, type Workload } from './workload.ts';

/** Messages per producer send: the relay's default batch (OUTBOX_BATCH_SIZE). */
const PRODUCE_CHUNK = 2_000;
/** The ceiling's transaction size: the service's default consumer batch (KAFKA_CONSUMER_MAX_BATCH). */
const CEILING_BATCH = 2_000;
const CEILING_DB_CONNECTIONS = 4;
const RECORDED_AT = '2025-05-02 21:05:00.000' as const;

/** Polls the topics' log-end offsets every 20 ms until they sum to `expected`; answers when (performance.now()). */
export async function waitForMessages(options: {
  bootstrap: string;
  topics: string[];
  partitions: number;
  expected: number;
  timeoutMs: number;
}): Promise<{ at: number; count: number }> {
  const admin = new Admin({ clientId: 'bench-offsets', bootstrapBrokers: [options.bootstrap], retries: 3, retryDelay: 200 });
  try {
    let count = 0;
    const reached = await eventually(
      async () => {
        count = await messageCount(admin, options.topics, options.partitions);
        return count >= options.expected;
      },
      options.timeoutMs,
      20,
    );
    if (reached) return { at: performance.now(), count };
    throw new Error(
      `only ${count} of ${options.expected} messages reached ${options.topics.join(', ')} in ${options.timeoutMs} ms`,
    );
  } finally {
    await admin.close();
  }
}

async function messageCount(admin: Admin, topics: string[], partitions: number): Promise<number> {
  const listed = await admin.listOffsets({
    topics: topics.map((name) => ({
      name,
      partitions: Array.from({ length: partitions }, (_, partitionIndex) => ({ partitionIndex, timestamp: -1n })),
    })),
  });
  return listed.reduce((sum, topic) => sum + topic.partitions.reduce((s, p) => s + Number(p.offset), 0), 0);
}

export interface CeilingResult {
  eventsPerSecond: number;
  databaseSeconds: number;
  kafkaSeconds: number;
}

/** The same rows and messages as the service would write for `workload`, written concurrently, without the service. */
export async function pipelineCeiling(options: {
  databaseUrl: string;
  bootstrap: string;
  topics: { dating: string; study: string };
  zone: string;
  workload: Workload;
}): Promise<CeilingResult> {
  const { bootstrap, topics, zone, workload } = options;
  const producer = createEventProducer({ brokers: [bootstrap], clientId: 'bench-ceiling' });
  try {
    // Untimed: a connected producer and warm code, as the service's relay has after its start.
    await produceRecorded(producer, () => recordedMessages(participationWorkload(PRODUCE_CHUNK), topics, zone));
    const startedAt = performance.now();
    const [databaseSeconds, kafkaSeconds] = await Promise.all([
      insertRows(options.databaseUrl, workload).then(() => (performance.now() - startedAt) / 1000),
      produceRecorded(producer, () => recordedMessages(workload, topics, zone)).then(
        () => (performance.now() - startedAt) / 1000,
      ),
    ]);
    return {
      eventsPerSecond: workload.messages.length / Math.max(databaseSeconds, kafkaSeconds),
      databaseSeconds,
      kafkaSeconds,
    };
  } finally {
    await producer.close();
  }
}

/** Ids are given by the ceiling itself, as the first-seen order of each participation in the stream. */
function recordIds(workload: Workload): Map<Participation, number> {
  const ids = new Map<Participation, number>();
  for (const p of workload.messages) if (!ids.has(p)) ids.set(p, ids.size + 1);
  return ids;
}

async function insertRows(databaseUrl: string, workload: Workload): Promise<void> {
  const ids = recordIds(workload);
  const batches: Participation[][] = [];
  const seen = new Set<Participation>();
  for (let i = 0; i < workload.messages.length; i += CEILING_BATCH) {
    const fresh = workload.messages.slice(i, i + CEILING_BATCH).filter((p) => !seen.has(p) && seen.add(p));
    if (fresh.length > 0) batches.push(fresh);
  }
  const connections: Connection[] = [];
  try {
    for (let i = 0; i < CEILING_DB_CONNECTIONS; i++) connections.push(await createConnection(connectionOptions(databaseUrl)));
    await Promise.all(
      connections.map(async (connection) => {
        for (let batch = batches.shift(); batch !== undefined; batch = batches.shift()) {
          await connection.query(insertStatement(batch, ids));
        }
      }),
    );
  } finally {
    await Promise.all(connections.map((c) => c.end().catch(() => c.destroy())));
  }
}

function insertStatement(batch: Participation[], ids: Map<Participation, number>): { sql: string; values: unknown[] } {
  const sqlTime = (text: string) => text.replace('T', ' ');
  const dating = batch.filter((p) => p.kind === 'dating');
  const study = batch.filter((p) => p.kind === 'study');
  const parts = ['START TRANSACTION'];
  const values: unknown[] = [];
  if (dating.length > 0) {
    parts.push(
      'INSERT INTO dating_participations (id, dating_group_id, user_id, meeting_id, event_name, scheduled_at, meeting_created_at, recorded_at) VALUES ?',
    );
    values.push(
      dating.map((p) => [
        ids.get(p),
        p.groupId,
        p.userId,
        p.meetingId,
        p.name,
        sqlTime(p.time),
        sqlTime(p.createdAt),
        RECORDED_AT,
      ]),
    );
  }
  if (study.length > 0) {
    parts.push(
      'INSERT INTO study_participations (id, study_group_id, user_id, meeting_id, study_group_name, meeting_name, completed_at, recorded_at) VALUES ?',
    );
    values.push(
      study.map((p) => [ids.get(p), p.groupId, p.userId, p.meetingId, p.name, p.meetingName, sqlTime(p.time), RECORDED_AT]),
    );
  }
  parts.push('INSERT INTO outbox_events (event_type, record_id) VALUES ?', 'COMMIT');
  values.push(batch.map((p) => [p.kind === 'dating' ? 'DatingParticipationRecorded' : 'StudyParticipationRecorded', ids.get(p)]));
  return { sql: parts.join(';\n'), values };
}

/** The "recorded" events the relay would publish for `workload`, built by the relay's own code from the same records. */
function recordedMessages(workload: Workload, topics: { dating: string; study: string }, zone: string): EventMessage[] {
  const recordedAt = fromSqlDateTime<LocalDateTime>(RECORDED_AT);
  // The service's default CloudEvents source: the same headers, byte for byte, as the relay sends.
  const eventMessage = eventMessageBuilder({ zone, source: loadConfig({}).cloudEventsSource });
  return [...recordIds(workload)].map(([p, id]) => {
    const received = participationMessage(p.kind, p);
    const kind = PARTICIPATION_KINDS.find((k) => k.name === p.kind) as ParticipationKind;
    const record = { id, ...kind.toNew(received as unknown as { meetingId: string; userId: string }, recordedAt) };
    return eventMessage({ kind, record, traceparent: null }, p.kind === 'dating' ? topics.dating : topics.study);
  });
}

async function produceRecorded(producer: EventProducer, messages: () => EventMessage[]): Promise<void> {
  const all = messages();
  // One send at a time: @platformatic/kafka's idempotent producer fails concurrent sends to one partition with
  // OUT_OF_ORDER_SEQUENCE_NUMBER (measured with 4 in flight), so the relay cannot overlap them either.
  for (let i = 0; i < all.length; i += PRODUCE_CHUNK) await producer.send({ messages: all.slice(i, i + PRODUCE_CHUNK) });
}
