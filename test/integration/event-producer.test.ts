// The service's producer against the real broker: many callers share it (the relay's sends, the sweep, dead
// letters), and its idempotent session must survive their sends overlapping.
import { describe, expect, inject, it } from 'vitest';
import { createEventProducer, ensureTopics } from '../../src/adapters/kafka/kafka-clients.ts';
import { uniqueSuffix } from '../../testkit/service-environment.ts';
import { TopicReader } from '../../testkit/topic-reader.ts';

describe('event producer', () => {
  it('takes overlapping sends to one partition without breaking its idempotent session', async () => {
    const brokers = [inject('kafkaBootstrap')];
    const topic = `producer-overlap-${uniqueSuffix()}`;
    await ensureTopics({ brokers, clientId: 'producer-test', topics: [topic], partitions: 1, replicationFactor: 1 });
    const resets: unknown[] = [];
    const producer = createEventProducer({ brokers, clientId: 'producer-test', onSessionReset: (error) => resets.push(error) });
    try {
      // Warm: metadata and the producer id are in hand, so the sends below really overlap on the wire.
      await producer.send({ messages: [{ topic, key: Buffer.from('k'), value: Buffer.from('warm-up') }] });
      const sends = Array.from({ length: 20 }, (_, i) =>
        producer.send({
          messages: Array.from({ length: 5 }, (__, j) => ({ topic, key: Buffer.from('k'), value: Buffer.from(`${i}-${j}`) })),
        }),
      );
      const outcomes = await Promise.allSettled(sends);
      expect(outcomes.filter((o) => o.status === 'rejected')).toEqual([]);
      expect(resets).toEqual([]);
      const reader = await TopicReader.open([topic], brokers[0]);
      try {
        const messages = await reader.waitForCount(101, 30_000);
        expect(new Set(messages.map((m) => m.value)).size).toBe(101);
      } finally {
        await reader.close();
      }
    } finally {
      await producer.close();
    }
  });
});
