// A message that cannot be recorded goes to `<topic>.dlq` as it came (key, value and headers byte for byte)
// with headers that say why and where from, so that it can be inspected and replayed.

import type { EventProducer } from './kafka-clients.ts';
import type { PoisonReason } from './participation-messages.ts';
import { deadLetterTopicOf } from './topics.ts';

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

export const DLQ_HEADERS = {
  reason: 'dlq-reason',
  error: 'dlq-error',
  topic: 'dlq-original-topic',
  partition: 'dlq-original-partition',
  offset: 'dlq-original-offset',
  group: 'dlq-consumer-group',
  failedAt: 'dlq-failed-at',
} as const;

export async function sendToDeadLetters(producer: EventProducer, groupId: string, letters: DeadLetter[]): Promise<void> {
  if (letters.length === 0) return;
  const failedAt = new Date().toISOString();
  await producer.send({
    messages: letters.map((letter) => {
      const headers = new Map<string | Buffer, string | Buffer>();
      for (const [name, value] of letter.headers) headers.set(name, value);
      headers.set(DLQ_HEADERS.reason, letter.reason);
      headers.set(DLQ_HEADERS.error, letter.detail.slice(0, 1000));
      headers.set(DLQ_HEADERS.topic, letter.topic);
      headers.set(DLQ_HEADERS.partition, String(letter.partition));
      headers.set(DLQ_HEADERS.offset, String(letter.offset));
      headers.set(DLQ_HEADERS.group, groupId);
      headers.set(DLQ_HEADERS.failedAt, failedAt);
      return {
        topic: deadLetterTopicOf(letter.topic),
        key: letter.key,
        value: letter.value ?? Buffer.alloc(0),
        headers,
      };
    }),
  });
}
