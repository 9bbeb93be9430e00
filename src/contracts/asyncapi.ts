// The AsyncAPI 3 document of this service's topics, built from the same TypeBox definitions the consumers
// validate with and the relay publishes by (docs/asyncapi.yaml is this, written by `npm run docs`).

import type { TSchema } from '@sinclair/typebox';
import type { RecordKind } from '../record-kinds/record-kind.ts';
import {
  consumedTopic,
  deadLetterTopicOf,
  PARTICIPATION_KINDS,
  publishedTopic,
  RECORD_KINDS,
  type TopicNames,
} from '../record-kinds/registry.ts';

/** A JSON Schema without TypeBox's symbols and `$id` (AsyncAPI components are named by their key). */
function plain(schema: TSchema): Record<string, unknown> {
  const { $id: _, ...rest } = JSON.parse(JSON.stringify(schema)) as Record<string, unknown>;
  return rest;
}

/** The headers of a published event of `kind`: ours, and CloudEvents' (Kafka binding, binary content mode). */
function publishedHeaders(kind: RecordKind) {
  return {
    type: 'object',
    required: [
      'event-id',
      'event-type',
      'occurred-at',
      'content-type',
      'ce_specversion',
      'ce_id',
      'ce_source',
      'ce_type',
      'ce_time',
    ],
    properties: {
      'event-id': {
        type: 'string',
        format: 'uuid',
        description:
          'Name-based UUID (v5) of the event type and record id: the same on every re-send and republish. Deduplicate on it.',
      },
      'event-type': { type: 'string', const: kind.eventType, description: 'The payload record name.' },
      'occurred-at': { type: 'string', format: 'date-time', description: 'When the record was stored, as an ISO instant (UTC).' },
      'content-type': {
        type: 'string',
        const: 'application/json',
        description: "The payload's media type; for CloudEvents also the event's datacontenttype.",
      },
      traceparent: { type: 'string', description: 'W3C trace context of the request that created the record, when it had one.' },
      ce_specversion: { type: 'string', const: '1.0', description: 'CloudEvents specversion.' },
      ce_id: { type: 'string', format: 'uuid', description: 'CloudEvents id: the event-id.' },
      ce_source: {
        type: 'string',
        format: 'uri-reference',
        description: 'CloudEvents source: a URI naming this service (env CLOUDEVENTS_SOURCE).',
        examples: ['urn:grewmeet:recording-command-service'],
      },
      ce_type: { type: 'string', const: kind.cloudEventType, description: 'CloudEvents type.' },
      ce_time: { type: 'string', format: 'date-time', description: 'CloudEvents time (RFC 3339): the occurred-at.' },
    },
  };
}

const redriveCountHeader = {
  type: 'string',
  description:
    'Decimal: how often `npm run redrive` has sent this message back from the dead-letter topic (absent: never). One of the ' +
    "message's own headers, so a letter of a message that fails again carries it, and the redrive stops after its --max-redrives.",
};

const deadLetterHeaders = {
  type: 'object',
  description: "The original message's headers, plus:",
  properties: {
    'dlq-reason': {
      type: 'string',
      enum: ['empty-value', 'not-json', 'not-an-object', 'schema-violation', 'invalid-date-time', 'processing-failed'],
      description:
        'processing-failed: the database refused this message on its own (a value it cannot hold). A message that ' +
        'met a transient fault (outage, timeout, deadlock) or an unclassified error is retried, never dead-lettered.',
    },
    'dlq-error': { type: 'string', description: 'What exactly was wrong, for a person.' },
    'dlq-original-topic': { type: 'string' },
    'dlq-original-partition': { type: 'string', description: 'Decimal partition number.' },
    'dlq-original-offset': { type: 'string', description: 'Decimal offset.' },
    'dlq-consumer-group': { type: 'string' },
    'dlq-failed-at': { type: 'string', format: 'date-time' },
    'dlq-value-dropped': {
      type: 'string',
      description:
        "Set, to the value's size in bytes, when the value was too large to travel with the letter (then sent empty, without the original headers).",
    },
    'redrive-count': redriveCountHeader,
  },
};

