// The Kafka clients this service builds, with the settings that its guarantees rest on.

import {
  Admin,
  type ClusterMetadata,
  type MetadataOptions,
  ProduceAcks,
  type ProduceResult,
  Producer,
  type SendOptions,
} from '@platformatic/kafka';
import { javaCompatiblePartitioner } from './java-partitioner.ts';

type Bytes = string | Buffer;
/** Text is sent as UTF-8; bytes (a dead letter's original value) are sent untouched. */
const asBytes = (data?: Bytes) => (data === undefined ? undefined : typeof data === 'string' ? Buffer.from(data, 'utf8') : data);

type KafkaProducer = Producer<Bytes, Bytes, Bytes, Bytes>;

/** What the relay, the dead-letter writer and the health check need of a producer. */
export interface EventProducer {
  send(options: SendOptions<Bytes, Bytes, Bytes, Bytes>): Promise<ProduceResult>;
  metadata(options: MetadataOptions): Promise<ClusterMetadata>;
  close(): Promise<void>;
}

/**
 * A send puts all its messages for one partition into one record batch, and the broker refuses a batch over its
 * message.max.bytes (1 MiB by default) with MESSAGE_TOO_LARGE, which no retry cures: a relay batch of 2,000
 * events with long names, or a few large dead letters, would then block their loop for good. So every send is
 * cut into requests of at most this size; a message larger than that travels alone.
 */
const MAX_REQUEST_BYTES = 512 * 1024;

type OutgoingMessage = { key?: Bytes; value?: Bytes; headers?: Map<Bytes, Bytes> | Record<string, Bytes> };

const byteLength = (data: Bytes | undefined) => (data === undefined ? 0 : Buffer.byteLength(data));

/** Summed without copying the headers out: this runs for every event the relay sends. */
function headersLength(headers: OutgoingMessage['headers']): number {
  let n = 0;
  if (headers instanceof Map) {
    headers.forEach((value, key) => {
      n += byteLength(key) + byteLength(value);
    });
  } else {
    for (const key in headers) n += byteLength(key) + byteLength(headers[key]);
  }
  return n;
}

/** `messages` in order, cut into consecutive requests of at most `maxBytes` (by key, value and header sizes). */
export function inRequests<M extends OutgoingMessage>(messages: M[], maxBytes = MAX_REQUEST_BYTES): M[][] {
  if (messages.length === 1) return [messages];
  const requests: M[][] = [];
  let current: M[] = [];
  let size = 0;
  for (const message of messages) {
    // 64: a generous allowance for the record's own framing (lengths, offsets, timestamp delta).
    const bytes = 64 + byteLength(message.key) + byteLength(message.value) + headersLength(message.headers);
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

/** Whether the client's error (or one it aggregates) is the broker's answer `apiId`. */
function hasBrokerError(error: unknown, apiId: string): boolean {
  const findBy = (error as { findBy?: (property: string, value: unknown) => unknown } | null)?.findBy;
  const found = findBy?.call(error, 'apiId', apiId);
  return found !== undefined && found !== null;
}

/** The broker's answer to a record batch over its size limit. */
export function isMessageTooLarge(error: unknown): boolean {
  return hasBrokerError(error, 'MESSAGE_TOO_LARGE');
}

/**
 * Broker answers after which an idempotent producer's session is broken for good: every later send with the
 * same producer id fails the same way. Seen after a broker restart that lost a request the client had already
 * counted: OUT_OF_ORDER_SEQUENCE_NUMBER on every retry, and the relay published nothing until the process was
 * restarted.
 */
const BROKEN_SESSION_ERRORS = ['OUT_OF_ORDER_SEQUENCE_NUMBER', 'UNKNOWN_PRODUCER_ID', 'INVALID_PRODUCER_EPOCH'];

function breaksProducerSession(error: unknown): boolean {
  return BROKEN_SESSION_ERRORS.some((apiId) => hasBrokerError(error, apiId));
}

/**
 * A producer that starts a new idempotent session (a new client, so a new producer id and fresh sequence
 * numbers) when the broker says the old one is broken, and then fails the send: the caller's retry goes out
 * on the new session. Events already written by the old session may be written again, with the same event-id,
 * which at-least-once delivery allows.
 */
export class ResettingProducer implements EventProducer {
  readonly #create: () => KafkaProducer;
  readonly #onReset: (error: unknown) => void;
  #current: KafkaProducer;
  #previous: Promise<unknown> = Promise.resolve();

  constructor(create: () => KafkaProducer, onReset: (error: unknown) => void = () => undefined) {
    this.#create = create;
    this.#onReset = onReset;
    this.#current = create();
  }

  /**
   * One send at a time: the client advances an idempotent session's sequence numbers only when a send is
   * acknowledged, so two sends in flight carry the same numbers and the broker answers
   * OUT_OF_ORDER_SEQUENCE_NUMBER. Callers batch what arrives meanwhile instead.
   */
  send(options: SendOptions<Bytes, Bytes, Bytes, Bytes>): Promise<ProduceResult> {
    const sent = this.#previous.then(() => this.#sendNow(options));
    this.#previous = sent.then(
      () => undefined,
      () => undefined,
    );
    return sent;
  }

  async #sendNow(options: SendOptions<Bytes, Bytes, Bytes, Bytes>): Promise<ProduceResult> {
    const producer = this.#current;
    try {
      return await producer.send(options);
    } catch (error) {
      if (breaksProducerSession(error) && producer === this.#current) {
        this.#current = this.#create();
        this.#onReset(error);
        // The old session may still hold requests in flight: they fail, and their events stay in the outbox.
        producer.close(true, () => undefined);
      }
      throw error;
    }
  }

  metadata(options: MetadataOptions): Promise<ClusterMetadata> {
    return this.#current.metadata(options);
  }

  close(): Promise<void> {
    return this.#current.close();
  }
}

export function createEventProducer(options: {
  brokers: string[];
  clientId: string;
  onSessionReset?: (error: unknown) => void;
}): EventProducer {
  const create = (): KafkaProducer =>
    new Producer({
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
  return new ResettingProducer(create, options.onSessionReset);
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
