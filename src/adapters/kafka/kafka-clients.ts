// The Kafka clients this service builds, with the settings that its guarantees rest on.

import { Admin, ProduceAcks, Producer } from '@platformatic/kafka';
import { javaCompatiblePartitioner } from './java-partitioner.ts';

type Bytes = string | Buffer;
/** Text is sent as UTF-8; bytes (a dead letter's original value) are sent untouched. */
const asBytes = (data?: Bytes) => (data === undefined ? undefined : typeof data === 'string' ? Buffer.from(data, 'utf8') : data);

export type EventProducer = Producer<Bytes, Bytes, Bytes, Bytes>;

/**
 * A send puts all its messages for one partition into one record batch, and the broker refuses a batch over its
 * message.max.bytes (1 MiB by default) with MESSAGE_TOO_LARGE, which no retry cures: a relay batch of 2,000
 * events with long names, or a few large dead letters, would then block their loop for good. So every send is
 * cut into requests of at most this size; a message larger than that travels alone.
 */
export const MAX_REQUEST_BYTES = 512 * 1024;

type OutgoingMessage = { key?: Bytes; value?: Bytes; headers?: Map<Bytes, Bytes> | Record<string, Bytes> };

const byteLength = (data: Bytes | undefined) => (data === undefined ? 0 : Buffer.byteLength(data));

/** `messages` in order, cut into consecutive requests of at most `maxBytes` (by key, value and header sizes). */
export function inRequests<M extends OutgoingMessage>(messages: M[], maxBytes = MAX_REQUEST_BYTES): M[][] {
  const requests: M[][] = [];
  let current: M[] = [];
  let size = 0;
  for (const message of messages) {
    const headers = message.headers instanceof Map ? [...message.headers] : Object.entries(message.headers ?? {});
    // 64: a generous allowance for the record's own framing (lengths, offsets, timestamp delta).
    const bytes =
      64 +
      byteLength(message.key) +
      byteLength(message.value) +
      headers.reduce((n, [k, v]) => n + byteLength(k) + byteLength(v), 0);
    if (current.length > 0 && size + bytes > maxBytes) {
      requests.push(current);
      current = [];
      size = 0;
    }
    current.push(message);
    size += bytes;
  }
  if (current.length > 0) requests.push(current);
  return requests;
}

/** The broker's answer to a record batch over its size limit. */
export function isMessageTooLarge(error: unknown): boolean {
  const found = (error as { findBy?: (property: string, value: unknown) => unknown } | null)?.findBy?.(
    'apiId',
    'MESSAGE_TOO_LARGE',
  );
  return found !== undefined && found !== null;
}

export function createEventProducer(options: { brokers: string[]; clientId: string }): EventProducer {
  return new Producer({
    clientId: options.clientId,
    bootstrapBrokers: options.brokers,
    serializers: { key: asBytes, value: asBytes, headerKey: asBytes, headerValue: asBytes },
    // Idempotence + acks=all: a retried batch is written once, and an ack means every in-sync replica has it.
    idempotent: true,
    acks: ProduceAcks.ALL,
    // Java's murmur2 partitioning, so a user id lands on the partition a Java producer would choose too.
    partitioner: javaCompatiblePartitioner,
    autocreateTopics: false,
    retries: 20,
    retryDelay: 500,
    timeout: 10_000,
    connectTimeout: 3_000,
  });
}

/** Creates the topics that do not exist yet; existing ones are left as they are. */
export async function ensureTopics(options: {
  brokers: string[];
  clientId: string;
  topics: string[];
  partitions: number;
  replicationFactor: number;
}): Promise<string[]> {
  const admin = new Admin({
    clientId: `${options.clientId}-admin`,
    bootstrapBrokers: options.brokers,
    retries: 5,
    retryDelay: 500,
    timeout: 10_000,
  });
  try {
    const existing = new Set((await admin.listTopics()) as string[]);
    const missing = options.topics.filter((t) => !existing.has(t));
    if (missing.length > 0) {
      await admin
        .createTopics({ topics: missing, partitions: options.partitions, replicas: options.replicationFactor })
        .catch((error: unknown) => {
          // Another instance may have created them a moment ago.
          if (!String((error as Error)?.message ?? error).includes('already exists')) throw error;
        });
    }
    return missing;
  } finally {
    await admin.close();
  }
}