const userIdKey = {
  type: 'string',
  description:
    "The record's userId (Java-compatible murmur2 partitioning): one user's events share a partition, but are not promised in commit order.",
};

type Channel = { address: string; description: string; messages: Record<string, { $ref: string }> };
type Operation = { action: 'send' | 'receive'; channel: { $ref: string }; summary?: string };

export function buildAsyncApiDocument(topics: TopicNames): Record<string, unknown> {
  const channels: Record<string, Channel> = {};
  const operations: Record<string, Operation> = {};
  const messages: Record<string, unknown> = {};
  const schemas: Record<string, unknown> = {};
  const add = (id: string, address: string, message: string, description: string, operation: Operation) => {
    channels[id] = { address, description, messages: { [message]: { $ref: `#/components/messages/${message}` } } };
    operations[`${operation.action}${id[0]?.toUpperCase()}${id.slice(1)}`] = operation;
  };
  const channelRef = (id: string) => ({ $ref: `#/channels/${id}` });

  for (const kind of PARTICIPATION_KINDS) {
    const { key, env, schema, summary, example } = kind.consumed;
    const name = schema.$id as string;
    const topic = consumedTopic(kind, topics);
    add(key, topic, name, `Env ${env}.`, { action: 'receive', channel: channelRef(key), summary });
    const deadLetters = `${key}DeadLetters`;
    add(
      deadLetters,
      deadLetterTopicOf(topic),
      'DeadLetter',
      `Messages from ${topic} that could not be recorded, byte for byte, with the reason in headers.`,
      {
        action: 'send',
        channel: channelRef(deadLetters),
        summary: `Set aside a ${kind.name} message that can never be recorded, with the reason; the consumer moves on.`,
      },
    );
    messages[name] = {
      name,
      payload: { $ref: `#/components/schemas/${name}` },
      headers: {
        type: 'object',
        properties: {
          __TypeId__: { type: 'string', description: "spring-kafka's type header: ignored." },
          'redrive-count': redriveCountHeader,
        },
      },
      bindings: { kafka: { key: { type: ['string', 'null'], description: 'Any key or none.' } } },
      examples: [{ payload: example }],
    };
    schemas[name] = plain(schema);
  }
  messages.DeadLetter = {
    name: 'DeadLetter',
    contentType: 'application/octet-stream',
    payload: { description: "The original message's value, unchanged (it may not be JSON)." },
    headers: deadLetterHeaders,
    bindings: { kafka: { key: { description: "The original message's key, unchanged." } } },
  };
  for (const kind of RECORD_KINDS) {
    const { key, env, schema, summary, example } = kind.published;
    add(key, publishedTopic(kind, topics), kind.eventType, `Env ${env}.`, { action: 'send', channel: channelRef(key), summary });
    messages[kind.eventType] = {
      name: kind.eventType,
      payload: { $ref: `#/components/schemas/${kind.eventType}` },
      headers: publishedHeaders(kind),
      bindings: { kafka: { key: userIdKey } },
      ...(example === undefined ? {} : { examples: [{ payload: example }] }),
    };
    schemas[kind.eventType] = plain(schema);
  }

  return {
    asyncapi: '3.1.0',
    info: {
      title: 'GrewMeet recording command service',
      version: '1.0.0',
      description:
        'Consumes participation events from the services that run meetings (dating, study); publishes one event per stored record ' +
        'through a transactional outbox. Delivery is at least once: an event may arrive more than once (a crash between the ' +
        "broker's acknowledgement and the outbox delete, a resend after an outage, a republish), always with the same event-id " +
        '(and ce_id), so consumers dedupe on it. Each event creates an immutable record of its own: events are not promised in ' +
        "commit order, not even one user's. Every topic name is configurable by environment.",
    },
    defaultContentType: 'application/json',
    channels,
    operations,
    components: { messages, schemas },
  };
}
