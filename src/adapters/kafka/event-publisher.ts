// The relay's way out: a batch of pending events becomes Kafka messages (CloudEvents binary mode, the record's
// userId as key), sent in the order given, one size-bounded request after the other.

import type { EventPublisher, RecordEvent } from '../../app/outbox-relay.ts';
import type { TopicNames } from '../../config.ts';
import { eventIdOf } from '../../domain/events.ts';
import { instantOf } from '../../domain/local-date-time.ts';
import { publishedTopic, RECORD_KINDS } from '../../record-kinds/registry.ts';
import { type EventProducer, inRequests } from './kafka-clients.ts';

export class KafkaEventPublisher implements EventPublisher {
  readonly #producer: EventProducer;
  readonly #topics: TopicNames;
  readonly #eventMessage: ReturnType<typeof eventMessageBuilder>;

  constructor(producer: EventProducer, settings: { topics: TopicNames; zone: string; source: string }) {
    this.#producer = producer;
    this.#topics = settings.topics;
    this.#eventMessage = eventMessageBuilder({ zone: settings.zone, source: settings.source });
  }

  async publish(events: readonly RecordEvent[]): Promise<void> {
    // One request after the other: the idempotent producer takes one send at a time (kafka-clients.ts).
    const messages = events.map((e) => this.#eventMessage(e, publishedTopic(e.kind, this.#topics)));
    for (const request of inRequests(messages)) await this.#producer.send({ messages: request });
  }
}

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
 * ceiling): exactly its kind's payload fields, the record's userId as key (one user's events share a partition,
 * the one a Java producer would choose), our own headers and the CloudEvents ones. Everything that does not change from
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
