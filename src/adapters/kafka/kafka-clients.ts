// The Kafka clients this service builds, with the settings that its guarantees rest on.

import { Admin, compatibilityPartitioner, ProduceAcks, Producer } from '@platformatic/kafka';

type Bytes = string | Buffer;
/** Text is sent as UTF-8; bytes (a dead letter's original value) are sent untouched. */
const asBytes = (data?: Bytes) => (data === undefined ? undefined : typeof data === 'string' ? Buffer.from(data, 'utf8') : data);

export type EventProducer = Producer<Bytes, Bytes, Bytes, Bytes>;

export function createEventProducer(options: { brokers: string[]; clientId: string }): EventProducer {
  return new Producer({
    clientId: options.clientId,
    bootstrapBrokers: options.brokers,
    serializers: { key: asBytes, value: asBytes, headerKey: asBytes, headerValue: asBytes },
    // Idempotence + acks=all: a retried batch is written once, and an ack means every in-sync replica has it.
    idempotent: true,
    acks: ProduceAcks.ALL,
    // Java's murmur2 partitioning, so a user id lands on the partition a Java producer would choose too.
    partitioner: compatibilityPartitioner,
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
