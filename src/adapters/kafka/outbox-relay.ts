// Moves committed outbox rows to Kafka: woken in-process right after a commit (milliseconds, not a polling
// interval), with a polling fallback that also picks up what another instance or a crashed process left.
// Delivery is at least once: a row is deleted only after the broker acknowledged its event, and a crash in
// between re-sends it with the same event-id, on which consumers dedupe.

import type { Logger } from 'pino';
import type { TopicNames } from '../../config.ts';
import { eventIdOf } from '../../domain/events.ts';
import { instantOf } from '../../domain/local-date-time.ts';
import { publishedTopic, RECORD_KINDS } from '../../record-kinds/registry.ts';
import type { MysqlOutboxStore, PendingEvent } from '../mysql/outbox-store.ts';
import { type EventProducer, inRequests } from './kafka-clients.ts';

export interface RelayObserver {
  /** After each acknowledged batch: for every event, the time from its outbox insert to the broker's ack. */
  published(commitToAckMs: number[]): void;
}

interface RelayOptions {
  store: MysqlOutboxStore;
  producer: EventProducer;
  topics: TopicNames;
  zone: string;
  /** The CloudEvents source of every event (config CLOUDEVENTS_SOURCE). */
  source: string;
  logger: Logger;
  pollIntervalMs: number;
  /**
   * After a small batch, how long to let further commits gather before reading again (like a producer's
   * linger.ms): at a few hundred events a second, one read-send-delete round per event costs more CPU than the
   * requests themselves. 0 reads again at once.
   */
  lingerMs?: number;
  batchSize: number;
  observer?: RelayObserver;
}

const LEADERSHIP_RETRY_MS = 1000;
const MAX_BACKOFF_MS = 5000;

export class OutboxRelay {
  readonly #options: RelayOptions;
  readonly #eventMessage: ReturnType<typeof eventMessageBuilder>;
  #running = false;
  #loop: Promise<void> | undefined;
  #woken = false;
  #wakeUp: (() => void) | undefined;

