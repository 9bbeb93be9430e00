// The Kafka side of the redrive (src/app/redrive-dead-letters.ts): reads a dead-letter topic as a consumer
// group of its own, whose committed offsets are the redrive's stored position, and sends messages back.

import {
  Admin,
  Consumer,
  ListOffsetTimestamps,
  type Message,
  type MessagesStream,
  MessagesStreamFallbackModes,
  MessagesStreamModes,
} from '@platformatic/kafka';
import type { DeadLetteredMessage, DeadLetterSource, RedriveTarget } from '../../app/redrive-dead-letters.ts';
import { DLQ_HEADERS, REDRIVE_COUNT_HEADER } from './dead-letter.ts';
import { type EventProducer, inRequests } from './kafka-clients.ts';

/** A message as it came to its topic the first time: bytes, untouched. */
interface OriginalMessage {
  key: Buffer | undefined;
  value: Buffer;
  headers: [Buffer, Buffer][];
}

type RawMessage = Message<Buffer, Buffer, Buffer, Buffer>;
type RawStream = MessagesStream<Buffer, Buffer, Buffer, Buffer>;

/** The redrive's consumer group for a dead-letter topic: one per topic, so that its position is the topic's. */
export function redriveGroupOf(serviceGroupId: string, deadLetterTopic: string): string {
  return `${serviceGroupId}.redrive.${deadLetterTopic}`;
}

/** The run cannot start or go on, for a reason to tell the operator as it is (no stack trace needed). */
export class RedriveRefused extends Error {}

type Assignments = { topic: string; partitions: number[] }[] | null | undefined;

export class KafkaDeadLetterSource implements DeadLetterSource<OriginalMessage> {
  readonly total: number;
  readonly #topic: string;
  readonly #consumer: Consumer<Buffer, Buffer, Buffer, Buffer>;
  readonly #stream: RawStream;
  /** Per partition, the topic's end when the run started: letters from there on are the next run's. */
  readonly #ends: bigint[];
  readonly #batchSize: number;
  #failure: Error | undefined;

