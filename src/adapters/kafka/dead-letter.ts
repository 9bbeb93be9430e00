// A message that cannot be recorded goes to `<topic>.dlq` as it came (key, value and headers byte for byte)
// with headers that say why and where from, so that it can be inspected and replayed.

import type { Message } from '@platformatic/kafka';
import type { DeadLetterSink } from '../../app/ingest-participations.ts';
import { deadLetterTopicOf } from '../../record-kinds/registry.ts';
import { type EventProducer, inRequests, isMessageTooLarge } from './kafka-clients.ts';
import type { PoisonReason } from './participation-messages.ts';

export interface DeadLetter {
  topic: string;
  partition: number;
  offset: bigint;
  key: Buffer | undefined;
  value: Buffer | undefined;
  headers: Map<Buffer, Buffer>;
  reason: PoisonReason;
  detail: string;
}

/** The ingestion use case's dead letters, each with the message it was read from, to `<topic>.dlq`. */
export function deadLetterTopics(
  producer: EventProducer,
  groupId: string,
): DeadLetterSink<Message<Buffer, Buffer, Buffer, Buffer>> {
  return {
    send: (letters) =>
      sendToDeadLetters(
        producer,
        groupId,
        letters.map(({ source, reason, detail }) => ({
          topic: source.topic,
          partition: source.partition,
          offset: source.offset,
          key: source.key,
          value: source.value,
          headers: source.headers,
          reason: reason as PoisonReason,
          detail,
        })),
      ),
  };
}

export const DLQ_HEADERS = {
  reason: 'dlq-reason',
  error: 'dlq-error',
  topic: 'dlq-original-topic',
  partition: 'dlq-original-partition',
  offset: 'dlq-original-offset',
  group: 'dlq-consumer-group',
  failedAt: 'dlq-failed-at',
  /** Set (to the value's size in bytes) when the value was too large to travel with the letter. */
  valueDropped: 'dlq-value-dropped',
} as const;

/**
 * How often `npm run redrive` has sent a message back from its dead-letter topic. Not a dlq- header: it is
 * one of the message's own headers, so that the letter of a message that fails again carries it (the
 * original headers are copied below), and the next redrive knows how often it has tried.
 */
export const REDRIVE_COUNT_HEADER = 'redrive-count';

async function sendToDeadLetters(producer: EventProducer, groupId: string, letters: DeadLetter[]): Promise<void> {
  if (letters.length === 0) return;
  const failedAt = new Date().toISOString();
  const messages = letters.map((letter) => {
    const ours = new Map<string, string>([
      [DLQ_HEADERS.reason, letter.reason],
      [DLQ_HEADERS.error, letter.detail.slice(0, 1000)],
      [DLQ_HEADERS.topic, letter.topic],
      [DLQ_HEADERS.partition, String(letter.partition)],
      [DLQ_HEADERS.offset, String(letter.offset)],
      [DLQ_HEADERS.group, groupId],
      [DLQ_HEADERS.failedAt, failedAt],
    ]);
    const headers = new Map<string | Buffer, string | Buffer>(letter.headers);
    for (const [name, value] of ours) headers.set(name, value);
    return { topic: deadLetterTopicOf(letter.topic), key: letter.key, value: letter.value ?? Buffer.alloc(0), headers, ours };
  });
  // Size-bounded requests, so that a few large letters together do not exceed what the broker accepts.
  for (const request of inRequests(messages)) {
    try {
      await producer.send({ messages: request.map(({ ours: _, ...message }) => message) });
    } catch (error) {
      const [only] = request;
      if (request.length !== 1 || only === undefined || !isMessageTooLarge(error)) throw error;
      // The message fitted its own topic but not with our headers added. Rather than stall the consumer for
      // good, the letter goes without the value and the original headers: dlq-original-* say where they are.
      const headers = new Map<string, string>(only.ours).set(DLQ_HEADERS.valueDropped, String(only.value.length));
      await producer.send({ messages: [{ topic: only.topic, key: only.key, value: Buffer.alloc(0), headers }] });
    }
  }
}