  constructor(options: RelayOptions) {
    this.#options = options;
    this.#eventMessage = eventMessageBuilder({ zone: options.zone, source: options.source });
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  /** Called after a transaction that wrote outbox rows has committed. */
  wake(): void {
    this.#woken = true;
    this.#wakeUp?.();
  }

  /**
   * Lets the current batch finish and publishes what is already committed, for at most `flushTimeoutMs` (a
   * broker that is down must not hold the shutdown: what is left stays in the outbox for the next relay),
   * then gives the lock back.
   */
  async stop(flushTimeoutMs = 5000): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.wake();
    let timer: NodeJS.Timeout | undefined;
    const flushed = await Promise.race([
      this.#loop?.then(() => true),
      new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), flushTimeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (!flushed)
      this.#options.logger.warn({ flushTimeoutMs }, 'outbox relay stopped before flushing; the next relay publishes the rest');
    await this.#options.store.resignLeadership();
  }

  /** Publishes everything pending now; used on shutdown and by tests. Answers how many were published. */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const published = await this.#publishOneBatch();
      if (published === 0) return total;
      total += published;
    }
  }

  async #run(): Promise<void> {
    const { logger } = this.#options;
    let failures = 0;
    while (this.#running) {
      try {
        if (!(await this.#options.store.tryBecomeLeader())) {
          await this.#sleep(LEADERSHIP_RETRY_MS, false);
          continue;
        }
        const published = await this.#publishOneBatch();
        if (failures > 0) logger.info({ failures }, 'outbox relay recovered');
        failures = 0;
        if (published === 0) await this.#sleep(this.#options.pollIntervalMs, true);
        else if (published < this.#options.batchSize && (this.#options.lingerMs ?? 0) > 0) {
          await new Promise((resolve) => setTimeout(resolve, this.#options.lingerMs));
        }
      } catch (error) {
        failures++;
        // Logged on the first failure and then sparingly, so that an outage is visible without a log storm.
        if (failures === 1 || failures % 20 === 0) logger.error({ err: error, failures }, 'outbox relay failed; retrying');
        await this.#sleep(Math.min(MAX_BACKOFF_MS, 100 * 2 ** Math.min(failures, 6)), false);
      }
    }
    // Shutdown: what is committed is sent now rather than after the next start.
    if (this.#options.store.isLeader) {
      await this.drain().catch((error: unknown) => logger.warn({ err: error }, 'outbox relay could not flush on stop'));
    }
  }

  async #publishOneBatch(): Promise<number> {
    const { store, producer, batchSize } = this.#options;
    if (!store.isLeader) return 0;
    const events = await store.nextBatch(batchSize);
    if (events.length === 0) return 0;
    const readAt = performance.now();
    // In outbox order, one size-bounded request after the other: each key's events stay in order.
    for (const request of inRequests(events.map((e) => this.#eventMessage(e, publishedTopic(e.kind, this.#options.topics)))))
      await producer.send({ messages: request });
    // Ages come from the database's clock at read time plus our own elapsed time: no clocks are compared.
    const sendMs = performance.now() - readAt;
    await store.markPublished(events.map((e) => e.outboxId));
    this.#options.observer?.published(events.map((e) => e.ageAtReadMs + sendMs));
    return events.length;
  }

  /** Waits for `ms`, or less when `wakeable` and a commit wakes the relay; a stop always ends the wait. */
  #sleep(ms: number, wakeable: boolean): Promise<void> {
    if (!this.#running) return Promise.resolve();
    if (wakeable && this.#woken) {
      this.#woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        this.#wakeUp = undefined;
        if (wakeable) this.#woken = false;
        resolve();
      };
      const timer = setTimeout(finish, ms);
      this.#wakeUp = wakeable ? finish : () => (this.#running ? undefined : finish());
    });
  }
}

/** A stored record's event, without the outbox bookkeeping. */
export type RecordEvent = Pick<PendingEvent, 'kind' | 'record' | 'traceparent'>;

/** The Kafka message of one stored record's event, as the producer takes it. */
export interface EventMessage {
  topic: string;
  key: string;
  value: string;
  headers: Map<Buffer, Buffer>;
}

const bytes = (text: string) => Buffer.from(text, 'utf8');

/** Header names, as bytes once: the producer would otherwise encode each name of every message again. */
const HEADER = {
  eventId: bytes('event-id'),
  eventType: bytes('event-type'),
  occurredAt: bytes('occurred-at'),
  contentType: bytes('content-type'),
  traceparent: bytes('traceparent'),
  // CloudEvents' Kafka protocol binding, binary content mode: the attributes as `ce_` headers, the payload as
  // the value, and `content-type` (already sent) as the event's datacontenttype.
  ceSpecVersion: bytes('ce_specversion'),
  ceId: bytes('ce_id'),
  ceSource: bytes('ce_source'),
  ceType: bytes('ce_type'),
  ceTime: bytes('ce_time'),
} as const;

const APPLICATION_JSON = bytes('application/json');
const CLOUDEVENTS_SPEC_VERSION = bytes('1.0');

/**
 * The builder of every event message (used by the relay, and so by republish, and by the benchmark's
 * ceiling): exactly its kind's payload fields, the record's userId as key (one user's events share a partition
 * and so keep their order), our own headers and the CloudEvents ones. Everything that does not change from
 * one event to the next (header names, the source, each type's names) is encoded once here, so that a
 * message costs only the bytes of its id and its time.
 */
export function eventMessageBuilder(settings: {
  zone: string;
  source: string;
}): (event: RecordEvent, topic: string) => EventMessage {
  const { zone } = settings;
  const source = bytes(settings.source);
  const typeHeaders = new Map(
    RECORD_KINDS.map((kind) => [kind, { eventType: bytes(kind.eventType), ceType: bytes(kind.cloudEventType) }]),
  );
  // The events of a batch of participations share one recordedAt: its bytes are made once for all of them.
  let lastOccurredAt = { text: '', bytes: Buffer.alloc(0) };

  return function eventMessage(event, topic) {
    const { kind, record } = event;
    const instant = instantOf(kind.occurredAt(record), zone);
    if (instant !== lastOccurredAt.text) lastOccurredAt = { text: instant, bytes: bytes(instant) };
    const id = bytes(eventIdOf(kind.eventType, record.id));
    const names = typeHeaders.get(kind);
    if (names === undefined) throw new Error(`${kind.eventType} is not a registered record kind`);
    const headers = new Map<Buffer, Buffer>([
      [HEADER.eventId, id],
      [HEADER.eventType, names.eventType],
      [HEADER.occurredAt, lastOccurredAt.bytes],
      [HEADER.contentType, APPLICATION_JSON],
      [HEADER.ceSpecVersion, CLOUDEVENTS_SPEC_VERSION],
      [HEADER.ceId, id],
      [HEADER.ceSource, source],
      [HEADER.ceType, names.ceType],
      // occurred-at is RFC 3339 already (UTC, up to microseconds), as ce_time requires.
      [HEADER.ceTime, lastOccurredAt.bytes],
    ]);
    if (event.traceparent !== null) headers.set(HEADER.traceparent, bytes(event.traceparent));
    return { topic, key: record.userId, value: JSON.stringify(kind.payload(record)), headers };
  };
}