  private constructor(options: {
    topic: string;
    consumer: Consumer<Buffer, Buffer, Buffer, Buffer>;
    stream: RawStream;
    ends: bigint[];
    total: number;
    batchSize: number;
  }) {
    this.#topic = options.topic;
    this.#consumer = options.consumer;
    this.#stream = options.stream;
    this.#ends = options.ends;
    this.total = options.total;
    this.#batchSize = options.batchSize;
    this.#stream.on('error', (error: Error) => {
      this.#failure ??= error;
    });
    // A lasting 'readable' listener keeps the client's fetch loop going (see participation-consumer.ts).
    this.#stream.on('readable', () => {});
    this.#consumer.on('consumer:group:join', (joined: { assignments?: Assignments }) => {
      if (!coversEveryPartition(joined.assignments, this.#topic, this.#ends.length))
        this.#failure ??= sharedGroupError(this.#topic, this.#consumer.groupId);
    });
  }

  /** Joins the topic's redrive group and notes where the topic ends now: the run reads up to there. */
  static async open(options: {
    brokers: string[];
    clientId: string;
    groupId: string;
    topic: string;
    batchSize: number;
  }): Promise<KafkaDeadLetterSource> {
    const { topic, groupId } = options;
    const consumer = new Consumer({
      groupId,
      clientId: options.clientId,
      bootstrapBrokers: options.brokers,
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
      maxWaitTime: 500,
      maxBytes: 1024 * 1024,
      highWaterMark: options.batchSize * 2,
      retries: 10,
      retryDelay: 1_000,
    });
    try {
      if (!(await topicExists(options.brokers, options.clientId, topic)))
        throw new RedriveRefused(`topic ${topic} does not exist`);
      const metadata = await consumer.metadata({ topics: [topic] });
      const partitions = [...Array(metadata.topics.get(topic)?.partitionsCount ?? 0).keys()];
      const offsets = async (timestamp: bigint) => (await consumer.listOffsets({ topics: [topic], timestamp })).get(topic) ?? [];
      const ends = await offsets(ListOffsetTimestamps.LATEST);
      // Where this run starts: the group's committed offsets, or the oldest letter kept where there are none.
      const committed = (await consumer.listCommittedOffsets({ topics: [{ topic, partitions }] })).get(topic) ?? [];
      const earliest = await offsets(ListOffsetTimestamps.EARLIEST);
      let total = 0n;
      for (const partition of partitions) {
        const start = max(committed[partition] ?? -1n, earliest[partition] ?? 0n);
        total += max(0n, (ends[partition] ?? 0n) - start);
      }
      const stream = await consumer.consume({
        topics: [topic],
        mode: MessagesStreamModes.COMMITTED,
        fallbackMode: MessagesStreamFallbackModes.EARLIEST,
        autocommit: false,
      });
      const source = new KafkaDeadLetterSource({
        topic,
        consumer,
        stream,
        ends,
        total: Number(total),
        batchSize: options.batchSize,
      });
      // Two runs at once would split the partitions between them, each believing it had seen everything.
      if (!coversEveryPartition(consumer.assignments, topic, partitions.length)) throw sharedGroupError(topic, groupId);
      return source;
    } catch (error) {
      await new Promise<void>((resolve) => consumer.close(true, () => resolve()));
      throw error;
    }
  }

  async next(): Promise<DeadLetteredMessage<OriginalMessage>[] | undefined> {
    for (;;) {
      if (this.#failure !== undefined) throw this.#failure;
      const letters: DeadLetteredMessage<OriginalMessage>[] = [];
      while (letters.length < this.#batchSize) {
        const message = this.#stream.read() as RawMessage | null;
        if (message === null) break;
        if (message.offset < (this.#ends[message.partition] ?? 0n)) letters.push(letterOf(message));
      }
      if (letters.length > 0) return letters;
      if (this.#readToTheEnd()) return undefined;
      // Until the client has fetched again (a fetch returns at least every maxWaitTime), or failed.
      await new Promise<void>((resolve) => {
        const done = () => {
          this.#stream.off('readable', done);
          this.#stream.off('fetch', done);
          this.#stream.off('error', done);
          resolve();
        };
        this.#stream.on('readable', done);
        this.#stream.on('fetch', done);
        this.#stream.on('error', done);
      });
    }
  }

  async commit(nextOffsets: Map<number, bigint>): Promise<void> {
    await this.#consumer.commit({
      offsets: [...nextOffsets].map(([partition, offset]) => ({ topic: this.#topic, partition, offset, leaderEpoch: -1 })),
    });
  }

  async close(): Promise<void> {
    await this.#stream.close().catch(() => undefined);
    await new Promise<void>((resolve) => this.#consumer.close(true, () => resolve()));
  }

  /** Whether every partition's fetch position has reached the end noted at the start. */
  #readToTheEnd(): boolean {
    const positions = this.#stream.offsetsToFetch;
    return this.#ends.every((end, partition) => {
      const position = positions.get(`${this.#topic}:${partition}`);
      return end === 0n || (position !== undefined && position >= end);
    });
  }
}

const max = (a: bigint, b: bigint) => (a > b ? a : b);

/** Asked of the cluster's topic list: the consumer would retry a missing topic's metadata for seconds. */
async function topicExists(brokers: string[], clientId: string, topic: string): Promise<boolean> {
  const admin = new Admin({
    clientId: `${clientId}-admin`,
    bootstrapBrokers: brokers,
    retries: 5,
    retryDelay: 500,
    timeout: 10_000,
  });
  try {
    return ((await admin.listTopics()) as string[]).includes(topic);
  } finally {
    await admin.close();
  }
}

function coversEveryPartition(assignments: Assignments, topic: string, partitionCount: number): boolean {
  const mine = new Set(assignments?.find((a) => a.topic === topic)?.partitions ?? []);
  return mine.size === partitionCount;
}

function sharedGroupError(topic: string, groupId: string): Error {
  return new RedriveRefused(
    `another redrive of ${topic} is running (consumer group ${groupId} has other members); run again once it has finished`,
  );
}

function letterOf(message: RawMessage): DeadLetteredMessage<OriginalMessage> {
  let originalTopic: string | undefined;
  let deadLetteredAt = Number(message.timestamp);
  let redriveCount = 0;
  let valueDropped = false;
  const kept: [Buffer, Buffer][] = [];
  for (const [name, value] of message.headers) {
    const header = name.toString('utf8');
    if (header === DLQ_HEADERS.topic) originalTopic = value.toString('utf8') || undefined;
    else if (header === DLQ_HEADERS.failedAt) deadLetteredAt = Date.parse(value.toString('utf8')) || deadLetteredAt;
    else if (header === DLQ_HEADERS.valueDropped) valueDropped = true;
    else if (header === REDRIVE_COUNT_HEADER) {
      // Written by us, so always a number; if someone else wrote garbage there, refuse rather than loop.
      const count = Number(value.toString('utf8'));
      redriveCount = Number.isSafeInteger(count) && count >= 0 ? count : Number.POSITIVE_INFINITY;
    }
    // The dead-letter writer's own headers do not go back; the count goes back anew.
    if (!header.startsWith('dlq-') && header !== REDRIVE_COUNT_HEADER) kept.push([name, value]);
  }
  return {
    partition: message.partition,
    offset: message.offset,
    originalTopic,
    deadLetteredAt,
    redriveCount,
    valueDropped,
    message: { key: message.key, value: message.value ?? Buffer.alloc(0), headers: kept },
  };
}

/** Sends messages back as they first came, plus their redrive count, with the service's producer settings. */
export class KafkaRedriveTarget implements RedriveTarget<OriginalMessage> {
  readonly #producer: EventProducer;

  constructor(producer: EventProducer) {
    this.#producer = producer;
  }

  async send(messages: { topic: string; message: OriginalMessage; redriveCount: number }[]): Promise<void> {
    const outgoing = messages.map(({ topic, message, redriveCount }) => ({
      topic,
      key: message.key,
      value: message.value,
      headers: new Map<string | Buffer, string | Buffer>([...message.headers, [REDRIVE_COUNT_HEADER, String(redriveCount)]]),
    }));
    // In order, one request after the other: messages with one key keep their order on their partition.
    for (const request of inRequests(outgoing)) await this.#producer.send({ messages: request });
  }
}
